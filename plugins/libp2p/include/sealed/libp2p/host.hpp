// One libp2p connection as a listening host serves it, sans-I/O: fed the plaintext stream (what
// pnet decrypted), it runs multistream-select for `/noise`, the Noise XX handshake with the libp2p
// payload, multistream-select for `/yamux/1.0.0` inside the secure channel, then yamux streams,
// each negotiated on its own: `/ipfs/id/1.0.0` (our Identify, then FIN) and `/ipfs/ping/1.0.0`
// (32-byte echoes); anything else gets "na". It answers on its own and tells the caller who the
// peer is once noise has proved it.
#pragma once

#include <sealed/libp2p/identify.hpp>
#include <sealed/libp2p/identity.hpp>
#include <sealed/libp2p/multistream.hpp>
#include <sealed/libp2p/secure_channel.hpp>
#include <sealed/libp2p/yamux.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace sealed::libp2p {

struct host_options {
    std::shared_ptr<const identity> host;
    std::shared_ptr<const crypto::x25519_private_key> noise_static;  // one per process start
    std::string agent_version = "sealed-swarm-gateway/0.1";
    std::vector<bytes> listen_addrs;
    yamux::limits yamux_limits;
};

class host_connection {
public:
    struct output {
        bytes to_write;
        error_code error;                        // close the connection
        std::optional<peer_id> authenticated;   // set once, when noise proved the peer
    };
    enum class phase : unsigned char { security, noise, muxer, streams };

    // `observed`: the peer's address as this host sees it (Identify's observedAddr).
    host_connection(const host_options& options, bytes observed);
    // Our multistream header: the first bytes this host sends.
    static bytes greeting();
    output on_bytes(const_bytes chunk);
    // For a caller that ran the security negotiation itself and answered "/noise": the bytes
    // that followed the proposal go to the handshake.
    output begin_noise(const_bytes rest);
    phase current() const noexcept { return phase_; }
    const std::optional<peer_id>& remote_peer() const noexcept { return remote_; }

private:
    enum class stream_role : unsigned char { negotiating, ping, done };
    struct stream {
        multistream::reader reader;
        stream_role role = stream_role::negotiating;
        bool header_seen = false;
        bytes ping_pending;
    };

    void negotiate_security(const_bytes chunk, output& out);
    void run_noise(const_bytes chunk, output& out);
    void on_plaintext(const_bytes plaintext, output& out);
    void negotiate_muxer(const_bytes plaintext, output& out);
    void on_yamux(const_bytes plaintext, output& out);
    void on_stream_data(std::uint32_t id, stream& s, const_bytes data, bytes& frames);
    void select(std::uint32_t id, stream& s, const std::string& protocol, bytes& frames);
    void serve_ping(std::uint32_t id, stream& s, const_bytes data, bytes& frames);
    void send_plaintext(const bytes& plaintext, output& out);
    bytes identify_message() const;

    const host_options& options_;
    bytes observed_;
    phase phase_ = phase::security;
    multistream::reader reader_;
    bool header_seen_ = false;
    std::optional<secure_handshake> handshake_;
    std::optional<secure_stream> secure_;
    std::optional<yamux::session> muxer_;
    std::map<std::uint32_t, stream> streams_;
    std::optional<peer_id> remote_;
};

}  // namespace sealed::libp2p
