// HMAC-X25519 (PROTOCOLS.md §3): the Go node transport's identity handshake, then SMSG frames.
//   initiator → handshake     {"identity":…,"challenge":<b64 32 B>,"version":"1.0"}   (text, clear)
//   responder ← handshake_ack {"identity":…,"challengeResponse":<b64 HMAC>,"accepted":true}
//   shared = SHA-256(X25519(own private, peer public)); HMAC-SHA256(key = shared, challenge)
// after which every message is one binary SMSG frame keyed by shared. Apps send and receive
// envelope JSON (wire::serialize / wire::parse); the cipher wraps it in SMSG.
#pragma once

#include <sealed/concepts.hpp>
#include <sealed/control.hpp>
#include <sealed/hmac_x25519/allowlist.hpp>
#include <sealed/hmac_x25519/identity.hpp>
#include <sealed/hmac_x25519/smsg.hpp>
#include <sealed/hmac_x25519/wire.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace sealed::hmac_x25519 {

inline constexpr std::size_t challenge_size = 32;

// sealed's opt-in extension for forward secrecy. The Go transport's shared secret is static-static
// (the same for every connection between two nodes, forever). With the extension each side also
// sends a fresh X25519 key in the handshake payload (`sealedEphemeral`, a field Go ignores), and
// when both did, shared = SHA-256("sealed-ephemeral-x25519/1" ‖ static shared ‖ X25519(e, E)).
// offer: use it when the peer announces it too, else speak plain Go (compatible);
// require: refuse a peer that does not (error::forward_secrecy_required).
enum class ephemeral_mode : unsigned char { off, offer, require };
inline constexpr std::string_view ephemeral_field = "sealedEphemeral";

struct options {
    // This node. Required: make_handshake() throws std::invalid_argument without one.
    std::shared_ptr<const node_identity> identity;
    // Responder (and initiator, for the node it reaches): who may connect in allowlist mode.
    auth_mode mode = auth_mode::open;
    std::shared_ptr<const allowlist> peers;
    // Initiator: the responder's node id when known (sent as `to`, and then required to match —
    // the Go transport accepts whoever answers; pinning is what makes the HMAC mean something).
    std::string expected_peer_id;
    std::chrono::milliseconds handshake_timeout = std::chrono::seconds(10);
    ephemeral_mode ephemeral = ephemeral_mode::off;
};

// Seals envelope JSON into SMSG frames and opens them back.
class cipher {
public:
    explicit cipher(smsg::codec codec) : codec_(std::move(codec)) {}
    error_code seal(const_bytes plaintext, message_buffer& out);
    error_code open(const_bytes wire, message_buffer& out);
    // A frame that is not SMSG, or does not decrypt, ends the connection (1002 / 1008): the Go
    // transport skips it, but after a forged frame nothing later on the channel can be trusted.
    open_failure on_open_failure(const error_code& ec) const;
    void release_idle_memory() {
        codec_.release_idle_memory();
        body_ = std::string();
    }

private:
    smsg::codec codec_;
    std::string body_;  // reused
};

// The handshake's random choices. Unset ones are drawn when needed; a known-answer test sets
// them, so the vector test drives this handshake rather than a copy of the protocol.
struct handshake_randomness {
    std::optional<std::array<byte, challenge_size>> challenge;  // initiator
    std::optional<crypto::x25519_private_key> ephemeral;        // either role, with ephemeral on
};

class handshake {
public:
    using cipher_type = cipher;
    handshake(role r, options opts);
    handshake(role r, options opts, handshake_randomness fixed);

    next_action<cipher> start();
    next_action<cipher> resume(const_bytes in);
    std::chrono::steady_clock::duration time_limit() const { return options_.handshake_timeout; }

    // Who the peer is, once the handshake got far enough to know (logs, tests).
    const std::optional<peer_identity>& peer() const noexcept { return peer_; }
    // Whether the session key mixes in the ephemeral exchange (both sides announced it).
    bool forward_secret() const noexcept { return forward_secret_; }

private:
    next_action<cipher> respond(const_bytes in);
    next_action<cipher> verify_ack(const_bytes in);
    next_action<cipher> refuse(error e, std::string_view reason, std::string_view to);
    next_action<cipher> established_with(const secure_bytes& shared);
    bool allowed(const peer_identity& p) const;
    // The peer's `sealedEphemeral`, mixed into `shared` when this side takes part; false when
    // the field is there but unusable.
    bool mix_ephemeral(const boost::json::value& payload, secure_bytes& shared);

    crypto::x25519_private_key take_ephemeral();

    role role_;
    options options_;
    handshake_randomness fixed_;
    std::array<byte, challenge_size> challenge_{};
    std::optional<peer_identity> peer_;
    std::optional<crypto::x25519_private_key> ephemeral_;  // dropped (wiped) with the handshake
    bool forward_secret_ = false;
};

struct scheme {
    static constexpr std::string_view name = "hmac_x25519";
    static constexpr bool authenticates_messages = true;
    using options = hmac_x25519::options;
    using handshake_type = handshake;
    static handshake make_handshake(role r, const options& o) { return handshake(r, o); }
    // The envelope becomes a JSON string inside the SMSG payload: at worst six bytes per byte
    // (\u00XX), plus the container.
    static constexpr std::size_t wire_size_limit(std::size_t plaintext) { return plaintext * 6 + smsg::overhead + 64; }
    // Envelope ids feed the runtime's dedup (the Go transport drops repeats for 5 minutes).
    static std::optional<std::string_view> message_id(const_bytes plaintext) {
        auto id = wire::find_id(as_string_view(plaintext));
        if (id.empty()) return std::nullopt;
        return id;
    }
};

static_assert(Scheme<scheme>);

}  // namespace sealed::hmac_x25519
