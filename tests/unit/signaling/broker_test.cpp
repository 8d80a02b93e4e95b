// The signaling broker over real loopback WebSockets, driven by the C++ signaling client:
// registration and refusals, relay with forced src, offline queues and EXPIRE, LEAVE on drop,
// HEARTBEAT liveness, bad frames (none affects another peer), HTTP routes with CORS.
#include <sealed/server.hpp>
#include <sealed/signaling/client.hpp>

#include <sealed_test/http.hpp>
#include <sealed_test/run.hpp>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>

#include <deque>

namespace {

using namespace sealed;
using namespace std::chrono_literals;
namespace sig = sealed::signaling;
using sealed_test::sleep_for;

// A connected client with a reader that keeps every frame: waiting for one with a time limit
// never cancels a WebSocket read (Beast's reads do not survive cancellation).
struct test_peer {
    explicit test_peer(sig::client c) : client(std::move(c)) {}
    sig::client client;
    std::deque<std::pair<sig::message, std::string>> inbox;  // parsed, raw
    bool closed = false;

    std::string last_raw;  // the raw text of the frame next() returned last

    awaitable<error_code> async_send(const sig::message& m) { return client.async_send(m); }
    awaitable<error_code> async_send_raw(std::string_view frame) { return client.async_send_raw(frame); }
    awaitable<error_code> async_heartbeat() { return client.async_heartbeat(); }
    awaitable<void> async_close() { return client.async_close(); }
    std::optional<close_reason> close_reason_received() { return client.channel().transport().peer_close_reason(); }
};
using peer_ptr = std::shared_ptr<test_peer>;

peer_ptr start_reading(sig::client c) {
    auto peer = std::make_shared<test_peer>(std::move(c));
    net::co_spawn(
        peer->client.channel().transport().get_executor(),
        [peer]() -> awaitable<void> {
            for (;;) {
                auto m = co_await peer->client.async_receive();
                if (!m && m.error() != make_error_code(sig::error::malformed_message)) break;
                if (m) peer->inbox.emplace_back(std::move(*m), peer->client.last_raw());
            }
            peer->closed = true;
        },
        net::detached);
    return peer;
}

// The next frame within `limit`, or nullopt (nothing came).
awaitable<std::optional<sig::message>> next(test_peer& p, std::chrono::milliseconds limit = 2s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (p.inbox.empty() && !p.closed && std::chrono::steady_clock::now() < deadline) co_await sleep_for(5ms);
    if (p.inbox.empty()) co_return std::nullopt;
    auto m = std::move(p.inbox.front().first);
    p.last_raw = std::move(p.inbox.front().second);
    p.inbox.pop_front();
    co_return m;
}

awaitable<bool> closed_within(test_peer& p, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!p.closed && std::chrono::steady_clock::now() < deadline) co_await sleep_for(5ms);
    co_return p.closed;
}

struct broker_fixture {
    net::io_context io;
    std::shared_ptr<sig::broker> broker;
    std::unique_ptr<server<ws, sig::scheme>> srv;
    std::uint16_t port = 0;

    explicit broker_fixture(sig::broker_options opts = fast(), server_config cfg = {}) {
        broker = sig::broker::make(io.get_executor(), std::move(opts));
        cfg.listen = "127.0.0.1:0";
        cfg.ws_path = broker->ws_path();
        cfg.threads = 1;
        srv = std::make_unique<server<ws, sig::scheme>>(io, cfg, sig::scheme::options{broker});
        srv->on_http([b = broker](const http_request& req) { return b->http(req); });
        srv->on_session([b = broker](auto& conn) -> awaitable<void> { co_await sig::serve(*b, conn); });
        broker->start();
        port = srv->start().value().port();
    }
    ~broker_fixture() {
        broker->stop();
        srv->stop();
        sealed_test::drain(io);
    }
    static sig::broker_options fast() {
        sig::broker_options o;
        o.path = "/myapp";
        o.expire_timeout = 400ms;
        return o;
    }
    sig::client_options as(std::string_view id, std::string_view token = "t") const {
        sig::client_options o;
        o.port = port;
        o.path = "/myapp";
        o.id = std::string(id);
        o.token = std::string(token) + "-" + o.id;
        return o;
    }
    // string_view parameters and named options: no temporaries inside co_await (ADR-0001).
    awaitable<result<sig::client>> connect(std::string_view id, std::string_view token = "t") {
        const auto options = as(id, token);
        const net::any_io_executor ex = io.get_executor();
        co_return co_await sig::client::connect(ex, options);
    }
    // Connected and reading; null (and a test failure) if refused.
    awaitable<peer_ptr> join(std::string_view id, std::string_view token = "t") {
        auto c = co_await connect(id, token);
        if (!c) {
            ADD_FAILURE() << "cannot connect " << id << ": " << c.error().message();
            co_return nullptr;
        }
        co_return start_reading(std::move(*c));
    }
};

