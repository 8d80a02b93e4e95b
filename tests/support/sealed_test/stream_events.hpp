// Test helper for the ECDH-GCM C++ client: wait for an event by name, with a deadline.
// (A timed-out wait cancels the WebSocket read, which ends that connection: fine in tests.)
#pragma once

#include <sealed/ecdh_gcm/client.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string_view>

namespace sealed_test {

// The data of the next event named `name` within `limit` (other events skipped), or nullopt.
template <class StreamClient>
sealed::awaitable<std::optional<boost::json::value>> next_named(StreamClient& c, std::string_view name,
                                                                std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    using namespace sealed::net::experimental::awaitable_operators;
    sealed::net::steady_timer timer(co_await sealed::net::this_coro::executor, limit);
    auto wait = [&]() -> sealed::awaitable<std::optional<boost::json::value>> {
        for (;;) {
            auto event = co_await c.next();
            if (!event) co_return std::nullopt;
            if (event->event == name) co_return std::move(event->data);
        }
    };
    auto r = co_await (wait() || timer.async_wait(sealed::net::as_tuple(sealed::net::use_awaitable)));
    if (r.index() == 0) co_return std::move(std::get<0>(r));
    co_return std::nullopt;
}

}  // namespace sealed_test
