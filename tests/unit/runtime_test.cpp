// The runtime's behaviours over real loopback sockets (issue: server and client runtime). Each
// test fails if the behaviour it names is removed.
#include "runtime_fixture.hpp"

#include <sealed_test/http.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace {

using namespace runtime_fixture;

TEST(runtime, oversized_message_closes_with_1009_and_others_are_unaffected) {
    fixture f;
    f.cfg.max_message_size = 1024;  // wire limit: 1024 + 4096 framing allowance
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto big = co_await f.connect("big");
        auto good = co_await f.connect("good");
        CO_ASSERT_TRUE(big && good);
        auto huge = bytes(20000, 'x');
        EXPECT_FALSE(co_await big->async_send(huge));
        message_buffer in;
        EXPECT_TRUE(co_await big->async_receive(in));
        CO_ASSERT_TRUE(big->transport().peer_close_reason());
        EXPECT_EQ(big->transport().peer_close_reason()->code, close_code::too_big);
        auto hi = as_bytes("hi");
        EXPECT_FALSE(co_await good->async_send(hi));
        EXPECT_EQ(co_await receive_within(*good, 2000ms), "hi");
        // Counted once the refused connection is torn down, after the peer answered the close.
        for (int i = 0; i < 200 && f.srv->stats().closed_oversize.load() == 0; ++i) co_await sleep_for(5ms);
        EXPECT_EQ(f.srv->stats().closed_oversize.load(), 1u);
    }());
}

// A peer still writing when the server refuses its frame: the server reads and discards the rest
// before closing, so the peer's write completes and the 1009 close frame reaches it (closing
// with the bytes unread would reset the connection and lose the close frame).
TEST(runtime, a_peer_still_writing_an_oversized_message_gets_1009_not_a_reset) {
    fixture f;
    f.cfg.max_message_size = 1024;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        client_config big_sender;
        big_sender.max_message_size = 16 * 1024 * 1024;  // the client's own limit lets it through
        auto big = co_await f.connect("big", big_sender);
        auto good = co_await f.connect("good");
        CO_ASSERT_TRUE(big && good);
        auto huge = bytes(8 * 1024 * 1024, 'x');  // far past the kernel's socket buffers
        EXPECT_FALSE(co_await big->async_send(huge)) << "the write was cut off by a reset";
        message_buffer in;
        EXPECT_TRUE(co_await big->async_receive(in));
        CO_ASSERT_TRUE(big->transport().peer_close_reason());  // else no close frame reached the peer
        EXPECT_EQ(big->transport().peer_close_reason()->code, close_code::too_big);
        auto hi = as_bytes("hi");
        EXPECT_FALSE(co_await good->async_send(hi));
        EXPECT_EQ(co_await receive_within(*good, 2000ms), "hi");
        // Counted once the refused connection is torn down, after the peer answered the close.
        for (int i = 0; i < 200 && f.srv->stats().closed_oversize.load() == 0; ++i) co_await sleep_for(5ms);
        EXPECT_EQ(f.srv->stats().closed_oversize.load(), 1u);
    }());
}

TEST(runtime, one_byte_a_second_client_is_dropped_at_the_handshake_deadline) {
    fixture f;
    f.cfg.handshake_timeout = 400ms;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        net::ip::tcp::socket slow(f.io);
        co_await slow.async_connect({net::ip::make_address("127.0.0.1"), f.port}, net::use_awaitable);
        const auto start = std::chrono::steady_clock::now();
        const std::string request = "GET /ws HTTP/1.1\r\nHost: x\r\n";
        bool dropped = false;
        for (char c : request) {  // one byte every 100 ms
            auto [ec, n] = co_await net::async_write(slow, net::buffer(&c, 1), nothrow);
            if (ec) { dropped = true; break; }
            co_await sleep_for(100ms);
            if (std::chrono::steady_clock::now() - start > 3s) break;
        }
        EXPECT_TRUE(dropped) << "a trickling client outlived the handshake deadline";
        EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
        auto good = co_await f.connect("good");
        EXPECT_TRUE(good);
    }());
}