sig::message offer(std::string_view dst, std::string_view sdp) {
    sig::message m{"OFFER", {}, std::string(dst), boost::json::object{{"type", "data"}, {"sdp", sdp}}};
    return m;
}

awaitable<error_code> send_offer(test_peer& p, std::string_view dst, std::string_view sdp) {
    const auto m = offer(dst, sdp);
    co_return co_await p.client.async_send(m);
}

std::string sdp_of(const sig::message& m) {
    if (!m.payload || !m.payload->is_object()) return "(" + m.type + " without a payload object)";
    auto* sdp = m.payload->as_object().if_contains("sdp");
    return sdp && sdp->is_string() ? std::string(sdp->as_string()) : "(no sdp)";
}

TEST(signaling_broker, relays_with_src_forced_to_the_sender) {
    broker_fixture f;
    sealed_test::run(f.io, [&]() -> awaitable<void> {
        auto a = co_await f.join("alice");
        auto b = co_await f.join("bob");
        CO_ASSERT_TRUE(a && b);
        auto spoofed = offer("bob", "v=0 offer");
        spoofed.src = "mallory";
        EXPECT_FALSE(co_await a->async_send(spoofed));
        auto got = co_await next(*b);
        CO_ASSERT_TRUE(got);
        EXPECT_EQ(got->type, "OFFER");
        EXPECT_EQ(got->src, "alice");  // never what the sender wrote
        EXPECT_EQ(got->dst, "bob");
        EXPECT_EQ(sdp_of(*got), "v=0 offer");

        sig::message answer{"ANSWER", {}, "alice", boost::json::object{{"sdp", "v=0 answer"}}};
        EXPECT_FALSE(co_await b->async_send(answer));
        got = co_await next(*a);
        CO_ASSERT_TRUE(got);
        EXPECT_EQ(got->type, "ANSWER");
        EXPECT_EQ(got->src, "bob");
        for (auto type : {"CANDIDATE", "LEAVE", "EXPIRE"}) {
            sig::message m{type, {}, "bob", boost::json::object{{"candidate", "c"}}};
            EXPECT_FALSE(co_await a->async_send(m));
            got = co_await next(*b);
            CO_ASSERT_TRUE(got);
            EXPECT_EQ(got->type, type);
        }
        EXPECT_EQ(f.broker->registered(), 2u);
    }());
}

