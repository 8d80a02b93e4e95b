// The driver for a libp2p gateway (swarm_gateway, or the js-libp2p gateway in
// bench/peers/libp2p): a session is what a node does when it joins — pnet with the tenant's key,
// /noise, /yamux/1.0.0, then identify (read to its FIN) — with a new identity per connection, as
// new nodes have. Modes: handshake (workers join and leave in a loop), idle (sessions held), and
// echo, which is pubsub: --connections subscribers and one publisher of the tenant's topic (swarm/<DID>), the
// publisher's --size-byte messages signed before the timed part; a message counts once per
// subscriber it reaches before the end, and the publisher keeps at most `window` messages ahead of
// the slowest subscriber.
#pragma once

#include "hold_idle.hpp"
#include "measure.hpp"

#include <sealed/client.hpp>
#include <sealed/libp2p/pubsub.hpp>
#include <sealed/libp2p/varint.hpp>
#include <sealed/pnet/scheme.hpp>
#include <sealed/transport/websocket.hpp>

#include <sealed_test/libp2p_link.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

namespace loadgen {

class libp2p_driver {
public:
    using pnet_client = sealed::client<sealed::ws, sealed::pnet::scheme>;
    using link_type = sealed_test::libp2p_link<pnet_client::channel_type>;
    static constexpr std::size_t window = 256;  // messages the publisher may be ahead
    // js-libp2p's seqnos come from the clock: their first byte is never 0, and js floodsub drops
    // a message whose seqno starts with one (it re-encodes it as a number before verifying).
    static constexpr std::uint64_t first_seqno = 0x1000000000000000;

    libp2p_driver(sealed::net::io_context& io, const settings& s)
        : io_(io), settings_(s), topic_("swarm/" + s.url.substr(s.url.rfind('/') + 1)), progress_(io) {
        cfg_.ping_interval = std::chrono::hours(1);
    }

    // Joins the gateway: pnet, noise, yamux, identify; as a new node, or as `self`.
    sealed::awaitable<sealed::result<link_type>> connect() { return connect_as(nullptr); }
    sealed::awaitable<sealed::result<link_type>> connect_as(std::shared_ptr<const sealed::libp2p::identity> self) {
        sealed::pnet::options o;
        o.key = settings_.pnet_key;
        auto channel = co_await pnet_client::connect(io_.get_executor(), std::string_view(settings_.url), cfg_, o);
        if (!channel) co_return channel.error();
        sealed::libp2p::dialer_options d;
        d.self = std::move(self);
        d.accept = {"/meshsub/1.1.0", "/meshsub/1.0.0", "/floodsub/1.0.0"};
        link_type link(std::move(*channel), std::move(d));
        if (auto ec = co_await link.connect()) co_return ec;
        sealed::bytes wire;
        const auto id = link.dialer().open_stream("/ipfs/id/1.0.0", {}, wire);
        if (auto ec = co_await link.send(wire)) co_return ec;
        auto identified = [&] {
            return std::any_of(link.events.begin(), link.events.end(), [&](const auto& e) {
                return e.stream == id && (e.what == kind::closed || e.what == kind::refused || e.what == kind::reset);
            });
        };
        if (auto ec = co_await link.receive_until(identified)) co_return ec;
        link.events.clear();
        co_return std::move(link);
    }

    sealed::awaitable<void> handshake_worker(clock_type::time_point until) {
        while (clock_type::now() < until) {
            const auto started = clock_type::now();
            auto link = co_await connect();
            if (!link) {
                totals_.error(link.error());
                continue;
            }
            totals_.record(started);
            totals_.handshakes++;
            co_await close(*link);
        }
    }

    sealed::awaitable<void> idle(server_usage& during) {
        return hold_idle<link_type>(io_, settings_, totals_, during, [this] { return connect(); },
                                    [](link_type& l) { return close(l); });
    }

    // echo (pubsub): the messages, signed by the publisher's identity, before the timed part.
    sealed::awaitable<sealed::error_code> prepare() {
        if (settings_.mode != "echo") co_return sealed::error_code{};
        const auto count = static_cast<std::size_t>(std::min(200000.0, settings_.duration * 20000));
        const sealed::bytes data(settings_.size, 'x');
        messages_.reserve(count);
        sent_at_.reserve(count);
        for (std::size_t i = 0; i < count; ++i)
            messages_.push_back(sealed::libp2p::pubsub::frame_publish(
                sealed::libp2p::pubsub::sign_message(*author_, topic_, data, first_seqno + i)));
        co_return sealed::error_code{};
    }