TEST(runtime, keepalive_drops_a_silent_peer_and_keeps_a_live_one) {
    fixture f;
    f.cfg.ping_interval = 100ms;
    f.cfg.pong_timeout = 100ms;
    f.start([](connection_t& c) -> awaitable<void> {
        message_buffer in;
        while (!co_await c.async_receive(in)) {}
    });
    run(f.io, [&]() -> awaitable<void> {
        auto dead = co_await f.connect("dead");  // never reads: never answers a ping
        auto live = co_await f.connect("live");
        CO_ASSERT_TRUE(dead && live);
        message_buffer in;
        auto live_reader = [&]() -> awaitable<void> { co_await live->async_receive(in); };  // answers pings
        using namespace net::experimental::awaitable_operators;
        co_await (live_reader() || sleep_for(800ms));
        auto peers = f.srv->connected_peers();
        EXPECT_EQ(std::count(peers.begin(), peers.end(), "live"), 1);
        EXPECT_EQ(std::count(peers.begin(), peers.end(), "dead"), 0);
        EXPECT_EQ(f.srv->stats().closed_idle.load(), 1u);
    }());
}

TEST(runtime, rate_limit_drops_the_excess_and_counts_it) {
    fixture f;
    f.cfg.rate_limit = {5, 1};  // burst 5, then one per second
    auto received = std::make_shared<std::atomic<int>>(0);
    f.start([received](connection_t& c) -> awaitable<void> {
        message_buffer in;
        while (!co_await c.async_receive(in)) ++*received;
    });
    run(f.io, [&]() -> awaitable<void> {
        auto c = co_await f.connect("chatty");
        CO_ASSERT_TRUE(c);
        auto m = as_bytes("m");
        for (int i = 0; i < 20; ++i) EXPECT_FALSE(co_await c->async_send(m));
        for (int i = 0; i < 100 && received->load() + f.srv->stats().dropped_rate_limited.load() < 20; ++i)
            co_await sleep_for(5ms);
        EXPECT_GE(received->load(), 5);
        EXPECT_LE(received->load(), 6);
        EXPECT_EQ(received->load() + static_cast<int>(f.srv->stats().dropped_rate_limited.load()), 20);
    }());
}

TEST(runtime, duplicate_message_ids_are_dropped) {
    fixture f;
    auto received = std::make_shared<std::vector<std::string>>();
    f.start([received](connection_t& c) -> awaitable<void> {
        message_buffer in;
        while (!co_await c.async_receive(in)) received->emplace_back(in.text());
    });
    run(f.io, [&]() -> awaitable<void> {
        auto c = co_await f.connect("repeater");
        CO_ASSERT_TRUE(c);
        for (auto text : {"a:1", "a:1", "b:2", "no id", "no id"}) EXPECT_FALSE(co_await c->async_send(as_bytes(text)));
        for (int i = 0; i < 100 && received->size() < 4; ++i) co_await sleep_for(5ms);
        co_await sleep_for(50ms);
        EXPECT_EQ(*received, (std::vector<std::string>{"a:1", "b:2", "no id", "no id"}));
        EXPECT_EQ(f.srv->stats().dropped_duplicate.load(), 1u);
    }());
}

