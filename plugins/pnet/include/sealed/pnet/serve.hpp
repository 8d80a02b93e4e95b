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
#include <sealed/pnet/swarm.hpp>
#include <sealed/url.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <chrono>
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

// `host`: the gateway's libp2p host; with it, a peer that proposes /noise becomes a libp2p peer
// (noise, yamux, identify, ping) of the tenant its pnet key belongs to.
template <class Server>
awaitable<void> serve_swarm(Server& srv, typename Server::connection_type& c, std::string fingerprint,
                            std::chrono::milliseconds negotiate_timeout, cluster::bus* bus = nullptr,
                            const libp2p::host_options* host = nullptr,
                            libp2p::multiaddr_transport over = libp2p::multiaddr_transport::tcp) {
    auto self = c.shared_from_this();
    auto log = log::get("swarm");
    const std::string tenant = c.peer_id().empty() ? std::string("(tcp)") : c.peer_id();
    const std::string room = "broadcast:" + tenant;
    swarm_session swarm(host, observed_multiaddr(c.remote_endpoint(), over));
    net::steady_timer deadline(c.strand(), negotiate_timeout);
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
        auto out = swarm.on_bytes(in.bytes());
        if (!swarm.negotiating()) deadline.cancel();
        if (out.authenticated) log.info("tenant {} from {}: libp2p peer {}", tenant, c.remote_endpoint(), out.authenticated->to_string());
        // Join before the reply goes out: a node that has read its select's answer may say
        // something to the tenant at once, and its peers must already be members to hear it.
        if (out.joined_broadcast) c.join(room);
        if (!out.reply.empty() && co_await c.async_send(out.reply)) break;
        for (const auto& message : out.broadcasts) {
            srv.send_to_room(room, message, message_kind::binary, c.id());
            if (!bus) continue;
            const boost::json::string data(crypto::base64_encode(message));
            bus->publish({{}, cluster::target_kind::room, room, "swarm", data, {}});
        }
        if (out.error && swarm.current() == swarm_session::mode::libp2p) {
            if (out.error == errc::transport_closed) {  // the peer said GoAway: a normal end
                log.info("tenant {} from {}: libp2p peer left", tenant, c.remote_endpoint());
                c.close({close_code::normal, "go away"});
            } else {
                log.warn("tenant {} from {}: libp2p: {}; closing", tenant, c.remote_endpoint(), out.error.message());
                c.close({close_code::policy_violation, "libp2p protocol error"});
            }
            break;
        }
        if (out.error) {
            log.warn("tenant {} from {} (PSK fingerprint {}): the stream is not multistream-select — wrong PSK? "
                      "closing", tenant, c.remote_endpoint(), fingerprint);
            c.close({close_code::policy_violation, "protocol negotiation failed"});
            break;
        }
    }
    deadline.cancel();
}

}  // namespace sealed::pnet
