// Each transport over real loopback sockets (and the in-memory pipe): messages, kinds, limits,
// close reasons, TLS hardening.
#include <sealed/tls.hpp>
#include <sealed/transport/memory.hpp>
#include <sealed/transport/tcp.hpp>
#include <sealed/transport/websocket.hpp>
#include <sealed/detail/http_front.hpp>

#include <sealed_test/run.hpp>
#include <sealed_test/tls.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

namespace {

using namespace sealed;
using sealed_test::run;
constexpr auto nothrow = net::as_tuple(net::use_awaitable);

bytes make_bytes(std::string_view s) { return bytes(s.begin(), s.end()); }

// --- memory ---------------------------------------------------------------------------------

TEST(memory_transport, delivers_in_order_with_kinds) {
    net::io_context io;
    run(io, [&]() -> awaitable<void> {
        auto [a, b] = transport::memory_stream::make_pair(io.get_executor());
        auto one = make_bytes("one"), two = make_bytes("two");
        EXPECT_FALSE(co_await a.async_write(one, message_kind::text));
        EXPECT_FALSE(co_await a.async_write(two, message_kind::binary));
        message_buffer in;
        EXPECT_FALSE(co_await b.async_read(in));
        EXPECT_EQ(in.text(), "one");
        EXPECT_EQ(in.kind(), message_kind::text);
        EXPECT_FALSE(co_await b.async_read(in));
        EXPECT_EQ(in.text(), "two");
        EXPECT_EQ(in.kind(), message_kind::binary);
    }());
}

TEST(memory_transport, close_is_seen_with_its_reason_and_drop_is_a_reset) {
    net::io_context io;
    run(io, [&]() -> awaitable<void> {
        auto [a, b] = transport::memory_stream::make_pair(io.get_executor());
        const close_reason bye{4001, "bye"};
        co_await a.async_close(bye);
        message_buffer in;
        EXPECT_EQ(co_await b.async_read(in), net::error::eof);
        CO_ASSERT_TRUE(b.peer_close_reason());
        EXPECT_EQ(b.peer_close_reason()->code, 4001);
        auto [c, d] = transport::memory_stream::make_pair(io.get_executor());
        { auto gone = std::move(c); }
        EXPECT_EQ(co_await d.async_read(in), net::error::connection_reset);
    }());
}

TEST(memory_transport, fail_after_breaks_the_nth_operation) {
    net::io_context io;
    run(io, [&]() -> awaitable<void> {
        auto [a, b] = transport::memory_stream::make_pair(io.get_executor());
        a.fail_after(2);
        auto x = make_bytes("x");
        EXPECT_FALSE(co_await a.async_write(x, message_kind::binary));
        EXPECT_FALSE(co_await a.async_write(x, message_kind::binary));
        EXPECT_EQ(co_await a.async_write(x, message_kind::binary), net::error::connection_reset);
        message_buffer in;
        EXPECT_EQ(co_await a.async_read(in), net::error::connection_reset);
    }());
}

TEST(memory_transport, oversized_message_is_refused_and_read_is_cancellable) {
    net::io_context io;
    run(io, [&]() -> awaitable<void> {
        auto [a, b] = transport::memory_stream::make_pair(io.get_executor(), {8});
        auto big = bytes(9, 1);
        EXPECT_FALSE(co_await a.async_write(big, message_kind::binary));
        message_buffer in;
        EXPECT_EQ(co_await b.async_read(in), errc::message_too_big);
        // A pending read gives way to a timer (what run_handshake's deadline relies on).
        using namespace net::experimental::awaitable_operators;
        net::steady_timer timer(io, std::chrono::milliseconds(20));
        auto winner = co_await (b.async_read(in) || timer.async_wait(nothrow));
        EXPECT_EQ(winner.index(), 1u);
    }());
}

// --- raw TCP --------------------------------------------------------------------------------

struct tcp_pair {
    net::ip::tcp::acceptor acceptor;
    explicit tcp_pair(net::io_context& io) : acceptor(io, {net::ip::make_address("127.0.0.1"), 0}) {}
    url target() const { return *url::parse("tcp://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port())); }
    awaitable<beast::tcp_stream> accept() {
        auto socket = co_await acceptor.async_accept(net::use_awaitable);
        co_return beast::tcp_stream(std::move(socket));
    }
};

TEST(tcp_transport, framed_messages_keep_boundaries_and_kinds) {
    net::io_context io;
    run(io, [&]() -> awaitable<void> {
        tcp_pair p(io);
        auto client = co_await transport::async_connect_framed(io.get_executor(), p.target());
        EXPECT_TRUE(client);
        if (!client) co_return;
        transport::framed_stream server(co_await p.accept());
        auto empty = bytes{}, text = make_bytes("hello"), big = bytes(100000, 7);
        EXPECT_FALSE(co_await client->async_write(empty, message_kind::binary));
        EXPECT_FALSE(co_await client->async_write(text, message_kind::text));
        EXPECT_FALSE(co_await client->async_write(big, message_kind::binary));
        message_buffer in;
        EXPECT_FALSE(co_await server.async_read(in));
        EXPECT_EQ(in.size(), 0u);
        EXPECT_FALSE(co_await server.async_read(in));
        EXPECT_EQ(in.text(), "hello");
        EXPECT_EQ(in.kind(), message_kind::text);
        EXPECT_FALSE(co_await server.async_read(in));
        EXPECT_EQ(in.size(), big.size());
        EXPECT_EQ(in.kind(), message_kind::binary);
    }());
}

TEST(tcp_transport, framed_header_over_limit_is_refused_without_buffering) {
    net::io_context io;
    run(io, [&]() -> awaitable<void> {
        tcp_pair p(io);
        net::ip::tcp::socket raw(io);
        co_await raw.async_connect(p.acceptor.local_endpoint(), net::use_awaitable);
        transport::tcp_options opts;
        opts.max_message_size = 1024;
        transport::framed_stream server(co_await p.accept(), opts);
        const std::array<byte, 4> header{0x7f, 0xff, 0xff, 0xff};  // announces 2 GiB
        co_await net::async_write(raw, net::buffer(header), net::use_awaitable);
        message_buffer in;
        EXPECT_EQ(co_await server.async_read(in), errc::message_too_big);
        EXPECT_LT(in.capacity(), 1024u);
        // The server closed the connection.
        std::array<byte, 1> one{};
        auto [ec, n] = co_await net::async_read(raw, net::buffer(one), nothrow);
        EXPECT_TRUE(ec);
    }());
}

TEST(tcp_transport, byte_stream_carries_every_byte_whatever_the_chunking) {
    net::io_context io;
    run(io, [&]() -> awaitable<void> {
        tcp_pair p(io);
        auto client = co_await transport::async_connect_bytes(io.get_executor(), p.target());
        EXPECT_TRUE(client);
        if (!client) co_return;
        transport::byte_stream server(co_await p.accept());
        bytes sent(200000);
        for (std::size_t i = 0; i < sent.size(); ++i) sent[i] = byte(i * 31);
        for (std::size_t off = 0; off < sent.size(); off += 7001)
            EXPECT_FALSE(co_await client->async_write(const_bytes(sent).subspan(off, std::min<std::size_t>(7001, sent.size() - off)),
                                                      message_kind::binary));
        bytes got;
        message_buffer in;
        while (got.size() < sent.size()) {
            if (co_await server.async_read(in)) break;
            got.insert(got.end(), in.bytes().begin(), in.bytes().end());
        }
        EXPECT_EQ(got, sent);
    }());
}

// --- WebSocket ------------------------------------------------------------------------------

struct ws_listener {
    net::ip::tcp::acceptor acceptor;
    explicit ws_listener(net::io_context& io) : acceptor(io, {net::ip::make_address("127.0.0.1"), 0}) {}
    std::string port() const { return std::to_string(acceptor.local_endpoint().port()); }

    awaitable<transport::ws_stream> accept(std::size_t max_message = 1 << 20) {
        beast::tcp_stream stream(co_await acceptor.async_accept(net::use_awaitable));
        beast::flat_buffer buf;
        http_request req;
        co_await http::async_read(stream, buf, req, net::use_awaitable);
        transport::websocket_options opts;
        opts.max_message_size = max_message;
        co_return (co_await transport::async_accept_upgrade(std::move(stream), req, {}, opts)).value();
    }

    // A client connected to this listener, and the server's side of that connection (both
    // empty, with a test failure, if the client could not connect).
    struct connected_pair {
        std::optional<transport::ws_stream> client, server;
        explicit operator bool() const { return client && server; }
    };
    awaitable<connected_pair> connect_pair(std::size_t max_message = 1 << 20) {
        auto ex = acceptor.get_executor();
        auto accepted = std::make_shared<std::optional<transport::ws_stream>>();
        net::co_spawn(ex, accept_into(this, accepted, max_message), net::detached);
        const auto target = *url::parse("ws://127.0.0.1:" + port() + "/ws");
        const transport::websocket_options defaults;
        auto client = co_await transport::async_connect_ws(ex, target, defaults);
        connected_pair pair;
        if (!client) {
            ADD_FAILURE() << client.error().message();
            co_return pair;
        }
        while (!*accepted) {
            net::steady_timer t(ex, std::chrono::milliseconds(1));
            co_await t.async_wait(net::use_awaitable);
        }
        pair.client.emplace(std::move(*client));
        pair.server.emplace(std::move(**accepted));
        co_return pair;
    }

private:
    static awaitable<void> accept_into(ws_listener* l, std::shared_ptr<std::optional<transport::ws_stream>> out,
                                       std::size_t max_message) {
        out->emplace(co_await l->accept(max_message));
    }
};

TEST(websocket_transport, kinds_limits_and_close_codes) {
    net::io_context io;
    run(io, [&]() -> awaitable<void> {
        ws_listener l(io);
        auto pair = co_await l.connect_pair(64);
        CO_ASSERT_TRUE(pair);
        auto& client = pair.client;
        auto& server = pair.server;
        auto text = make_bytes("{\"event\":\"x\"}"), bin = bytes{0, 1, 2};
        EXPECT_FALSE(co_await client->async_write(text, message_kind::text));
        EXPECT_FALSE(co_await client->async_write(bin, message_kind::binary));
        message_buffer in;
        EXPECT_FALSE(co_await server->async_read(in));
        EXPECT_EQ(in.kind(), message_kind::text);
        EXPECT_EQ(in.text(), "{\"event\":\"x\"}");
        EXPECT_FALSE(co_await server->async_read(in));
        EXPECT_EQ(in.kind(), message_kind::binary);
        EXPECT_EQ(in.size(), 3u);
        // Over the server's 64-byte limit: the server refuses it and the client sees 1009.
        // Both read at once: the server's close waits for the client's answer.
        auto big = bytes(65, 1);
        EXPECT_FALSE(co_await client->async_write(big, message_kind::binary));
        message_buffer client_in;
        auto server_read = [&]() -> awaitable<error_code> { co_return co_await server->async_read(in); };
        auto client_read = [&]() -> awaitable<error_code> { co_return co_await client->async_read(client_in); };
        using namespace net::experimental::awaitable_operators;
        auto [server_ec, client_ec] = co_await (server_read() && client_read());
        EXPECT_EQ(server_ec, errc::message_too_big);
        EXPECT_TRUE(client_ec);
        CO_ASSERT_TRUE(client->peer_close_reason());
        EXPECT_EQ(client->peer_close_reason()->code, close_code::too_big);
    }());
}

// The server's first read of a message is capped at 256 bytes (memory per quiet connection):
// every size around the cap, and fragmented messages, still arrive whole, and the buffer a big
// message grew is given back.
TEST(websocket_transport, messages_of_every_size_arrive_whole_and_a_big_buffer_is_released) {
    net::io_context io;
    run(io, [&]() -> awaitable<void> {
        ws_listener l(io);
        auto pair = co_await l.connect_pair(1 << 20);
        CO_ASSERT_TRUE(pair);
        auto& client = pair.client;
        auto& server = pair.server;
        auto pattern = [](std::size_t n) {
            bytes b(n);
            for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<byte>(i * 31 + n);
            return b;
        };
        message_buffer in;
        for (const std::size_t n : {0u, 1u, 255u, 256u, 257u, 1000u, 1536u, 1537u, 4097u, 70000u, 10u}) {
            const auto m = pattern(n);
            EXPECT_FALSE(co_await client->async_write(m, message_kind::binary));
            EXPECT_FALSE(co_await server->async_read(in)) << n;
            EXPECT_EQ(in.size(), n);
            EXPECT_TRUE(std::equal(m.begin(), m.end(), in.bytes().begin(), in.bytes().end())) << n;
        }
        EXPECT_LE(in.capacity(), 4096u) << "the 70 000-byte message's buffer was kept";
        // Fragmented: 300-byte frames.
        client->native().auto_fragment(true);
        client->native().write_buffer_bytes(300);
        for (const std::size_t n : {299u, 301u, 5000u}) {
            const auto m = pattern(n);
            EXPECT_FALSE(co_await client->async_write(m, message_kind::binary));
            EXPECT_FALSE(co_await server->async_read(in)) << n;
            EXPECT_EQ(in.size(), n);
            EXPECT_TRUE(std::equal(m.begin(), m.end(), in.bytes().begin(), in.bytes().end())) << n;
        }
    }());
}

TEST(websocket_transport, application_close_code_reaches_the_peer) {
    net::io_context io;
    run(io, [&]() -> awaitable<void> {
        ws_listener l(io);
        auto pair = co_await l.connect_pair();
        CO_ASSERT_TRUE(pair);
        auto& client = pair.client;
        auto& server = pair.server;
        message_buffer in;
        auto reader = [&]() -> awaitable<error_code> { co_return co_await client->async_read(in); };
        const close_reason auth_failed{4003, "authentication failed"};
        auto closer = [&]() -> awaitable<void> { co_await server->async_close(auth_failed); };
        using namespace net::experimental::awaitable_operators;
        auto read_ec = co_await (reader() && closer());
        EXPECT_EQ(read_ec, websocket::error::closed);
        CO_ASSERT_TRUE(client->peer_close_reason());
        EXPECT_EQ(client->peer_close_reason()->code, 4003);
        EXPECT_EQ(client->peer_close_reason()->reason, "authentication failed");
    }());
}

// --- TLS hardening --------------------------------------------------------------------------

// A raw TLS client with the given restrictions must fail against a sealed server context.
bool tls_client_connects(int max_version, const char* tls12_ciphers) {
    net::io_context io;
    auto server_ctx = sealed_test::shared_tls().server();
    net::ip::tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), 0});
    bool server_ok = false, client_ok = false;
    auto server = [&]() -> awaitable<void> {
        auto socket = co_await acceptor.async_accept(net::use_awaitable);
        net::ssl::stream<net::ip::tcp::socket> s(std::move(socket), *server_ctx);
        auto [ec] = co_await s.async_handshake(net::ssl::stream_base::server, nothrow);
        server_ok = !ec;
    };
    auto client = [&]() -> awaitable<void> {
        net::ssl::context ctx(net::ssl::context::tls_client);
        ctx.set_verify_mode(net::ssl::verify_none);
        SSL_CTX_set_security_level(ctx.native_handle(), 0);  // allow the old protocol to be offered
        SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_VERSION);
        SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
        if (tls12_ciphers) SSL_CTX_set_cipher_list(ctx.native_handle(), tls12_ciphers);
        net::ssl::stream<net::ip::tcp::socket> s(io, ctx);
        co_await s.next_layer().async_connect(acceptor.local_endpoint(), net::use_awaitable);
        auto [ec] = co_await s.async_handshake(net::ssl::stream_base::client, nothrow);
        client_ok = !ec;
    };
    net::co_spawn(io, server(), net::detached);
    net::co_spawn(io, client(), net::detached);
    io.run_for(std::chrono::seconds(5));
    return server_ok && client_ok;
}

