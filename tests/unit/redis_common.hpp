// Shared by the Redis client and replay store tests: fast timeouts and a polling helper.
#pragma once

#include <sealed/cluster/redis.hpp>

#include <sealed_test/redis_server.hpp>
#include <sealed_test/run.hpp>

#include <chrono>

namespace redis_testing {

using namespace std::chrono_literals;

// Short timeouts and backoff, so reconnects and failures show within a test's few seconds.
inline sealed::redis::config fast_config(unsigned short port) {
    sealed::redis::config c;
    c.port = port;
    c.connect_timeout = 1000ms;
    c.request_timeout = 1000ms;
    c.reconnect_min = 20ms;
    c.reconnect_max = 200ms;
    return c;
}

// True as soon as `ready()` is, false after `limit`. Takes the predicate by const& and callers
// pass a named lambda: no non-trivial temporary inside the co_await (ADR-0001).
template <class Predicate>
sealed::awaitable<bool> eventually(const Predicate& ready, std::chrono::milliseconds limit = 3000ms) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!ready()) {
        if (std::chrono::steady_clock::now() >= deadline) co_return false;
        co_await sealed_test::sleep_for(10ms);
    }
    co_return true;
}

// A started client on `io`, stopped (and its loops drained) when the test ends.
struct started_client {
    std::shared_ptr<sealed::redis::client> client;
    sealed::net::io_context& io;

    started_client(sealed::net::io_context& context, const sealed::redis::config& cfg) : io(context) {
        client = sealed::redis::make_client(io.get_executor(), cfg);
        client->start();
    }
    ~started_client() {
        client->stop();
        sealed_test::drain(io, 200ms);
    }
    sealed::redis::client* operator->() const { return client.get(); }
};

}  // namespace redis_testing
