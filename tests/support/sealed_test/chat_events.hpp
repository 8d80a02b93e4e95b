// Helpers for tests that drive stream_chat processes with the ECDH-GCM C++ client: connect,
// join, and collect what a client was sent up to a marker (stream_chat's echo, which its node
// sends after everything it had queued for that client), plus a gauge from a node's /metrics.
#pragma once

#include <sealed/ecdh_gcm/client.hpp>

#include <sealed_test/http.hpp>
#include <sealed_test/run.hpp>
#include <sealed_test/stream_events.hpp>

#include <boost/json.hpp>

#include <regex>
#include <string>
#include <vector>

namespace sealed_test {

using chat_client = sealed::ecdh_gcm::stream_client<sealed::ws>;

// Parameters are views (GCC 12 and temporaries in co_await, ADR-0001): pass named strings.
inline sealed::awaitable<sealed::result<chat_client>> connect_chat(std::string_view url, std::string_view user) {
    const sealed::client_config cfg;
    sealed::ecdh_gcm::options opts;
    opts.token = std::string(user);
    co_return co_await chat_client::connect(co_await sealed::net::this_coro::executor, url, cfg, opts);
}

inline sealed::awaitable<bool> join_room(chat_client& c, std::string_view room) {
    const std::vector<std::string> rooms{std::string(room)};
    if (co_await c.join(rooms)) co_return false;
    auto joined = co_await next_named(c, "joined");
    co_return joined.has_value();
}

// "event:data" for each event before the echo (stream_chat's own replies left out).
inline sealed::awaitable<std::vector<std::string>> events_until_echo(chat_client& c) {
    std::vector<std::string> got;
    const boost::json::value mark = "mark";
    if (co_await c.emit("echo", mark)) co_return got;
    for (;;) {
        auto e = co_await c.next();
        if (!e || e->event == "echo") break;
        if (e->event == "joined") continue;
        got.push_back(e->event + ":" + boost::json::serialize(e->data));
    }
    co_return got;
}

// Events from other processes come a Redis hop later: waits until `expected` have come, then a
// little longer, so that anything extra or twice shows too.
inline sealed::awaitable<std::vector<std::string>> events_after(chat_client& c, std::size_t expected) {
    std::vector<std::string> got;
    for (int round = 0; round < 40 && got.size() < expected; ++round) {
        auto more = co_await events_until_echo(c);
        got.insert(got.end(), more.begin(), more.end());
        if (got.size() < expected) co_await sleep_for(std::chrono::milliseconds(50));
    }
    co_await sleep_for(std::chrono::milliseconds(150));
    auto late = co_await events_until_echo(c);
    got.insert(got.end(), late.begin(), late.end());
    co_return got;
}

// A metric's value from a node's /metrics (-1 when absent). `name` is matched at a line start.
inline sealed::awaitable<long> node_metric(unsigned short port, std::string_view name) {
    auto res = co_await http_get(port, "/metrics");
    const std::string body = "\n" + res.body();
    const std::regex line("\\n" + std::string(name) + " ([0-9]+)");
    std::smatch m;
    co_return std::regex_search(body, m, line) ? std::stol(m[1]) : -1;
}

// Polls until every node's pub/sub connection holds the bus's four subscriptions.
inline sealed::awaitable<bool> all_subscribed(const std::vector<unsigned short>& ports) {
    for (int round = 0; round < 200; ++round) {
        bool all = true;
        for (auto port : ports) all = all && co_await node_metric(port, "sealed_redis_subscriptions") == 4;
        if (all) co_return true;
        co_await sleep_for(std::chrono::milliseconds(20));
    }
    co_return false;
}

}  // namespace sealed_test