TEST(signaling_broker, refusals_follow_the_reference_order_and_texts) {
    sig::broker_options opts = broker_fixture::fast();
    opts.concurrent_limit = 2;
    broker_fixture f(opts);
    sealed_test::run(f.io, [&]() -> awaitable<void> {
        const net::any_io_executor ex = f.io.get_executor();
        auto a = co_await f.join("alice");
        CO_ASSERT_TRUE(a);
        auto expect_refused = [&](const sig::client_options& o, sig::error e) -> awaitable<void> {
            auto c = co_await sig::client::connect(ex, o);
            EXPECT_FALSE(c);
            if (!c) {
                EXPECT_EQ(c.error(), make_error_code(e)) << c.error().message();
            }
        };
        auto no_token = f.as("carol");
        no_token.token.clear();
        co_await expect_refused(no_token, sig::error::missing_parameters);
        auto wrong_key = f.as("carol");
        wrong_key.key = "not-the-key";
        co_await expect_refused(wrong_key, sig::error::invalid_key);
        auto wrong_key_and_taken = f.as("alice", "other");  // the key is checked before the id
        wrong_key_and_taken.key = "nope";
        co_await expect_refused(wrong_key_and_taken, sig::error::invalid_key);
        const auto taken = f.as("alice", "other"), bad_syntax = f.as("bad id!"), too_long = f.as(std::string(300, 'a'));
        co_await expect_refused(taken, sig::error::id_taken);
        co_await expect_refused(bad_syntax, sig::error::invalid_id);
        co_await expect_refused(too_long, sig::error::invalid_id);

        auto b = co_await f.join("bob");
        CO_ASSERT_TRUE(b);
        const auto carol = f.as("carol");
        co_await expect_refused(carol, sig::error::concurrent_limit);
        co_await expect_refused(taken, sig::error::id_taken);  // checked before the limit

        // The same token takes the id over, even at the limit, and is told OPEN.
        auto again = co_await f.join("alice");
        EXPECT_TRUE(again);
        // None of it disturbed the registered peers.
        EXPECT_FALSE(co_await send_offer(*b, "alice", "still here"));
        auto got = co_await next(*again);
        CO_ASSERT_TRUE(got);
        EXPECT_EQ(sdp_of(*got), "still here");
        EXPECT_EQ(f.broker->stats().refused.load(), 8u);
    }());
}

TEST(signaling_broker, refused_sockets_get_the_error_frame_then_close_1008) {
    broker_fixture f;
    sealed_test::run(f.io, [&]() -> awaitable<void> {
        auto target = url::parse("ws://127.0.0.1:" + std::to_string(f.port) + "/myapp/peerjs?key=peerjs&id=x").value();
        const transport::websocket_options ws_opts;  // named: no temporaries in co_await (ADR-0001)
        const net::any_io_executor ex = f.io.get_executor();
        auto ws = co_await transport::async_connect_ws(ex, target, ws_opts);
        CO_ASSERT_TRUE(ws);
        message_buffer in;
        EXPECT_FALSE(co_await ws->async_read(in));
        EXPECT_EQ(in.text(), R"({"type":"ERROR","payload":{"msg":"No id, token, or key supplied to websocket server"}})");
        EXPECT_TRUE(co_await ws->async_read(in));
        auto reason = ws->peer_close_reason();
        CO_ASSERT_TRUE(reason);
        EXPECT_EQ(reason->code, close_code::policy_violation);
        EXPECT_EQ(reason->reason, "No id, token, or key supplied to websocket server");
    }());
}

TEST(signaling_broker, an_api_token_guards_sockets_and_the_id_routes) {
    sig::broker_options opts = broker_fixture::fast();
    opts.api_token = "s3cret";
    broker_fixture f(opts);
    sealed_test::run(f.io, [&]() -> awaitable<void> {
        const net::any_io_executor ex = f.io.get_executor();
        auto without = co_await f.connect("alice");
        EXPECT_FALSE(without);
        if (!without) {
            EXPECT_EQ(without.error(), make_error_code(sig::error::invalid_api_token));
        }
        auto wrong = f.as("alice");
        wrong.api_token = "guess";
        EXPECT_FALSE(co_await sig::client::connect(ex, wrong));
        auto right = f.as("alice");
        right.api_token = "s3cret";
        EXPECT_TRUE(co_await sig::client::connect(ex, right));

        EXPECT_EQ((co_await sealed_test::http_get(f.port, "/myapp/peerjs/id")).result_int(), 401u);
        EXPECT_EQ((co_await sealed_test::http_get(f.port, "/myapp/peerjs/id?apiToken=s3cret")).result_int(), 200u);
        http_request bearer{http::verb::get, "/myapp/peerjs/id", 11};
        bearer.set(http::field::authorization, "Bearer s3cret");
        EXPECT_EQ((co_await sealed_test::http_exchange(f.port, bearer)).result_int(), 200u);
        EXPECT_EQ((co_await sealed_test::http_get(f.port, "/myapp/")).result_int(), 200u);  // info stays open
    }());
}