TEST(runtime, registry_sends_to_a_peer_and_broadcasts_from_any_thread) {
    fixture f;
    test_server* srv = nullptr;
    f.start([&srv](connection_t& c) -> awaitable<void> {
        message_buffer in;
        while (!co_await c.async_receive(in)) srv->broadcast(in.bytes(), in.kind(), c.id());  // to the others
    });
    srv = f.srv.get();
    run(f.io, [&]() -> awaitable<void> {
        auto alice = co_await f.connect("alice");
        auto bob = co_await f.connect("bob");
        auto carol = co_await f.connect("carol");
        CO_ASSERT_TRUE(alice && bob && carol);
        for (int i = 0; i < 100 && f.srv->connected_peers().size() < 3; ++i) co_await sleep_for(5ms);
        auto peers = f.srv->connected_peers();
        std::sort(peers.begin(), peers.end());
        EXPECT_EQ(peers, (std::vector<std::string>{"alice", "bob", "carol"}));
        EXPECT_TRUE(f.srv->get("carol"));
        EXPECT_FALSE(f.srv->get("nobody"));

        auto hi = as_bytes("x:hi all");
        EXPECT_FALSE(co_await alice->async_send(hi));
        EXPECT_EQ(co_await receive_within(*bob, 2000ms), "x:hi all");
        EXPECT_EQ(co_await receive_within(*carol, 2000ms), "x:hi all");
        // (Alice's next message, below, must not be her own broadcast. Waiting for "nothing" with
        // a timeout would cancel the WebSocket read, which tears the stream down.)

        EXPECT_TRUE(f.srv->send("bob", as_bytes("direct")));
        EXPECT_FALSE(f.srv->send("nobody", as_bytes("lost")));
        EXPECT_EQ(co_await receive_within(*bob, 2000ms), "direct");

        std::thread other([&] { f.srv->broadcast(as_bytes("from another thread")); });
        other.join();
        EXPECT_EQ(co_await receive_within(*alice, 2000ms), "from another thread") << "the sender got its own broadcast";
        EXPECT_EQ(co_await receive_within(*carol, 2000ms), "from another thread");
    }());
}

TEST(runtime, stop_closes_everyone_with_shutdown_and_waits_for_them) {
    fixture f;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto a = co_await f.connect("a");
        auto b = co_await f.connect("b");
        CO_ASSERT_TRUE(a && b);
        for (int i = 0; i < 100 && f.srv->connected_peers().size() < 2; ++i) co_await sleep_for(5ms);
        message_buffer in_a, in_b;
        auto read_a = [&]() -> awaitable<error_code> { co_return co_await a->async_receive(in_a); };
        auto read_b = [&]() -> awaitable<error_code> { co_return co_await b->async_receive(in_b); };
        // Returns a value: Asio 1.81's && cannot join a tuple with a void awaitable.
        auto stop = [&]() -> awaitable<bool> {
            co_await f.srv->async_stop();
            co_return true;
        };
        using namespace net::experimental::awaitable_operators;
        auto [ea, eb, stopped] = co_await (read_a() && read_b() && stop());
        EXPECT_TRUE(stopped);
        EXPECT_TRUE(ea && eb);
        EXPECT_EQ(ea, websocket::error::closed) << ea.message();
        CO_ASSERT_TRUE(a->transport().peer_close_reason() && b->transport().peer_close_reason());
        // 1004 (shutdown) goes on the wire as 1001, the reason says why (docs/runtime.md).
        EXPECT_EQ(a->transport().peer_close_reason()->code, close_code::going_away);
        EXPECT_EQ(a->transport().peer_close_reason()->reason, "server shutdown");
        EXPECT_EQ(b->transport().peer_close_reason()->code, close_code::going_away);
        EXPECT_EQ(f.srv->active_connections(), 0u);
    }());
}

// --- HTTP-level admission and metrics (raw Beast clients) ----------------------------------

awaitable<unsigned> upgrade_status(std::uint16_t port, std::string origin) {
    auto ex = co_await net::this_coro::executor;
    websocket::stream<beast::tcp_stream> ws(ex);
    co_await beast::get_lowest_layer(ws).async_connect(tcp_endpoint{net::ip::make_address("127.0.0.1"), port},
                                                       net::use_awaitable);
    if (!origin.empty())
        ws.set_option(websocket::stream_base::decorator(
            [origin](websocket::request_type& req) { req.set(http::field::origin, origin); }));
    websocket::response_type res;
    auto [ec] = co_await ws.async_handshake(res, "127.0.0.1", "/ws", nothrow);
    (void)ec;
    co_return res.result_int();
}

