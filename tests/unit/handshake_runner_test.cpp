// run_handshake(): deadlines, failures closing with the handshake's reason, a transport failure
// injected at every step of both roles, and the server's handshake deadline over real sockets.
#include <sealed/client.hpp>
#include <sealed/plaintext/scheme.hpp>
#include <sealed/server.hpp>
#include <sealed/transport/memory.hpp>

#include <sealed_test/run.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

namespace {

using namespace sealed;
using namespace std::chrono_literals;
using sealed_test::run;
using memory_stream = transport::memory_stream;

TEST(run_handshake, gives_up_at_the_deadline_and_closes) {
    net::io_context io;
    run(io, [&]() -> awaitable<void> {
        auto [client_end, server_end] = memory_stream::make_pair(io.get_executor());
        auto hs = plaintext::scheme::make_handshake(role::server, {});
        const auto start = std::chrono::steady_clock::now();
        auto r = co_await run_handshake(server_end, hs, 100ms);  // the client never speaks
        EXPECT_EQ(r.error(), errc::handshake_timeout);
        EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
        CO_ASSERT_TRUE(client_end.peer_close_reason());
        EXPECT_EQ(client_end.peer_close_reason()->code, close_code::policy_violation);
    }());
}

TEST(run_handshake, refusal_closes_with_the_handshakes_reason) {
    net::io_context io;
    run(io, [&]() -> awaitable<void> {
        auto [client_end, server_end] = memory_stream::make_pair(io.get_executor());
        auto wrong = as_bytes("sealed-plaintext/9");
        EXPECT_FALSE(co_await client_end.async_write(wrong, message_kind::text));
        auto hs = plaintext::scheme::make_handshake(role::server, {});
        auto r = co_await run_handshake(server_end, hs, 1s);
        EXPECT_EQ(r.error(), errc::unsupported_version);
        EXPECT_EQ(r.error(), condition::handshake_failed);
        CO_ASSERT_TRUE(client_end.peer_close_reason());
        EXPECT_EQ(client_end.peer_close_reason()->code, close_code::protocol_error);
    }());
}

// Breaks the transport of `broken` at operation n = 0, 1, 2, ...: every run must end with an
// error on at least one side (never a hang), and once n is past the handshake, both succeed.
void fail_at_every_step(role broken) {
    bool reached_success = false;
    for (std::size_t n = 0; n < 10 && !reached_success; ++n) {
        net::io_context io;
        run(io, [&]() -> awaitable<void> {
            // Not a structured binding: clang 14 cannot capture one in a lambda.
            auto ends = memory_stream::make_pair(io.get_executor());
            auto& client_end = ends.first;
            auto& server_end = ends.second;
            (broken == role::client ? client_end : server_end).fail_after(n);
            std::optional<result<established<plaintext::cipher>>> server_result;
            auto serve = [&]() -> awaitable<void> {
                auto hs = plaintext::scheme::make_handshake(role::server, {});
                server_result = co_await run_handshake(server_end, hs, 500ms);
            };
            net::co_spawn(io, serve(), net::detached);
            auto hs = plaintext::scheme::make_handshake(role::client, {});
            auto client_result = co_await run_handshake(client_end, hs, 500ms);
            while (!server_result) {
                net::steady_timer t(io, 1ms);
                co_await t.async_wait(net::use_awaitable);
            }
            if (client_result && *server_result) {
                reached_success = true;
            } else {
                // A clean error: one of ours, or a transport one — never success on one side
                // with the other side stuck.
                const auto& ec = client_result ? server_result->error() : client_result.error();
                EXPECT_TRUE(ec == condition::transport_closed || ec == condition::timeout) << ec.message();
            }
        }(), 5s);
    }
    EXPECT_TRUE(reached_success) << "the handshake never completed even without injected failures";
}

TEST(run_handshake, transport_failure_at_every_client_step) { fail_at_every_step(role::client); }
TEST(run_handshake, transport_failure_at_every_server_step) { fail_at_every_step(role::server); }

// Over real sockets: a client that connects and says nothing is dropped at handshake_timeout,
// while a well-behaved client connecting meanwhile completes.
TEST(server_handshake_deadline, silent_client_is_dropped_and_others_are_served) {
    net::io_context io;
    server_config cfg;
    cfg.listen = "127.0.0.1:0";
    cfg.handshake_timeout = 300ms;
    server<ws, plaintext::scheme> srv(io, cfg);
    auto bound = srv.start();
    ASSERT_TRUE(bound);
    run(io, [&]() -> awaitable<void> {
        net::ip::tcp::socket silent(io);
        co_await silent.async_connect(*bound, net::use_awaitable);
        const auto start = std::chrono::steady_clock::now();
        const auto target = "ws://127.0.0.1:" + std::to_string(bound->port()) + "/ws";
        auto good = co_await client<ws, plaintext::scheme>::connect(io.get_executor(), target);
        EXPECT_TRUE(good) << (good ? "" : good.error().message());
        std::array<char, 16> buf;
        auto [ec, n] = co_await silent.async_read_some(net::buffer(buf), net::as_tuple(net::use_awaitable));
        EXPECT_EQ(ec, net::error::eof);
        const auto waited = std::chrono::steady_clock::now() - start;
        EXPECT_GT(waited, 200ms);
        EXPECT_LT(waited, 3s);
    }());
    srv.stop();
}

TEST(server_admission, upgrades_over_max_connections_get_503_and_slots_come_back) {
    net::io_context io;
    server_config cfg;
    cfg.listen = "127.0.0.1:0";
    cfg.max_connections = 2;
    server<ws, plaintext::scheme> srv(io, cfg);
    srv.on_session([](auto& ch) -> awaitable<void> {
        message_buffer in;
        while (!co_await ch.async_receive(in)) {}
    });
    auto bound = srv.start();
    ASSERT_TRUE(bound);
    const auto target = "ws://127.0.0.1:" + std::to_string(bound->port()) + "/ws";
    run(io, [&]() -> awaitable<void> {
        using c = client<ws, plaintext::scheme>;
        auto first = co_await c::connect(io.get_executor(), target);
        auto second = co_await c::connect(io.get_executor(), target);
        EXPECT_TRUE(first && second);
        auto third = co_await c::connect(io.get_executor(), target);
        CO_ASSERT_FALSE(third);
        EXPECT_EQ(third.error(), websocket::error::upgrade_declined);  // the 503
        const close_reason bye{close_code::normal, ""};
        co_await first->async_close(bye);
        // Wait for the server to release the slot, then the next one succeeds.
        for (int i = 0; i < 200 && srv.active_connections() >= 2; ++i) {
            net::steady_timer t(io, 5ms);
            co_await t.async_wait(net::use_awaitable);
        }
        auto fourth = co_await c::connect(io.get_executor(), target);
        EXPECT_TRUE(fourth) << (fourth ? "" : fourth.error().message());
    }());
    srv.stop();
}

}  // namespace