TEST(signaling_broker, offline_ids_queue_until_they_connect_or_expire) {
    sig::broker_options opts = broker_fixture::fast();
    opts.queue_limit = 3;
    broker_fixture f(opts);
    sealed_test::run(f.io, [&]() -> awaitable<void> {
        const net::any_io_executor ex = f.io.get_executor();
        auto a = co_await f.join("alice");
        CO_ASSERT_TRUE(a);
        // Queued for carol, who connects in time: OPEN, then the queued frames in order.
        EXPECT_FALSE(co_await send_offer(*a, "carol", "first"));
        EXPECT_FALSE(co_await send_offer(*a, "carol", "second"));
        co_await sleep_for(100ms);
        auto c = co_await f.join("carol");
        CO_ASSERT_TRUE(c);
        auto first = co_await next(*c), second = co_await next(*c);
        CO_ASSERT_TRUE(first && second);
        EXPECT_EQ(sdp_of(*first), "first");
        EXPECT_EQ(sdp_of(*second), "second");
        EXPECT_EQ(first->src, "alice");

        // Queued for dave, who never comes: one EXPIRE after expire_timeout (400 ms), not before.
        const auto sent = std::chrono::steady_clock::now();
        EXPECT_FALSE(co_await send_offer(*a, "dave", "1"));
        EXPECT_FALSE(co_await send_offer(*a, "dave", "2"));
        auto expired = co_await next(*a, 3s);
        CO_ASSERT_TRUE(expired);
        EXPECT_GE(std::chrono::steady_clock::now() - sent, 380ms);
        EXPECT_EQ(expired->type, "EXPIRE");
        EXPECT_EQ(expired->src, "dave");
        EXPECT_EQ(expired->dst, "alice");
        EXPECT_FALSE(co_await next(*a, 600ms));  // one per sender, not one per message

        // Over queue_limit: the sender hears at once, the queue does not grow.
        for (int i = 0; i < 3; ++i) {
            const auto sdp = std::to_string(i);
            EXPECT_FALSE(co_await send_offer(*a, "erin", sdp));
        }
        EXPECT_FALSE(co_await send_offer(*a, "erin", "one too many"));
        auto refused = co_await next(*a, 300ms);
        CO_ASSERT_TRUE(refused);
        EXPECT_EQ(refused->type, "EXPIRE");
        EXPECT_EQ(refused->src, "erin");
        // LEAVE and EXPIRE for an offline id are not queued (the reference's rule).
        const auto queued_before = f.broker->stats().queued.load();
        const sig::message leave_offline{"LEAVE", {}, "frank", {}};
        EXPECT_FALSE(co_await a->async_send(leave_offline));
        co_await sleep_for(50ms);
        EXPECT_EQ(f.broker->stats().queued.load(), queued_before);
    }());
}

// Hardening round 2, item 8: offline queues held up to 100 x ~1 MiB per absent id (697 MB peak).
// Bytes are bounded per id and over all ids; past either, EXPIRE at once.
TEST(signaling_broker, offline_queues_are_bounded_in_bytes_per_id_and_in_total) {
    sig::broker_options opts = broker_fixture::fast();
    opts.queue_bytes_limit = 10 * 1024;
    opts.queued_bytes_limit = 24 * 1024;
    opts.expire_timeout = 5s;  // only the bounds' EXPIREs come within the test
    broker_fixture f(opts);
    sealed_test::run(f.io, [&]() -> awaitable<void> {
        auto a = co_await f.join("alice");
        CO_ASSERT_TRUE(a);
        const std::string four_kib(4 * 1024, 's');
        EXPECT_FALSE(co_await send_offer(*a, "ghost1", four_kib));
        EXPECT_FALSE(co_await send_offer(*a, "ghost1", four_kib));
        EXPECT_FALSE(co_await next(*a, 100ms)) << "two frames fit one id's 10 KiB";
        EXPECT_FALSE(co_await send_offer(*a, "ghost1", four_kib));
        auto per_id = co_await next(*a, 300ms);
        CO_ASSERT_TRUE(per_id);
        EXPECT_EQ(per_id->type, "EXPIRE");
        EXPECT_EQ(per_id->src, "ghost1");
        // ~8 KiB queued for ghost1; two more ids take the total to its 24 KiB.
        for (std::string_view id : {"ghost2", "ghost2", "ghost3", "ghost3"}) EXPECT_FALSE(co_await send_offer(*a, id, four_kib));
        auto total = co_await next(*a, 300ms);
        CO_ASSERT_TRUE(total);
        EXPECT_EQ(total->type, "EXPIRE");
        EXPECT_EQ(total->src, "ghost3");
        EXPECT_EQ(f.broker->stats().queued.load(), 5u);
    }());
}

