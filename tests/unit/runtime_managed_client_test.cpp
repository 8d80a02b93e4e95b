// managed_client over real loopback sockets: the client side gets the server's runtime (queue
// and single writer, send() from any thread, rate limit, keepalive) and reconnects with backoff.
// Each test fails if the behaviour it names is removed.
#include <sealed/managed_client.hpp>

#include "runtime_fixture.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace {

using namespace runtime_fixture;
using managed = managed_client<ws, scheme>;

// Polls `done` every 10 ms for at most `limit`.
template <class Predicate>
awaitable<bool> within(std::chrono::milliseconds limit, Predicate done) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) co_return false;
        co_await sleep_for(10ms);
    }
    co_return true;
}

bytes to_bytes(std::string_view s) { return bytes(s.begin(), s.end()); }

reconnect_policy fast_retries() {
    reconnect_policy p;
    p.initial = 20ms;
    p.max = 100ms;
    return p;
}

// What a managed client's handler saw: messages in order, and how many sessions it ran.
struct received {
    std::mutex mutex;
    std::vector<std::string> messages;
    std::atomic<int> sessions{0};
    std::size_t count() {
        std::lock_guard lock(mutex);
        return messages.size();
    }
    managed::session_handler handler() {
        return [this](managed::connection_type& c) -> awaitable<void> {
            ++sessions;
            message_buffer in;
            while (!co_await c.async_receive(in)) {
                std::lock_guard lock(mutex);
                messages.emplace_back(in.text());
            }
        };
    }
};

TEST(managed_client, send_from_another_thread_goes_through_the_single_writer) {
    fixture f;
    f.cfg.rate_limit = {0, 0};  // the server's own limit would drop half of the burst
    f.start();
    received got;
    managed mc(f.io, f.url(), client_config{}, scheme::options{"alice"}, fast_retries());
    mc.on_session(got.handler());
    EXPECT_FALSE(mc.send(to_bytes("too early"))) << "no connection yet: the message is refused, not kept";
    mc.start();
    run(f.io, [&]() -> awaitable<void> {
        CO_ASSERT_TRUE(co_await within(2000ms, [&] { return mc.connected(); }));
        constexpr int n = 200;
        std::atomic<int> accepted{0};
        std::thread sender([&] {
            for (int i = 0; i < n; ++i) accepted += mc.send(to_bytes("m" + std::to_string(i))) ? 1 : 0;
        });
        const bool all_back = co_await within(5000ms, [&] { return got.count() == n; });
        sender.join();
        EXPECT_EQ(accepted.load(), n);
        EXPECT_TRUE(all_back) << got.count() << " of " << n << " echoed";
        std::lock_guard lock(got.mutex);
        for (int i = 0; i < static_cast<int>(got.messages.size()); ++i)
            EXPECT_EQ(got.messages[i], "m" + std::to_string(i)) << "one writer keeps one sender's order";
        EXPECT_EQ(mc.stats().messages_out.load(), static_cast<std::uint64_t>(n));
        co_await mc.async_stop();
    });
}

TEST(managed_client, reconnects_with_new_keys_after_the_server_restarts) {
    fixture f;
    f.start();
    received got;
    managed mc(f.io, f.url(), client_config{}, scheme::options{"alice"}, fast_retries());
    mc.on_session(got.handler());
    mc.start();
    run(f.io, [&]() -> awaitable<void> {
        CO_ASSERT_TRUE(co_await within(2000ms, [&] { return mc.connected(); }));
        const auto port = f.port;
        co_await f.srv->async_stop();
        CO_ASSERT_TRUE(co_await within(2000ms, [&] { return !mc.connected(); }));
        // The port stays closed for a few attempts: each is a counted failure, not a crash.
        co_await sleep_for(150ms);
        EXPECT_GE(mc.stats().connections_total.load(), 2u);
        f.cfg.listen = "127.0.0.1:" + std::to_string(port);
        f.start();
        CO_ASSERT_TRUE(co_await within(3000ms, [&] { return mc.connected(); }));
        EXPECT_EQ(got.sessions.load(), 2);
        EXPECT_EQ(mc.stats().handshakes_ok.load(), 2u);
        EXPECT_TRUE(mc.send(to_bytes("after restart")));
        EXPECT_TRUE(co_await within(2000ms, [&] { return got.count() == 1; }));
        co_await mc.async_stop();
    });
}

