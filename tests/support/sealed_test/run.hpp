// Runs a test coroutine on an io_context with a hard time bound, so a hung test fails instead
// of hanging CI. Exceptions from the coroutine fail the test with their message.
#pragma once

#include <sealed/net.hpp>

#include <sealed/bytes.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sealed_test {

using namespace std::chrono_literals;

template <class Awaitable>
void run(sealed::net::io_context& io, Awaitable body, std::chrono::steady_clock::duration limit = 30s) {
    bool finished = false;
    std::exception_ptr failure;
    sealed::net::co_spawn(io, std::move(body), [&](std::exception_ptr e) {
        failure = e;
        finished = true;
    });
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!finished && std::chrono::steady_clock::now() < deadline) {
        io.run_for(50ms);
        if (io.stopped()) io.restart();
    }
    if (!finished) {
        ADD_FAILURE() << "test coroutine did not finish within the time limit";
        return;
    }
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            ADD_FAILURE() << "test coroutine threw: " << e.what();
        }
    }
}

inline sealed::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    sealed::net::steady_timer t(co_await sealed::net::this_coro::executor, d);
    co_await t.async_wait(sealed::net::as_tuple(sealed::net::use_awaitable));
}

// The simplest app: every message back to its sender, as `kind` (or as it came).
template <class Connection>
sealed::awaitable<void> echo(Connection& c, std::optional<sealed::message_kind> kind = std::nullopt) {
    sealed::message_buffer in;
    while (!co_await c.async_receive(in))
        if (co_await c.async_send(in.bytes(), kind.value_or(in.kind()))) break;
}

// Drains what is left (connection coroutines closing) for a short while after a test.
inline void drain(sealed::net::io_context& io, std::chrono::steady_clock::duration limit = 500ms) {
    io.restart();
    io.run_for(limit);
}

}  // namespace sealed_test

// ASSERT_* for coroutines: records the failure and leaves the coroutine (ASSERT_ uses `return`).
#define CO_ASSERT_TRUE(cond)                                  \
    if (!(cond)) {                                            \
        ADD_FAILURE() << "expected true: " #cond;             \
        co_return;                                            \
    }
// For a result<T>: on failure the message names the error it holds.
#define CO_ASSERT_OK(result)                                                   \
    if (!(result)) {                                                           \
        ADD_FAILURE() << #result " failed: " << (result).error().message();    \
        co_return;                                                             \
    }
#define CO_ASSERT_FALSE(cond)                                 \
    if (cond) {                                               \
        ADD_FAILURE() << "expected false: " #cond;            \
        co_return;                                            \
    }