TEST(signaling_broker, a_dropped_client_is_left_by_the_peers_it_talked_to) {
    broker_fixture f;
    sealed_test::run(f.io, [&]() -> awaitable<void> {
        const net::any_io_executor ex = f.io.get_executor();
        auto a = co_await f.join("alice");
        auto b = co_await f.join("bob");
        auto c = co_await f.join("carol");
        CO_ASSERT_TRUE(a && b && c);
        EXPECT_FALSE(co_await send_offer(*a, "bob", "hi"));
        CO_ASSERT_TRUE(co_await next(*b));
        co_await b->async_close();
        auto leave = co_await next(*a);
        CO_ASSERT_TRUE(leave);
        EXPECT_EQ(leave->type, "LEAVE");
        EXPECT_EQ(leave->src, "bob");
        EXPECT_EQ(leave->dst, "alice");
        EXPECT_FALSE(co_await next(*c, 300ms));  // carol never talked to bob
        co_await sleep_for(50ms);
        EXPECT_EQ(f.broker->registered(), 2u);  // bob's id is free again
        EXPECT_TRUE(co_await f.connect("bob", "someone-else"));
    }());
}

TEST(signaling_broker, no_heartbeat_within_alive_timeout_closes_the_socket) {
    sig::broker_options opts = broker_fixture::fast();
    opts.alive_timeout = 500ms;
    broker_fixture f(opts);
    sealed_test::run(f.io, [&]() -> awaitable<void> {
        const net::any_io_executor ex = f.io.get_executor();
        auto quiet = co_await f.join("quiet");
        auto beating = co_await f.join("beating");
        CO_ASSERT_TRUE(quiet && beating);
        for (int i = 0; i < 8; ++i) {  // 800 ms of heartbeats every 100 ms
            EXPECT_FALSE(co_await beating->async_heartbeat());
            co_await sleep_for(100ms);
        }
        EXPECT_TRUE(co_await closed_within(*quiet, 2s));
        EXPECT_EQ(f.broker->ids(), std::vector<std::string>{"beating"});
        EXPECT_EQ(f.broker->stats().liveness_closed.load(), 1u);
    }());
}

TEST(signaling_broker, bad_frames_get_an_error_and_disturb_no_one) {
    server_config cfg;
    cfg.max_message_size = 64 * 1024;
    broker_fixture f(broker_fixture::fast(), cfg);
    sealed_test::run(f.io, [&]() -> awaitable<void> {
        const net::any_io_executor ex = f.io.get_executor();
        auto a = co_await f.join("alice");
        auto b = co_await f.join("bob");
        CO_ASSERT_TRUE(a && b);
        const std::string malformed = sig::refusal_frame(make_error_code(sig::error::malformed_message));
        for (std::string_view bad : {"not json", "[1,2,3]", "42", "null", R"({"dst":"bob"})", R"({"type":5,"dst":"bob"})",
                                     R"({"type":"OFFER","dst":7})", R"({"type":"OFFER","src":{},"dst":"bob"})",
                                     R"({"type":"OFFER","dst":"bob")",
                                     // numbers past double range would be relayed as Infinity
                                     R"({"type":"OFFER","dst":"bob","payload":{"sdp":1e400}})",
                                     R"({"type":"OFFER","dst":"bob","payload":-1e400})",
                                     R"({"type":"ANSWER","dst":"bob","payload":[1,{"n":[2e999]}]})"}) {
            EXPECT_FALSE(co_await a->async_send_raw(bad));
            auto reply = co_await next(*a);
            CO_ASSERT_TRUE(reply);
            EXPECT_EQ(a->last_raw, malformed) << bad;
        }
        // Unknown types and relayed types without dst are dropped, as by the reference.
        for (std::string_view dropped : {R"({"type":"NOPE","dst":"bob"})", R"({"type":"offer","dst":"bob"})",
                                         R"({"type":"OPEN","dst":"bob"})", R"({"type":"OFFER"})"})
            EXPECT_FALSE(co_await a->async_send_raw(dropped));
        EXPECT_FALSE(co_await next(*a, 200ms));
        EXPECT_FALSE(co_await next(*b, 200ms));
        // Alice's socket still relays, and bob got nothing of the above.
        EXPECT_FALSE(co_await send_offer(*a, "bob", "after the noise"));
        auto got = co_await next(*b);
        CO_ASSERT_TRUE(got);
        EXPECT_EQ(sdp_of(*got), "after the noise");
        EXPECT_EQ(f.broker->stats().malformed.load(), 12u);
        EXPECT_EQ(f.broker->stats().dropped_unknown_type.load(), 3u);
        EXPECT_EQ(f.broker->stats().dropped_no_destination.load(), 1u);

        // An oversized frame closes that socket with 1009; bob is unaffected.
        const std::string huge = serialize(offer("bob", std::string(100 * 1024, 'x')));
        EXPECT_FALSE(co_await a->async_send_raw(huge));
        EXPECT_TRUE(co_await closed_within(*a, 2s));
        auto reason = a->close_reason_received();
        EXPECT_TRUE(reason && reason->code == close_code::too_big);
        auto leave = co_await next(*b);  // alice talked to bob, so bob hears she left
        CO_ASSERT_TRUE(leave);
        EXPECT_EQ(leave->type, "LEAVE");
        EXPECT_EQ(leave->src, "alice");
        auto c = co_await f.join("carol");
        CO_ASSERT_TRUE(c);
        EXPECT_FALSE(co_await send_offer(*c, "bob", "from carol"));
        got = co_await next(*b);
        CO_ASSERT_TRUE(got);
        EXPECT_EQ(sdp_of(*got), "from carol");
    }());
}