    sealed::awaitable<void> pubsub(clock_type::time_point until);

    totals& measured() { return totals_; }
    std::uint64_t published() const noexcept { return published_; }
    std::uint64_t signed_during_run() const noexcept { return signed_during_run_; }

private:
    using kind = sealed::libp2p::stream_event::kind;

    static sealed::awaitable<void> close(link_type& l) {
        const sealed::close_reason bye{sealed::close_code::normal, "done"};
        co_await l.channel().async_close(bye);
    }
    sealed::awaitable<sealed::error_code> open_pubsub(link_type& l, bool subscribe);
    // One subscriber times each message: publish to delivery (its seqno says which).
    sealed::awaitable<void> subscriber(link_type& l, std::uint64_t& received, clock_type::time_point until,
                                       bool timed);
    void record_latency(sealed::const_bytes seqno) {
        std::uint64_t n = 0;
        for (auto b : seqno) n = n << 8 | b;
        if (seqno.size() == 8 && n >= first_seqno && n - first_seqno < sent_at_.size())
            totals_.record(sent_at_[n - first_seqno]);
    }
    sealed::awaitable<void> publisher(link_type& l, const std::vector<std::uint64_t>& received,
                                      clock_type::time_point until);

    sealed::net::io_context& io_;
    const settings& settings_;
    sealed::client_config cfg_;
    std::string topic_;
    std::shared_ptr<const sealed::libp2p::identity> author_ =
        std::make_shared<const sealed::libp2p::identity>(sealed::libp2p::identity::generate());
    std::vector<sealed::bytes> messages_;  // framed RPCs, one message each
    std::vector<clock_type::time_point> sent_at_;  // per message written
    std::uint64_t published_ = 0, signed_during_run_ = 0;
    std::uint32_t pubsub_stream_ = 0;
    std::size_t readers_ = 0;          // subscriber and publisher reads still running  // the last stream open_pubsub opened (the publisher's, in the end)
    sealed::net::steady_timer progress_;  // cancelled when a subscriber hears or a window opens
    totals totals_;
};

// Subscribers first (each holding the topic), then the publisher; all closed at the end.
inline sealed::awaitable<void> libp2p_driver::pubsub(clock_type::time_point until) {
    std::vector<link_type> subscribers;
    for (std::size_t i = 0; i < settings_.connections; ++i) {
        auto link = co_await connect();
        if (!link) co_return totals_.error(link.error());
        if (auto ec = co_await open_pubsub(*link, true)) co_return totals_.error(ec);
        subscribers.push_back(std::move(*link));
    }
    auto publisher_link = co_await connect_as(author_);
    if (!publisher_link) co_return totals_.error(publisher_link.error());
    if (auto ec = co_await open_pubsub(*publisher_link, false)) co_return totals_.error(ec);
    totals_.handshakes = settings_.connections + 1;
    // The gateway has read every SUBSCRIBE once each subscriber's stream was answered; a moment
    // more for a gateway that applies them later.
    sealed::net::steady_timer settle(io_, std::chrono::milliseconds(300));
    co_await settle.async_wait(sealed::net::as_tuple(sealed::net::use_awaitable));
    std::vector<std::uint64_t> received(subscribers.size(), 0);
    for (std::size_t i = 0; i < subscribers.size(); ++i)
        sealed::net::co_spawn(io_, subscriber(subscribers[i], received[i], until, i == 0), sealed::net::detached);
    co_await publisher(*publisher_link, received, until);
    for (auto r : received) totals_.messages += r;
    co_await close(*publisher_link);
    for (auto& s : subscribers) co_await close(s);
    // The readers end on their closed channels; the links must outlive them.
    for (int i = 0; i < 400 && readers_ > 0; ++i) {
        settle.expires_after(std::chrono::milliseconds(5));
        co_await settle.async_wait(sealed::net::as_tuple(sealed::net::use_awaitable));
    }
}

// Our pubsub stream (with the subscription as its first RPC); /floodsub/1.0.0 if meshsub is refused.
inline sealed::awaitable<sealed::error_code> libp2p_driver::open_pubsub(link_type& l, bool subscribe) {
    const auto rpc = subscribe ? sealed::libp2p::pubsub::frame_subscriptions({{true, topic_}}) : sealed::bytes{};
    for (std::string_view protocol : {"/meshsub/1.1.0", "/floodsub/1.0.0"}) {
        sealed::bytes wire;
        const auto id = l.dialer().open_stream(protocol, rpc, wire);
        if (auto ec = co_await l.send(wire)) co_return ec;
        auto answered = [&] {
            return std::any_of(l.events.begin(), l.events.end(), [&](const auto& e) {
                return e.stream == id && (e.what == kind::selected || e.what == kind::refused);
            });
        };
        if (auto ec = co_await l.receive_until(answered)) co_return ec;
        const bool selected = l.count(kind::selected) > 0;
        l.events.clear();
        if (selected) {
            pubsub_stream_ = id;
            co_return sealed::error_code{};
        }
    }
    co_return sealed::make_error_code(sealed::errc::protocol_violation);
}

// Counts the messages on our topic in the RPCs the gateway writes on its streams to us.
inline sealed::awaitable<void> libp2p_driver::subscriber(link_type& l, std::uint64_t& received,
                                                        clock_type::time_point until, bool timed) {
    ++readers_;
    std::map<std::uint32_t, sealed::bytes> pending;
    while (clock_type::now() < until) {
        if (auto ec = co_await l.receive()) {
            if (clock_type::now() < until) totals_.error(ec);
            break;
        }
        for (auto& e : l.events) {
            if (e.what != kind::data) continue;
            auto& buffer = pending[e.stream];
            buffer.insert(buffer.end(), e.data.begin(), e.data.end());
            std::size_t at = 0;
            for (;;) {
                std::size_t after = at;
                auto length = sealed::libp2p::read_uvarint(buffer, after);
                if (!length || !*length || buffer.size() - after < **length) break;
                auto rpc = sealed::libp2p::pubsub::parse_rpc(sealed::const_bytes(buffer).subspan(after, **length));
                if (rpc && clock_type::now() < until)
                    for (const auto& m : rpc->publish) {
                        received += m.topic == topic_;
                        if (timed) record_latency(m.seqno);
                    }
                at = after + **length;
            }
            buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(at));
        }
        l.events.clear();
        progress_.cancel();
    }
    --readers_;
}