// RFC 6455 §4.1: a key that is not a base64 16-byte nonce is a bad request (Beast accepts any).
TEST(runtime, an_upgrade_whose_key_is_not_a_16_byte_nonce_gets_400) {
    fixture f;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        for (const std::string key : {"abc", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZXg=", ""}) {
            http_request req{http::verb::get, "/ws", 11};
            req.set(http::field::upgrade, "websocket");
            req.set(http::field::connection, "Upgrade");
            req.set(http::field::sec_websocket_version, "13");
            if (!key.empty()) req.set(http::field::sec_websocket_key, key);
            auto res = co_await sealed_test::http_exchange(f.port, req);
            EXPECT_EQ(res.result_int(), 400u) << "key '" << key << "'";
        }
        const auto good = sealed_test::upgrade_request("/ws");
        auto res = co_await sealed_test::http_exchange(f.port, good);
        EXPECT_EQ(res.result_int(), 101u);
    }());
}

// A client may send its first frame in the same write as the upgrade request: the bytes the
// HTTP reader took past the request are the WebSocket stream's first (hardening round 2, #8).
TEST(runtime, a_frame_sent_with_the_upgrade_request_is_read) {
    fixture f;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        beast::tcp_stream s(co_await net::this_coro::executor);
        s.expires_after(std::chrono::seconds(3));
        co_await s.async_connect(tcp_endpoint{net::ip::make_address("127.0.0.1"), f.port}, net::use_awaitable);
        std::string wire =
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        const std::string hello = "hello raw";  // the named scheme's handshake; masked with a zero key
        wire += {'\x81', static_cast<char>(0x80 | hello.size()), 0, 0, 0, 0};
        wire += hello;
        co_await net::async_write(s, net::buffer(wire), net::use_awaitable);
        beast::flat_buffer buf;
        http::response_parser<http::empty_body> res;
        co_await http::async_read_header(s, buf, res, nothrow);
        EXPECT_EQ(res.get().result_int(), 101u);
        // The server's "ok" (an unmasked text frame) answers the hello only if it was read.
        while (buf.size() < 4) {
            auto [ec, n] = co_await s.async_read_some(buf.prepare(64), nothrow);
            if (ec) break;
            buf.commit(n);
        }
        const std::string got = beast::buffers_to_string(buf.data());
        EXPECT_EQ(got.substr(0, 4), std::string("\x81\x02ok", 4));
    }());
}

// RFC 6455 §7.4.2 defines close codes up to 4999: a peer closing with 5000 or 65535 is not
// answered with its own code (Beast's default) but its connection is failed.
TEST(runtime, a_close_code_past_4999_is_not_echoed) {
    fixture f;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        for (const std::uint16_t code : {std::uint16_t(5000), std::uint16_t(65535)}) {
            auto ch = co_await f.connect("odd");
            CO_ASSERT_OK(ch);
            auto& native = ch->transport().native();
            beast::get_lowest_layer(native).expires_after(std::chrono::seconds(3));
            const websocket::close_reason undefined(static_cast<websocket::close_code>(code));
            auto [ec] = co_await native.async_close(undefined, nothrow);
            EXPECT_TRUE(ec) << code;
            EXPECT_NE(native.reason().code, code);
        }
        auto other = co_await f.connect("bystander");
        CO_ASSERT_OK(other);
        EXPECT_TRUE(co_await still_echoes(*other));
    }());
}