// The runtime's per-connection token bucket (--rate-limit-*) throttles a flooding peer: what it
// sends past the burst is dropped and counted, and another peer's frames still go through.
// Hardening round 2, item 8: a socket that sent LEAVE without dst (unregistered, socket open) or
// whose id a newer socket of the same token took over used to relay as the id, outside
// concurrent_limit. It gets ERROR not_registered and nothing is relayed.
TEST(signaling_broker, a_socket_that_left_or_was_replaced_speaks_for_nobody) {
    broker_fixture f(broker_fixture::fast());
    sealed_test::run(f.io, [&]() -> awaitable<void> {
        auto alice = co_await f.join("alice");
        auto bob = co_await f.join("bob");
        auto carol = co_await f.join("carol");
        CO_ASSERT_TRUE(alice && bob && carol);
        const std::string not_registered = sig::refusal_frame(make_error_code(sig::error::not_registered));

        EXPECT_FALSE(co_await alice->async_send_raw(R"({"type":"LEAVE"})"));
        EXPECT_FALSE(co_await send_offer(*alice, "bob", "after leaving"));
        auto refused = co_await next(*alice);
        CO_ASSERT_TRUE(refused);
        EXPECT_EQ(alice->last_raw, not_registered);

        auto carol_again = co_await f.join("carol");  // same token: takes the id over (OPEN)
        CO_ASSERT_TRUE(carol_again);
        EXPECT_FALSE(co_await send_offer(*carol, "bob", "from the old socket"));
        auto refused_old = co_await next(*carol);
        CO_ASSERT_TRUE(refused_old);
        EXPECT_EQ(carol->last_raw, not_registered);

        EXPECT_FALSE(co_await send_offer(*carol_again, "bob", "from the new socket"));
        auto got = co_await next(*bob);
        CO_ASSERT_TRUE(got);
        EXPECT_EQ(sdp_of(*got), "from the new socket") << "bob heard a socket that no longer holds its id";
        EXPECT_EQ(got->src, "carol");
    }());
}

