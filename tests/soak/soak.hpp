// What the soak client's drivers share: the tally of what happened, the server's ports and
// secrets from its work dir, and small helpers. One io_context thread runs every driver, so
// the tally needs no lock.
#pragma once

#include <sealed/net.hpp>
#include <sealed/transport/websocket.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>

namespace soak {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// Counts by scheme; refusals and unexpected outcomes also by kind ("scheme/kind").
struct tally {
    std::map<std::string, std::uint64_t> handshakes, messages, disconnects;
    std::map<std::string, std::uint64_t> refused, unexpected;
    std::map<std::string, std::string> first_unexpected;

    void refusal(std::string_view scheme, std::string_view kind) { refused[key(scheme, kind)]++; }
    void failure(std::string_view scheme, std::string_view kind, std::string what) {
        const auto k = key(scheme, kind);
        if (unexpected[k]++ == 0) first_unexpected[k] = std::move(what);
    }
    std::uint64_t unexpected_total() const {
        std::uint64_t n = 0;
        for (const auto& [k, v] : unexpected) n += v;
        return n;
    }
    boost::json::object to_json() const;

private:
    static std::string key(std::string_view scheme, std::string_view kind) {
        return std::string(scheme) + "/" + std::string(kind);
    }
};

// What every driver gets: where the server is, its secrets, the tally, randomness.
struct context {
    context(sealed::net::io_context& i, std::filesystem::path dir) : io(i), ex(i.get_executor()), work_dir(std::move(dir)) {}
    sealed::net::io_context& io;
    // Named, so that call sites pass an lvalue: no any_io_executor temporaries in co_await (ADR-0001).
    sealed::net::any_io_executor ex;
    std::filesystem::path work_dir;
    std::map<std::string, std::uint16_t> ports;
    tally counts;
    std::mt19937_64 rng{std::random_device{}()};

    std::string ws_url(std::string_view scheme, std::string_view path) const {
        return "ws://127.0.0.1:" + std::to_string(ports.at(std::string(scheme))) + std::string(path);
    }
    std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); }
    // A message size: mostly small, sometimes 1 KiB or 16 KiB.
    std::size_t message_size() {
        static constexpr std::size_t sizes[] = {16, 16, 64, 256, 1024, 1024, 16 * 1024};
        return sizes[pick(std::size(sizes))];
    }
    std::string filler(std::size_t n) {
        std::string s(n, 'a');
        for (auto& c : s) c = static_cast<char>('a' + pick(26));
        return s;
    }
};

// A raw WebSocket to one of the server's paths; nullopt when the upgrade fails.
inline sealed::awaitable<std::optional<sealed::transport::ws_stream>> open_ws(context& ctx, std::string_view url_text) {
    const auto target = sealed::url::parse(url_text);
    if (!target) co_return std::nullopt;
    const sealed::transport::websocket_options options;
    auto stream = co_await sealed::transport::async_connect_ws(ctx.ex, *target, options);
    if (!stream) co_return std::nullopt;
    co_return std::move(*stream);
}

inline sealed::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    sealed::net::steady_timer timer(co_await sealed::net::this_coro::executor, d);
    co_await timer.async_wait(sealed::net::as_tuple(sealed::net::use_awaitable));
}

}  // namespace soak
