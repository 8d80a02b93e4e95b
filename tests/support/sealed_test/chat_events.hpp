// Helpers for tests that drive stream_chat processes with the ECDH-GCM C++ client: connect,
// join, and collect what a client was sent up to a marker (stream_chat's echo, which its node
// sends after everything it had queued for that client).
#pragma once

#include <sealed/ecdh_gcm/client.hpp>

#include <sealed_test/http.hpp>
#include <sealed_test/run.hpp>
#include <sealed_test/stream_events.hpp>

#include <boost/json.hpp>

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

// stream_chat's chat event to the room "lobby".
inline sealed::awaitable<sealed::error_code> say(chat_client& c, std::string_view text) {
    const boost::json::value message = {{"room", "lobby"}, {"text", text}};
    co_return co_await c.emit("chat", message);
}

// The texts of the chat events among `events`, in arrival order; anything else shows up as
// "unexpected <event>".
inline std::vector<std::string> chat_texts(const std::vector<std::string>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) {
        if (e.rfind("chat:", 0) != 0) {
            out.push_back("unexpected " + e);
            continue;
        }
        out.emplace_back(boost::json::parse(e.substr(5)).at("text").as_string());
    }
    return out;
}

}  // namespace sealed_test