TEST(signaling_broker, a_flooding_peer_is_rate_limited_and_others_are_not) {
    server_config cfg;
    cfg.rate_limit = {10, 1};  // burst 10, one more per second
    broker_fixture f(broker_fixture::fast(), cfg);
    sealed_test::run(f.io, [&]() -> awaitable<void> {
        auto flooder = co_await f.join("flooder");
        auto quiet = co_await f.join("quiet");
        auto target = co_await f.join("target");
        CO_ASSERT_TRUE(flooder && quiet && target);
        constexpr int sent = 40;
        for (int i = 0; i < sent; ++i) EXPECT_FALSE(co_await send_offer(*flooder, "target", "flood"));
        EXPECT_FALSE(co_await send_offer(*quiet, "target", "quiet"));
        int flood_received = 0;
        bool quiet_received = false;
        while (auto got = co_await next(*target, 500ms)) {
            if (sdp_of(*got) == "flood") ++flood_received;
            if (sdp_of(*got) == "quiet") quiet_received = true;
        }
        EXPECT_TRUE(quiet_received);
        EXPECT_GE(flood_received, 10);
        EXPECT_LE(flood_received, 12);  // the burst, plus a token or two refilled meanwhile
        EXPECT_EQ(flood_received + static_cast<int>(f.srv->stats().dropped_rate_limited.load()), sent);
        EXPECT_FALSE(flooder->closed);  // throttled, not dropped
    }());
}

TEST(signaling_broker, http_routes_answer_as_the_reference_with_cors) {
    sig::broker_options opts = broker_fixture::fast();
    broker_fixture f(opts);
    sealed_test::run(f.io, [&]() -> awaitable<void> {
        http_request info_req{http::verb::get, "/myapp/", 11};
        info_req.set(http::field::origin, "http://app.example");
        auto info = co_await sealed_test::http_exchange(f.port, info_req);
        EXPECT_EQ(info.result_int(), 200u);
        EXPECT_EQ(info[http::field::access_control_allow_origin], "http://app.example");
        EXPECT_EQ(boost::json::parse(info.body()).as_object().at("name").as_string(), "PeerJS Server");

        auto id = co_await sealed_test::http_get(f.port, "/myapp/peerjs/id");
        EXPECT_EQ(id.result_int(), 200u);
        EXPECT_EQ(id.body().size(), 36u);
        EXPECT_EQ(id.body()[14], '4');  // a v4 UUID, as crypto.randomUUID
        EXPECT_TRUE(sig::valid_id(id.body()));
        EXPECT_NE((co_await sealed_test::http_get(f.port, "/myapp/peerjs/id")).body(), id.body());

        auto peers = co_await sealed_test::http_get(f.port, "/myapp/peerjs/peers");
        EXPECT_EQ(peers.result_int(), 401u);  // discovery is off by default

        http_request preflight{http::verb::options, "/myapp/peerjs/id", 11};
        preflight.set(http::field::origin, "http://app.example");
        preflight.set(http::field::access_control_request_method, "GET");
        preflight.set(http::field::access_control_request_headers, "x-custom");
        auto pre = co_await sealed_test::http_exchange(f.port, preflight);
        EXPECT_EQ(pre.result_int(), 204u);
        EXPECT_EQ(pre[http::field::access_control_allow_origin], "http://app.example");
        EXPECT_EQ(pre[http::field::access_control_allow_headers], "x-custom");

        EXPECT_EQ((co_await sealed_test::http_get(f.port, "/myapp/peerjs/nope")).result_int(), 404u);
        EXPECT_EQ((co_await sealed_test::http_get(f.port, "/elsewhere")).result_int(), 404u);
    }());
}

TEST(signaling_broker, discovery_lists_the_registered_ids) {
    sig::broker_options opts = broker_fixture::fast();
    opts.allow_discovery = true;
    broker_fixture f(opts);
    sealed_test::run(f.io, [&]() -> awaitable<void> {
        auto a = co_await f.join("alice");
        auto b = co_await f.join("bob");
        CO_ASSERT_TRUE(a && b);
        auto peers = co_await sealed_test::http_get(f.port, "/myapp/peerjs/peers");
        EXPECT_EQ(peers.result_int(), 200u);
        auto list = boost::json::parse(peers.body()).as_array();
        std::vector<std::string> ids;
        for (auto& v : list) ids.emplace_back(v.as_string());
        std::sort(ids.begin(), ids.end());
        EXPECT_EQ(ids, (std::vector<std::string>{"alice", "bob"}));
    }());
}

// --- the pieces, without sockets -------------------------------------------------------------