TEST(tls, modern_client_connects) { EXPECT_TRUE(tls_client_connects(TLS1_3_VERSION, nullptr)); }
TEST(tls, tls11_client_is_refused) { EXPECT_FALSE(tls_client_connects(TLS1_1_VERSION, nullptr)); }
TEST(tls, cbc_only_client_is_refused) {
    EXPECT_FALSE(tls_client_connects(TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384"));
}

TEST(tls, client_refuses_an_untrusted_certificate) {
    net::io_context io;
    run(io, [&]() -> awaitable<void> {
        ws_listener l(io);  // any TCP listener: the TLS handshake fails before HTTP
        auto other = tls::make_self_signed("localhost");
        tls::client_options o;
        o.ca_pem = other.cert_pem;  // trusts a different certificate
        auto ctx = tls::make_client_context(o).value();
        auto server_ctx = sealed_test::shared_tls().server();
        auto serve = [&]() -> awaitable<void> {
            auto socket = co_await l.acceptor.async_accept(net::use_awaitable);
            net::ssl::stream<net::ip::tcp::socket> s(std::move(socket), *server_ctx);
            co_await s.async_handshake(net::ssl::stream_base::server, nothrow);
        };
        net::co_spawn(io, serve(), net::detached);
        auto target = *url::parse("wss://127.0.0.1:" + l.port() + "/ws");
        const transport::websocket_options defaults;
        auto client = co_await transport::async_connect_wss(io.get_executor(), target, ctx, defaults);
        EXPECT_FALSE(client);
    }());
}

}  // namespace
