// The idle mode every driver shares: open --connections sessions (64 connects at a time), hold
// them without traffic for two seconds, read the server's memory while they are open, close.
#pragma once

#include "measure.hpp"

#include <sealed/net.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include <vector>

namespace loadgen {

// open() → awaitable<result<Session>>, close(Session&) → awaitable<void>. Each session opened
// counts as a handshake, each failure as an error.
template <class Session, class Open, class Close>
sealed::awaitable<void> hold_idle(sealed::net::io_context& io, const settings& s, totals& t, server_usage& during,
                                  Open open, Close close) {
    namespace net = sealed::net;
    std::vector<Session> held;
    std::size_t next = 0;
    auto opener = [&]() -> sealed::awaitable<void> {
        while (next < s.connections) {
            ++next;
            auto session = co_await open();
            if (!session) {
                t.error(session.error());
                continue;
            }
            t.handshakes++;
            held.push_back(std::move(*session));
        }
    };
    for (int i = 0; i < 64; ++i) net::co_spawn(io, opener(), net::detached);
    net::steady_timer timer(io);
    while (t.handshakes + t.errors < s.connections) {
        timer.expires_after(std::chrono::milliseconds(20));
        co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    }
    timer.expires_after(std::chrono::seconds(2));
    co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    during = read_usage(s.server_pid);
    for (auto& session : held) co_await close(session);  // ends their keepalive timers too
}

}  // namespace loadgen
