// libp2p's `/noise` security handshake (libp2p/specs noise/README.md) as a sans-I/O state
// machine over a byte stream: Noise_XX_25519_ChaChaPoly_SHA256 (sealed::noise's pieces), every
// message framed `u16 BE length ‖ message`, and the handshake payload that binds the Noise static
// key to the peer's libp2p identity: identity_sig = Ed25519("noise-libp2p-static-key:" ‖ static
// key). After it, `secure_stream` carries the connection in the same frames.
#pragma once

#include <sealed/handshake.hpp>
#include <sealed/libp2p/identity.hpp>
#include <sealed/noise/handshake_state.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sealed::libp2p {

inline constexpr std::string_view noise_protocol = "/noise";

// NoiseHandshakePayload {1 identity_key, 2 identity_sig, 4 extensions {2 stream_muxers}}.
struct noise_payload {
    bytes identity_key;  // the PublicKey protobuf
    bytes identity_sig;
    std::vector<std::string> stream_muxers;  // inlined muxer negotiation; empty: none offered
};
bytes encode_noise_payload(const noise_payload& p);
result<noise_payload> parse_noise_payload(const_bytes protobuf);
// Our payload: the identity's key and its signature over our Noise static key.
noise_payload make_noise_payload(const identity& host, const crypto::x25519_public_key& noise_static,
                                 std::vector<std::string> stream_muxers = {});
// Our payload for a static key kept for many handshakes (a node's per-start key), encoded and
// signed once: what secure_handshake::options::signed_payload takes.
std::shared_ptr<const bytes> signed_noise_payload(const identity& host, const crypto::x25519_private_key& noise_static);
// The peer id a payload proves for `noise_static`; bad_signature, unsupported_key_type, or
// malformed_protobuf otherwise.
result<peer_id> verify_noise_payload(const noise_payload& p, const crypto::x25519_public_key& noise_static);

// The connection after the handshake: plaintext in, `u16 length ‖ ciphertext` frames out (at
// most 65519 plaintext bytes each), and back. Bytes arrive in any chunks.
class secure_stream {
public:
    secure_stream(noise::cipher_state send, noise::cipher_state receive)
        : send_(std::move(send)), receive_(std::move(receive)) {}

    error_code seal(const_bytes plaintext, bytes& out);
    // Appends what whole frames in `chunk` (after what is buffered) decrypt to; a frame that does
    // not open is errc::decrypt_failed, and the stream is unusable after it.
    error_code open(const_bytes chunk, bytes& out);
    // Bytes held for an unfinished frame (bounded by one frame: 65537).
    std::size_t buffered() const noexcept { return pending_.size(); }

private:
    noise::cipher_state send_, receive_;
    bytes pending_;
    bool failed_ = false;
};

class secure_handshake {
public:
    struct options {
        std::shared_ptr<const identity> host;
        // The Noise static key (libp2p nodes make one per start); null: one per handshake.
        std::shared_ptr<const crypto::x25519_private_key> noise_static;
        std::vector<std::string> stream_muxers;  // offered inside noise; empty: negotiated after
        std::optional<peer_id> expected_peer;    // initiator: refuse any other peer
        noise::ephemeral_source ephemerals;      // tests: fixed ephemeral keys
        // signed_noise_payload(host, *noise_static), so each handshake does not sign it again;
        // null: signed per handshake. Not used when stream_muxers are offered.
        std::shared_ptr<const bytes> signed_payload;
    };
    struct step {
        bytes to_write;
        bool done = false;
        error_code error;  // the handshake failed: close the connection
    };

    secure_handshake(role r, options o);
    // The initiator's first message (nothing for the responder).
    bytes start();
    // Stream bytes, in any chunks; bytes after the last handshake message are kept (leftover).
    step on_bytes(const_bytes chunk);

    // Once done:
    const peer_id& remote_peer() const { return *remote_peer_; }
    const std::vector<std::string>& remote_stream_muxers() const noexcept { return remote_muxers_; }
    bytes take_leftover() { return std::move(pending_); }
    result<secure_stream> take_stream();

private:
    error_code read_frame(const_bytes frame, step& out);
    error_code write_message(bytes& out);
    error_code verify_remote(const bytes& payload);
    bool payload_due() const;

    role role_;
    options options_;
    std::optional<noise::handshake_state> state_;
    error_code setup_error_;
    bytes pending_;
    std::optional<peer_id> remote_peer_;
    std::vector<std::string> remote_muxers_;
    bool failed_ = false;
};

}  // namespace sealed::libp2p
