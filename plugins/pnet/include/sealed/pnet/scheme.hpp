// PSK-pnet (PROTOCOLS.md §4): libp2p's private-network layer, Private-Networks-PSK-V1. Each side
// sends 24 random nonce bytes in clear, then XORs everything it sends with XSalsa20(PSK, its
// nonce) — one keystream per direction, continuous across frames, so message boundaries mean
// nothing and the peer's nonce may arrive alone, split, or with data behind it. There is no
// MAC: a wrong PSK shows only as garbage to the layer above.
// Server: with a master secret, the PSK of each connection is the tenant key of the DID in its
// path (`/swarm/{DID}`, checked before the upgrade: a bad DID is HTTP 400).
#pragma once

#include <sealed/concepts.hpp>
#include <sealed/crypto/stream.hpp>
#include <sealed/pnet/deny_list.hpp>
#include <sealed/pnet/psk.hpp>
#include <sealed/http.hpp>

#include <boost/beast/http/message.hpp>

#include <chrono>
#include <memory>
#include <optional>

namespace sealed::pnet {

inline constexpr std::size_t nonce_size = 24;
inline constexpr std::string_view default_path_prefix = "/swarm/";

struct options {
    // Client, or a server without a master secret: the network's PSK.
    psk key;
    // Server: each connection's PSK is tenant_psk(master secret, DID from the path).
    std::shared_ptr<const secure_bytes> master_secret;
    // Server, during a rotation: the next generation. A connection is keyed with whichever of the
    // two its first bytes decrypt under (a dialer always starts with "/multistream/1.0.0\n"), and
    // joins room "pnet-key:current" or "pnet-key:next" so that an operator sees who still uses
    // the old one.
    std::shared_ptr<const secure_bytes> next_master_secret;
    std::string path_prefix{default_path_prefix};
    // Server: revoked tenants, refused before the upgrade with 403 (null: none).
    std::shared_ptr<const deny_list> denied;
    std::chrono::milliseconds handshake_timeout = std::chrono::seconds(10);
};

// Keystream XOR both ways; stateful (the position in each direction's stream).
class cipher {
public:
    cipher(crypto::salsa20 outgoing, crypto::salsa20 incoming)
        : outgoing_(std::move(outgoing)), incoming_(std::move(incoming)) {}
    error_code seal(const_bytes plaintext, message_buffer& out) { return apply(outgoing_, plaintext, out); }
    error_code open(const_bytes wire, message_buffer& out) { return apply(incoming_, wire, out); }

private:
    static error_code apply(crypto::salsa20& stream, const_bytes in, message_buffer& out) {
        auto dst = out.prepare(in.size());
        stream.apply(in, dst);
        out.commit(in.size());
        return {};
    }
    crypto::salsa20 outgoing_;
    crypto::salsa20 incoming_;
};

// The rooms a rotating server puts each connection in, by the key generation it used.
inline constexpr std::string_view current_key_room = "pnet-key:current";
inline constexpr std::string_view next_key_room = "pnet-key:next";

class handshake {
public:
    using cipher_type = cipher;
    // `tenant`: the DID the key belongs to (the peer id the server reports), may be empty.
    handshake(psk key, std::string tenant, std::chrono::milliseconds time_limit);
    // A server with two key generations: it reads the peer's first bytes to pick one.
    handshake(psk current, psk next, std::string tenant, std::chrono::milliseconds time_limit);

    next_action<cipher> start();
    next_action<cipher> resume(const_bytes in);
    std::chrono::steady_clock::duration time_limit() const { return time_limit_; }

private:
    // The generation whose keystream turns the peer's first bytes into the multistream header
    // (the current one when neither does: the layer above then sees garbage, as for any wrong key).
    bool next_matches(const_bytes peer_nonce, const_bytes first) const;
    next_action<cipher> finish(const psk& key, std::vector<std::string> rooms);

    psk key_;
    std::optional<psk> next_key_;
    std::string tenant_;
    std::chrono::milliseconds time_limit_;
    std::array<byte, nonce_size> own_nonce_{};
    bytes received_;  // the peer's nonce as it trickles in, and whatever came with it
};

// The DID in a request target under `prefix`; error::invalid_did when the path is not
// `prefix` followed by a DID (did:<method>:<id>).
result<std::string_view> did_of(std::string_view target, std::string_view prefix) noexcept;

struct scheme {
    static constexpr std::string_view name = "pnet";
    static constexpr bool authenticates_messages = false;  // no MAC: the layer above must check
    using options = pnet::options;
    using handshake_type = handshake;
    static handshake make_handshake(role r, const options& o);
    // Server over WebSocket: the tenant key of the path's DID.
    static handshake make_handshake(role r, const options& o, const http_request& upgrade);
    // Before the upgrade: a server with a master secret takes only /swarm/{DID} (else 400), and
    // not a revoked tenant's (403).
    static std::optional<http_response> admit(const http_request& upgrade, const options& o);
    static constexpr std::size_t wire_size_limit(std::size_t plaintext) { return plaintext + nonce_size; }
};

static_assert(Scheme<scheme>);

}  // namespace sealed::pnet
