// The swarm as a session (server.on_session), as signaling::serve and envelope::serve_websocket
// are for theirs: greet, negotiate multistream-select within the time limit, then ping,
// broadcast to the tenant's room, or (with a libp2p host) be a libp2p peer: noise, yamux,
// identify and ping, the time limit covering everything up to yamux. A stream that is not multistream-select — what a wrong PSK
// looks like, since pnet has no MAC — is closed with 1008 and a log line naming the key's
// fingerprint (never the key).
//
// Gateways that share a bus (cluster::make_redis_bus) are one swarm: pass the bus, and a
// tenant's broadcast is also published to its room as event "swarm" with the bytes in base64;
// each other gateway's cluster::router, made with swarm_bus_frame and message_kind::binary,
// hands them to its members of that room.
#pragma once

#include <sealed/cluster/bus.hpp>
#include <sealed/crypto/encoding.hpp>
#include <sealed/log.hpp>
#include <sealed/pnet/pubsub_hub.hpp>
#include <sealed/pnet/scheme.hpp>
#include <sealed/pnet/swarm.hpp>
#include <sealed/url.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace sealed::pnet {

// A bus message of another gateway's broadcast, back to the bytes for this gateway's members;
// anything else (not ours: not a base64 string) gives nothing, which a member never sees.
inline std::string swarm_bus_frame(std::string_view event, const boost::json::value& data) {
    if (event != "swarm" || !data.is_string()) return {};
    auto decoded = crypto::base64_decode(std::string_view(data.get_string()));
    if (!decoded) return {};
    return std::string(decoded->begin(), decoded->end());
}

// The peer's address as libp2p's Identify reports it ("observedAddr"); empty if unparsable.
inline bytes observed_multiaddr(const std::string& remote_endpoint, libp2p::multiaddr_transport over) {
    auto endpoint = listen_address::parse(remote_endpoint);
    if (!endpoint) return {};
    boost::system::error_code ec;
    const auto ip = net::ip::make_address(endpoint->host, ec);
    return ec ? bytes{} : libp2p::endpoint_multiaddr(ip, endpoint->port, over);
}

// ", key next" for a connection a rotating gateway keyed with the next generation (", key
// current" for the current one), nothing when it is not rotating.
template <class Connection>
std::string key_generation_note(const Connection& c) {
    for (const auto& room : c.rooms()) {
        if (room == next_key_room) return ", key next";
        if (room == current_key_room) return ", key current";
    }
    return {};
}

// What serve_swarm needs beyond the connection.
// What the gateway refused its libp2p peers, for /metrics; shared by every connection.
struct libp2p_counters {
    std::atomic<std::uint64_t> streams_refused{0};   // streams past the limit per connection, reset
    std::atomic<std::uint64_t> handshake_failed{0};  // noise or the muxer negotiation failed
    std::atomic<std::uint64_t> protocol_errors{0};   // on yamux: a frame the protocol forbids (GoAway sent)

    std::string prometheus_text() const {
        return "# TYPE sealed_swarm_libp2p_streams_refused_total counter\nsealed_swarm_libp2p_streams_refused_total " +
               std::to_string(streams_refused.load()) +
               "\n# TYPE sealed_swarm_libp2p_closed_total counter\nsealed_swarm_libp2p_closed_total{reason=\"handshake_failed\"} " +
               std::to_string(handshake_failed.load()) + "\nsealed_swarm_libp2p_closed_total{reason=\"protocol_error\"} " +
               std::to_string(protocol_errors.load()) + "\n";
    }
};

struct swarm_context {
    std::string fingerprint;  // the connection's PSK fingerprint, for log lines
    std::chrono::milliseconds negotiate_timeout{10000};
    cluster::bus* bus = nullptr;  // broadcasts to the other gateways of the swarm
    // The gateway's libp2p host: with it, a peer that proposes /noise becomes a libp2p peer of
    // the tenant its pnet key belongs to; with `hub` too, of that tenant's pubsub.
    const libp2p::host_options* host = nullptr;
    libp2p::multiaddr_transport over = libp2p::multiaddr_transport::tcp;
    pubsub_hub* hub = nullptr;
    libp2p_counters* counters = nullptr;
};

