// The shared swarm behind every tenant's pnet layer (ADR 17: one listener, one swarm), as a
// sans-I/O state machine fed the decrypted byte stream of one connection. It speaks libp2p's
// multistream-select 1.0.0 (uvarint-length-prefixed, '\n'-terminated messages) and offers
//   /ipfs/ping/1.0.0               32-byte pings echoed back (libp2p's ping protocol)
//   /sealed/tenant-broadcast/1.0.0 uvarint-framed messages relayed to the tenant's other
//                                  broadcast connections, never to another tenant's
// Behind a pnet layer keyed with the wrong PSK the first bytes are garbage; that is where a
// wrong key is detected (pnet has no MAC), so the first message is checked strictly.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/error.hpp>
#include <sealed/libp2p/host.hpp>
#include <sealed/libp2p/multistream.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealed::pnet {

namespace multistream = libp2p::multistream;

inline constexpr std::string_view ping_protocol = "/ipfs/ping/1.0.0\n";
inline constexpr std::string_view broadcast_protocol = "/sealed/tenant-broadcast/1.0.0\n";
inline constexpr std::size_t ping_size = 32;
inline constexpr std::size_t max_broadcast = 64 * 1024;  // one broadcast message

class swarm_session {
public:
    enum class mode : unsigned char { negotiating, ping, broadcast, libp2p };
    struct output {
        bytes reply;                          // to write back on this connection
        std::vector<bytes> broadcasts;        // framed messages for the tenant's other connections
        bool joined_broadcast = false;        // this connection now takes the tenant's broadcasts
        error_code error;                     // not multistream-select (a wrong PSK looks like this)
        std::optional<libp2p::peer_id> authenticated;  // libp2p: noise proved this peer
        std::vector<libp2p::pubsub_event> pubsub;      // libp2p: what the peer did in pubsub
        std::size_t streams_refused = 0;               // libp2p: streams past the limit, reset
    };

    // With `host`, a "/noise" proposal makes this connection a libp2p peer of that host
    // (noise, yamux, identify, ping, pubsub); without, it is refused with "na". `observed` is the
    // peer's address as Identify reports it; `topics` the pubsub topic scope ("swarm/<DID>").
    explicit swarm_session(const libp2p::host_options* host = nullptr, bytes observed = {}, std::string topics = {})
        : host_options_(host), observed_(std::move(observed)), topics_(std::move(topics)) {}
    // libp2p peers: another peer's message to this one, and a topic to tell it this host holds
    // (both: what to write, empty when there is nothing).
    bytes deliver(const std::string& topic, const_bytes raw_message);
    bytes announce(const std::string& topic);
    // Still within the time limit's reach: negotiating, or a libp2p peer not yet on yamux.
    bool negotiating() const noexcept {
        return mode_ == mode::negotiating ||
               (mode_ == mode::libp2p && host_->current() != libp2p::host_connection::phase::streams);
    }

    // Our multistream header, sent as soon as the pnet layer is up.
    static bytes greeting();
    output on_bytes(const_bytes chunk);
    mode current() const noexcept { return mode_; }

private:
    void negotiate(output& out);
    void serve_ping(const_bytes data, output& out);
    void serve_broadcast(output& out);
    void take(libp2p::host_connection::output from, output& out);

    multistream::reader reader_;
    mode mode_ = mode::negotiating;
    bool header_seen_ = false;
    bool first_byte_checked_ = false;
    bytes ping_pending_;  // a ping's bytes until all 32 are in
    const libp2p::host_options* host_options_;
    bytes observed_;
    std::string topics_;
    std::optional<libp2p::host_connection> host_;
};

}  // namespace sealed::pnet