TEST(runtime, browser_origins_outside_the_allowlist_get_403) {
    fixture f;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        EXPECT_EQ(co_await upgrade_status(f.port, "http://evil.example"), 403u);
        EXPECT_EQ(co_await upgrade_status(f.port, "null"), 403u);
        EXPECT_EQ(co_await upgrade_status(f.port, "http://localhost:3000"), 101u);
        EXPECT_EQ(co_await upgrade_status(f.port, "http://[::1]:8080"), 101u);
        EXPECT_EQ(co_await upgrade_status(f.port, ""), 101u);  // not a browser
        EXPECT_EQ(f.srv->stats().refused_origin.load(), 2u);
    }());
}

awaitable<http_response> http_get(std::uint16_t port, std::string target) {
    beast::tcp_stream s(co_await net::this_coro::executor);
    co_await s.async_connect(tcp_endpoint{net::ip::make_address("127.0.0.1"), port}, net::use_awaitable);
    http_request req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    co_await http::async_write(s, req, net::use_awaitable);
    beast::flat_buffer buf;
    http_response res;
    co_await http::async_read(s, buf, res, net::use_awaitable);
    co_return res;
}

TEST(runtime, metrics_endpoint_reports_connections_and_handshakes) {
    fixture f;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto c = co_await f.connect("counted");
        CO_ASSERT_TRUE(c);
        auto m = as_bytes("one");
        EXPECT_FALSE(co_await c->async_send(m));
        EXPECT_EQ(co_await receive_within(*c, 2000ms), "one");
        auto res = co_await http_get(f.port, "/metrics");
        EXPECT_EQ(res.result_int(), 200u);
        const auto& body = res.body();
        EXPECT_NE(body.find("sealed_handshakes_ok_total 1\n"), std::string::npos) << body;
        EXPECT_NE(body.find("sealed_messages_in_total 1\n"), std::string::npos);
        EXPECT_NE(body.find("sealed_handshake_seconds_count 1\n"), std::string::npos);
        EXPECT_NE(body.find("# TYPE sealed_connections_open gauge"), std::string::npos);
        auto missing = co_await http_get(f.port, "/nothing-here");
        EXPECT_EQ(missing.result_int(), 404u);
    }());
}

}  // namespace

namespace {

// The client keeps its session up across a server restart: it reconnects (with backoff) to a new
// server on the same port and handshakes again.
TEST(runtime_client, reconnects_with_backoff_after_a_server_restart) {
    fixture f;
    f.start();
    auto sessions = std::make_shared<int>(0);
    auto failures = std::make_shared<int>(0);
    const client_config ccfg;
    const scheme::options opts{"phoenix"};
    reconnect_policy policy;
    policy.initial = 20ms;
    policy.max = 200ms;
    auto on_session = [sessions](test_client::channel_type& ch) -> awaitable<bool> {
        ++*sessions;
        auto m = as_bytes("x:ping");
        if (co_await ch.async_send(m)) co_return false;
        message_buffer in;
        while (!co_await ch.async_receive(in)) {}  // until the server goes away
        co_return *sessions >= 2;                  // done after the second session
    };
    net::co_spawn(f.io, test_client::run(f.io.get_executor(), f.url(), ccfg, opts, on_session, policy,
                                         [failures](const error_code&) { ++*failures; }),
                  net::detached);
    run(f.io, [&]() -> awaitable<void> {
        for (int i = 0; i < 200 && *sessions < 1; ++i) co_await sleep_for(5ms);
        EXPECT_EQ(*sessions, 1);
        co_await f.srv->async_stop();          // the server goes away ...
        const auto port = f.port;
        co_await sleep_for(150ms);             // ... the client fails to reconnect a few times ...
        f.cfg.listen = "127.0.0.1:" + std::to_string(port);
        f.start();                             // ... and a new one comes back on the same port
        for (int i = 0; i < 400 && *sessions < 2; ++i) co_await sleep_for(5ms);
        EXPECT_EQ(*sessions, 2);
        EXPECT_GE(*failures, 1) << "the client should have retried while the server was down";
        EXPECT_LE(*failures, 10) << "backoff should space the retries";
    }(), 20s);
}

}  // namespace