// A libp2p peer's pubsub doings, handed to the hub (serve_swarm's step after each read); false
// when the connection must close (its peer id is another tenant's). The
// session's address is its key in the hub (unique while it is registered; two servers' connection
// ids are not).
template <class Connection>
bool route_pubsub(pubsub_hub& hub, Connection& c, const std::shared_ptr<swarm_session>& swarm,
                  const std::string& tenant, swarm_session::output& out) {
    const auto key = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(swarm.get()));
    if (out.authenticated) {
        auto self = c.shared_from_this();
        const std::weak_ptr<swarm_session> session = swarm;
        auto on_strand = [self, session](auto make_bytes) {
            net::post(self->strand(), [self, session, make_bytes = std::move(make_bytes)] {
                auto s = session.lock();
                if (!s) return;
                if (auto bytes_out = make_bytes(*s); !bytes_out.empty()) self->send(std::move(bytes_out));
            });
        };
        auto deliver = [on_strand](const std::string& topic, std::shared_ptr<const bytes> raw) {
            on_strand([topic, raw](swarm_session& s) { return s.deliver(topic, *raw); });
        };
        auto announce = [on_strand](const std::string& topic) {
            on_strand([topic](swarm_session& s) { return s.announce(topic); });
        };
        if (!hub.join(key, tenant, *out.authenticated, std::move(deliver), std::move(announce))) return false;
    }
    for (auto& e : out.pubsub) {
        switch (e.what) {
        case libp2p::pubsub_event::kind::subscribed: hub.subscribed(key, e.topic); break;
        case libp2p::pubsub_event::kind::unsubscribed: hub.unsubscribed(key, e.topic); break;
        case libp2p::pubsub_event::kind::message: hub.publish(key, e.topic, e.id, e.raw); break;
        case libp2p::pubsub_event::kind::refused: hub.refused(e.reason); break;
        }
    }
    return true;
}

template <class Server>
awaitable<void> serve_swarm(Server& srv, typename Server::connection_type& c, swarm_context ctx) {
    auto self = c.shared_from_this();
    auto log = log::get("swarm");
    const std::string tenant = c.peer_id().empty() ? std::string(raw_tcp_tenant) : c.peer_id();
    const std::string room = "broadcast:" + tenant;
    const auto swarm = std::make_shared<swarm_session>(ctx.host, observed_multiaddr(c.remote_endpoint(), ctx.over),
                                                       topic_scope_of(tenant));
    net::steady_timer deadline(c.strand(), ctx.negotiate_timeout);
    deadline.async_wait([self, log, tenant](const error_code& ec) {
        if (ec) return;
        log.warn("tenant {} from {}: no multistream-select within the time limit, closing", tenant,
                  self->remote_endpoint());
        self->close({close_code::policy_violation, "protocol negotiation timeout"});
    });
    const auto greeting = swarm_session::greeting();
    if (co_await c.async_send(greeting)) co_return;
    message_buffer in;
    while (!co_await c.async_receive(in)) {
        auto out = swarm->on_bytes(in.bytes());
        if (!swarm->negotiating()) deadline.cancel();
        if (out.authenticated)
            log.info("tenant {} from {}: libp2p peer {}{}", tenant, c.remote_endpoint(), out.authenticated->to_string(),
                     key_generation_note(c));
        // Join before the reply goes out: a node that has read its select's answer may say
        // something to the tenant at once, and its peers must already be members to hear it.
        if (out.joined_broadcast) c.join(room);
        if (!out.reply.empty() && co_await c.async_send(out.reply)) break;
        if (ctx.hub && !route_pubsub(*ctx.hub, c, swarm, tenant, out)) {
            log.warn("tenant {} from {}: peer {} is connected under another tenant; closing", tenant,
                     c.remote_endpoint(), out.authenticated->to_string());
            c.close({close_code::policy_violation, "peer id belongs to another tenant"});
            break;
        }
        for (const auto& message : out.broadcasts) {
            srv.send_to_room(room, message, message_kind::binary, c.id());
            if (!ctx.bus) continue;
            const boost::json::string data(crypto::base64_encode(message));
            ctx.bus->publish({{}, cluster::target_kind::room, room, "swarm", data, {}});
        }
        if (ctx.counters) ctx.counters->streams_refused += out.streams_refused;
        if (out.error && swarm->current() == swarm_session::mode::libp2p) {
            if (out.error == errc::transport_closed) {  // the peer said GoAway: a normal end
                log.info("tenant {} from {}: libp2p peer left", tenant, c.remote_endpoint());
                c.close({close_code::normal, "go away"});
            } else {
                if (ctx.counters) ++(swarm->negotiating() ? ctx.counters->handshake_failed : ctx.counters->protocol_errors);
                log.warn("tenant {} from {}: libp2p: {}; closing", tenant, c.remote_endpoint(), out.error.message());
                c.close({close_code::policy_violation, "libp2p protocol error"});
            }
            break;
        }
        if (out.error) {
            log.warn("tenant {} from {} (PSK fingerprint {}): the stream is not multistream-select — wrong PSK? "
                      "closing", tenant, c.remote_endpoint(), ctx.fingerprint);
            c.close({close_code::policy_violation, "protocol negotiation failed"});
            break;
        }
    }
    deadline.cancel();
    if (ctx.hub) ctx.hub->leave(static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(swarm.get())));
}

}  // namespace sealed::pnet