// Publishes until `until`, at most `window` messages ahead of the slowest subscriber. A reader
// beside it takes the gateway's window updates and pings; its answers go out with our next write
// (one writer per channel).
inline sealed::awaitable<void> libp2p_driver::publisher(link_type& l, const std::vector<std::uint64_t>& received,
                                                       clock_type::time_point until) {
    sealed::bytes answers;
    ++readers_;
    sealed::net::co_spawn(io_, [this, &l, &answers]() -> sealed::awaitable<void> {
        while (!co_await l.receive_into(answers)) {
            l.events.clear();
            progress_.cancel();
        }
        --readers_;
    }, sealed::net::detached);
    std::size_t next = 0;
    while (clock_type::now() < until) {
        const auto slowest = received.empty() ? published_ : *std::min_element(received.begin(), received.end());
        sealed::bytes wire = std::exchange(answers, {});
        for (int batch = 0; batch < 16 && published_ < slowest + window; ++batch) {
            if (next == messages_.size()) {  // the signed ones are used up: sign more, counted
                messages_.push_back(sealed::libp2p::pubsub::frame_publish(sealed::libp2p::pubsub::sign_message(
                    *author_, topic_, sealed::bytes(settings_.size, 'x'), first_seqno + next)));
                ++signed_during_run_;
            }
            if (l.dialer().write(pubsub_stream_, messages_[next], wire)) break;  // the stream's window is shut
            sent_at_.push_back(clock_type::now());
            ++next;
            ++published_;
        }
        if (!wire.empty()) {
            if (auto ec = co_await l.send(wire)) co_return totals_.error(ec);
            continue;
        }
        progress_.expires_at(until);
        co_await progress_.async_wait(sealed::net::as_tuple(sealed::net::use_awaitable));
    }
}

}  // namespace loadgen
