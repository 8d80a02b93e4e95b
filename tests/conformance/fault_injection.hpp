// Fault injection for every scheme's handshake (issue 11), the way Beast's fail_count and
// Boost.MySQL's network-error checks do it: break the transport at operation n = 0, 1, 2, ...
// until the handshake completes untouched.
//   memory: either role's end of the in-process pipe fails at its n-th read or write; both sides
//           must end with a clean error (transport closed, timeout or a handshake refusal)
//           within the handshake's deadline, never success on one side only.
//   ws:     a client over a real loopback WebSocket vanishes (its socket is destroyed) at its
//           n-th operation; after each, the same server still completes a good client's handshake
//           and echoes a message.
// Leaks show under ASan (scripts/test --asan), hangs as the suite's time limits.
// A scheme's conformance file instantiates it with its memory and ws cases.
#pragma once

#include "pair.hpp"

#include <sealed/transport/websocket.hpp>
#include <sealed/url.hpp>

#include <sealed_test/run.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

namespace sealed_test {

// A transport that forwards to `inner` until its n-th operation, which (and every one after)
// fails with connection_reset (as a socket would) after destroying the inner stream: the peer sees the socket go.
template <class Stream>
class vanishing_stream {
public:
    using executor_type = typename Stream::executor_type;
    vanishing_stream(Stream inner, std::size_t fail_at) : inner_(std::move(inner)), fail_at_(fail_at) {
        executor_ = inner_->get_executor();
    }
    sealed::awaitable<sealed::error_code> async_read(sealed::message_buffer& in) {
        if (vanish()) co_return boost::asio::error::connection_reset;
        co_return co_await inner_->async_read(in);
    }
    sealed::awaitable<sealed::error_code> async_write(sealed::const_bytes out, sealed::message_kind kind) {
        if (vanish()) co_return boost::asio::error::connection_reset;
        co_return co_await inner_->async_write(out, kind);
    }
    sealed::awaitable<void> async_close(const sealed::close_reason& reason) {
        if (inner_) co_await inner_->async_close(reason);
    }
    std::string remote_endpoint() const { return inner_ ? inner_->remote_endpoint() : "gone"; }
    executor_type get_executor() const { return executor_; }

private:
    bool vanish() {
        if (operations_++ < fail_at_) return false;
        inner_.reset();
        return true;
    }
    std::optional<Stream> inner_;
    executor_type executor_;
    std::size_t fail_at_;
    std::size_t operations_ = 0;
};

inline constexpr std::size_t max_fault_steps = 40;  // more than any handshake here has

template <class Case>
class fault_injection : public ::testing::Test {
protected:
    sealed::net::io_context io;
};

TYPED_TEST_SUITE_P(fault_injection);

// A failure that ended a run cleanly: the transport went, the deadline passed, or the scheme
// refused what it got (a half-received message).
inline bool clean_failure(const sealed::error_code& ec) {
    return ec == sealed::condition::transport_closed || ec == sealed::condition::timeout ||
           ec == sealed::condition::handshake_failed || ec == sealed::condition::protocol_violation ||
           ec == sealed::condition::authentication_failed;
}

template <class Case>
void break_memory_handshake_at_every_step(sealed::role broken) {
    using scheme = typename Case::scheme;
    using namespace std::chrono_literals;
    bool completed = false;
    std::size_t failures = 0;
    for (std::size_t n = 0; n < max_fault_steps && !completed; ++n) {
        sealed::net::io_context io;
        run(io, [&]() -> sealed::awaitable<void> {
            // Not a structured binding: clang 14 cannot capture one in a lambda.
            auto ends = sealed::transport::memory_stream::make_pair(io.get_executor());
            auto& client_end = ends.first;
            auto& server_end = ends.second;
            (broken == sealed::role::client ? client_end : server_end).fail_after(n);
            std::optional<sealed::error_code> server_error;
            bool server_done = false;
            auto serve = [&]() -> sealed::awaitable<void> {
                auto hs = scheme::make_handshake(sealed::role::server, Case::server_options());
                auto r = co_await sealed::run_handshake(server_end, hs, 500ms);
                if (!r) server_error = r.error();
                server_done = true;
            };
            boost::asio::co_spawn(io, serve(), boost::asio::detached);
            auto hs = scheme::make_handshake(sealed::role::client, Case::client_options());
            auto client = co_await sealed::run_handshake(client_end, hs, 500ms);
            const std::function<bool()> finished = [&] { return server_done; };
            CO_ASSERT_TRUE(co_await eventually(finished, 2s));
            if (client && !server_error) {
                completed = true;
                co_return;
            }
            ++failures;
            // Whichever side failed, it failed cleanly; the other may have finished first.
            if (!client) {
                EXPECT_TRUE(clean_failure(client.error())) << "n=" << n << ": " << client.error().message();
            }
            if (server_error) {
                EXPECT_TRUE(clean_failure(*server_error)) << "n=" << n << ": " << server_error->message();
            }
        }(), 5s);
    }
    EXPECT_TRUE(completed) << "the handshake never completed, even past " << max_fault_steps << " steps";
    EXPECT_GT(failures, 0u) << "no run failed: the injection did not reach the handshake";
}

// What a good client sends: arbitrary bytes, or what the scheme's apps send (Case::message).
template <class Case>
sealed::bytes good_message(std::size_t n) {
    if constexpr (requires { { Case::message(n, std::uint8_t{1}) } -> std::same_as<sealed::bytes>; })
        return Case::message(n, 1);
    else
        return sealed::bytes(n, sealed::byte{'x'});
}

template <class Case>
sealed::awaitable<void> vanish_at_every_step_then_serve_a_good_client(sealed::net::io_context& io,
                                                                      channel_pair<Case>& pair) {
    using scheme = typename Case::scheme;
    using namespace std::chrono_literals;
    bool completed = false;
    for (std::size_t n = 0; n < max_fault_steps && !completed; ++n) {
        const auto target = sealed::url::parse(pair.url()).value();
        const sealed::transport::websocket_options ws_opts;
        auto stream = co_await sealed::transport::async_connect_ws(io.get_executor(), target, ws_opts);
        CO_ASSERT_OK(stream);
        vanishing_stream<sealed::transport::ws_stream> faulty(std::move(*stream), n);
        auto hs = scheme::make_handshake(sealed::role::client, Case::client_options());
        auto r = co_await sealed::run_handshake(faulty, hs, 2s);
        if (r)
            completed = true;
        else
            EXPECT_TRUE(clean_failure(r.error())) << "n=" << n << ": " << r.error().message();
        // Whatever that client did, a good one is served.
        auto good = co_await pair.connect();
        CO_ASSERT_OK(good);
        const auto hello = good_message<Case>(64);
        CO_ASSERT_FALSE(co_await good->async_send(hello));
        sealed::message_buffer in;
        CO_ASSERT_FALSE(co_await good->async_receive(in));
        EXPECT_TRUE(std::ranges::equal(in.bytes(), hello)) << "n=" << n;
    }
    EXPECT_TRUE(completed) << "the handshake never completed, even past " << max_fault_steps << " steps";
}

// memory cases: both roles' ends fail at every step; ws cases: the client vanishes at every
// step and the server goes on serving. Other families are not instantiated.
TYPED_TEST_P(fault_injection, handshake_fails_cleanly_at_every_step) {
    using family = typename TypeParam::family;
    if constexpr (std::is_same_v<family, memory>) {
        break_memory_handshake_at_every_step<TypeParam>(sealed::role::client);
        break_memory_handshake_at_every_step<TypeParam>(sealed::role::server);
    } else {
        static_assert(std::is_same_v<family, sealed::ws>, "fault_injection takes memory and ws cases");
        channel_pair<TypeParam> pair(this->io, 64 * 1024);
        run(this->io, vanish_at_every_step_then_serve_a_good_client<TypeParam>(this->io, pair), std::chrono::seconds(60));
        pair.stop();
        drain(this->io);
    }
}

REGISTER_TYPED_TEST_SUITE_P(fault_injection, handshake_fails_cleanly_at_every_step);

}  // namespace sealed_test