TEST(signaling_message, parse_and_serialize_keep_the_reference_member_order) {
    auto m = sig::parse_message(R"({"payload":{"sdp":"x"},"dst":"b","extra":1,"type":"OFFER","src":"z"})");
    ASSERT_TRUE(m);
    m->src = "a";
    EXPECT_EQ(sig::serialize(*m), R"({"type":"OFFER","src":"a","dst":"b","payload":{"sdp":"x"}})");
    auto with_null = sig::parse_message(R"({"type":"LEAVE","dst":"b","payload":null})");
    ASSERT_TRUE(with_null);
    EXPECT_EQ(sig::serialize(*with_null), R"({"type":"LEAVE","dst":"b","payload":null})");
}

TEST(signaling_message, ids_follow_the_peerjs_client_syntax) {
    for (auto good : {"a", "alice", "a-b_c d", "3b241101-e2bb-4255-8caf-4136c566a962"}) EXPECT_TRUE(sig::valid_id(good)) << good;
    for (auto bad : {"", "-a", "a-", "a--b", "a b!", "ä", "a\nb", "a/b"}) EXPECT_FALSE(sig::valid_id(bad)) << bad;
}

TEST(signaling_message, query_params_decode_as_urlsearchparams) {
    EXPECT_EQ(query_param("/p?key=k&id=a%20b&token=x+y", "id"), "a b");
    EXPECT_EQ(query_param("/p?key=k&id=a%20b&token=x+y", "token"), "x y");
    EXPECT_EQ(query_param("/p?id=1&id=2", "id"), "2");  // the last one, as Object.fromEntries
    EXPECT_EQ(query_param("/p?id=", "id"), "");
    EXPECT_EQ(query_param("/p?id", "id"), "");
    EXPECT_FALSE(query_param("/p?id=%zz", "id"));
    EXPECT_FALSE(query_param("/p", "id"));
    EXPECT_EQ(percent_encode("a b/ü"), "a%20b%2F%C3%BC");
}

}  // namespace

namespace {

// Issue 30: apps hear when an id is taken and when it is released (the socket ended, LEAVE
// without dst), once each, outside the broker's lock: the hook may ask the broker itself.
TEST(signaling_broker, connect_and_disconnect_hooks_see_each_id_once) {
    std::vector<std::string> connected, disconnected;
    std::vector<std::size_t> registered_then;
    std::shared_ptr<sig::broker> const* broker = nullptr;
    sig::broker_options opts = broker_fixture::fast();
    opts.on_connect = [&](std::string_view id) { connected.emplace_back(id); };
    opts.on_disconnect = [&](std::string_view id) {
        disconnected.emplace_back(id);
        registered_then.push_back((*broker)->registered());  // would deadlock under the lock
    };
    broker_fixture f(opts);
    broker = &f.broker;
    sealed_test::run(f.io, [&]() -> awaitable<void> {
        auto alice = co_await f.join("alice");
        auto bob = co_await f.join("bob");
        CO_ASSERT_TRUE(alice && bob);
        for (int i = 0; i < 200 && connected.size() < 2; ++i) co_await sleep_for(5ms);
        EXPECT_EQ(connected, (std::vector<std::string>{"alice", "bob"}));
        EXPECT_TRUE(disconnected.empty());

        const sig::message leave{"LEAVE", {}, {}, {}};  // no dst: alice unregisters
        CO_ASSERT_FALSE(co_await alice->async_send(leave));
        for (int i = 0; i < 200 && disconnected.empty(); ++i) co_await sleep_for(5ms);
        EXPECT_EQ(disconnected, std::vector<std::string>{"alice"});
        co_await bob->async_close();
        for (int i = 0; i < 200 && disconnected.size() < 2; ++i) co_await sleep_for(5ms);
        EXPECT_EQ(disconnected, (std::vector<std::string>{"alice", "bob"}));
        EXPECT_EQ(registered_then, (std::vector<std::size_t>{1, 0}));
        co_await alice->async_close();
        co_await sleep_for(50ms);
        EXPECT_EQ(disconnected.size(), 2u) << "alice's socket closing after her LEAVE is not a second release";
        EXPECT_EQ(connected.size(), 2u);
    }());
}

}  // namespace