TEST(managed_client, a_refused_connect_is_reported_and_retried) {
    net::io_context io;
    std::vector<error_code> errors;
    // A port that was just free: nothing listens there.
    net::ip::tcp::acceptor probe(io, {net::ip::make_address("127.0.0.1"), 0});
    const auto port = probe.local_endpoint().port();
    probe.close();
    managed mc(io, "ws://127.0.0.1:" + std::to_string(port) + "/ws", client_config{}, scheme::options{"alice"},
               fast_retries());
    mc.on_connect_error([&](const error_code& ec) { errors.push_back(ec); });
    mc.start();
    run(io, [&]() -> awaitable<void> {
        EXPECT_TRUE(co_await within(3000ms, [&] { return errors.size() >= 3; }));
        EXPECT_FALSE(mc.connected());
        co_await mc.async_stop();
        const auto after_stop = errors.size();
        co_await sleep_for(200ms);
        EXPECT_EQ(errors.size(), after_stop) << "stop() ends the retries";
    });
    sealed_test::drain(io);
}

TEST(managed_client, stop_closes_the_connection_normally) {
    fixture f;
    std::optional<close_reason> seen;
    f.start([&](connection_t& c) -> awaitable<void> {
        message_buffer in;
        while (!co_await c.async_receive(in)) {
        }
        seen = c.channel().transport().peer_close_reason();
    });
    managed mc(f.io, f.url(), client_config{}, scheme::options{"alice"}, fast_retries());
    mc.start();
    run(f.io, [&]() -> awaitable<void> {
        CO_ASSERT_TRUE(co_await within(2000ms, [&] { return mc.connected(); }));
        co_await mc.async_stop();
        CO_ASSERT_TRUE(co_await within(2000ms, [&] { return seen.has_value(); }));
        EXPECT_EQ(seen->code, close_code::normal);
        EXPECT_EQ(f.srv->stats().handshakes_ok.load(), 1u) << "no reconnect after stop()";
    });
}

TEST(managed_client, received_messages_pass_the_rate_limit) {
    fixture f;
    f.start([](connection_t& c) -> awaitable<void> {
        for (int i = 0; i < 20; ++i) {
            const auto m = as_bytes("burst");
            if (co_await c.async_send(m)) co_return;
        }
        message_buffer in;
        while (!co_await c.async_receive(in)) {
        }
    });
    client_config cfg;
    cfg.rate_limit = {5, 0.001};
    received got;
    managed mc(f.io, f.url(), cfg, scheme::options{"alice"}, fast_retries());
    mc.on_session(got.handler());
    mc.start();
    run(f.io, [&]() -> awaitable<void> {
        EXPECT_TRUE(co_await within(2000ms, [&] { return mc.stats().dropped_rate_limited.load() == 15; }));
        EXPECT_EQ(got.count(), 5u);
        co_await mc.async_stop();
    });
}

TEST(managed_client, a_server_that_stops_answering_pings_is_closed_as_idle) {
    fixture f;
    // Never reads, so Beast never answers the client's pings.
    f.start([](connection_t&) -> awaitable<void> { co_await sleep_for(3000ms); });
    client_config cfg;
    cfg.ping_interval = 100ms;
    cfg.pong_timeout = 100ms;
    cfg.write_timeout = 300ms;  // the close frame goes unanswered too: the handler's grace
    received got;
    managed mc(f.io, f.url(), cfg, scheme::options{"alice"}, fast_retries());
    mc.on_session(got.handler());
    mc.start();
    run(f.io, [&]() -> awaitable<void> {
        EXPECT_TRUE(co_await within(2000ms, [&] { return mc.stats().closed_idle.load() >= 1; }));
        co_await mc.async_stop();
        f.srv->force_stop();
    });
}

}  // namespace
