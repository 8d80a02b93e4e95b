// The noise scheme: Noise over sealed's message transports, XX by default.
//   sealed::server<sealed::wss, sealed::noise::scheme> srv(io, cfg, opts);
// Each transport message carries one or more frames `u16 BE length ‖ Noise message` (the
// framing the Noise spec suggests for streams, and libp2p's): a handshake message is one frame;
// an app message is sealed as ceil(n / 65519) Noise transport messages (at least one), so apps
// keep the transport's message size while every Noise message stays within Noise's 65535 bytes.
// Each frame's AD is one byte, 1 on the last frame of an app message and 0 before it, so a
// message cut short between frames does not open. The peer id is the peer's static public key
// in hex. docs/schemes/noise.md has the threat model.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/concepts.hpp>
#include <sealed/handshake.hpp>
#include <sealed/hooks.hpp>
#include <sealed/noise/error.hpp>
#include <sealed/noise/handshake_state.hpp>
#include <sealed/noise/keys.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace sealed::noise {

inline constexpr std::size_t frame_header_size = 2;
inline constexpr std::size_t max_frame_plaintext = max_message_size - tag_size;

class cipher {
public:
    cipher(cipher_state send, cipher_state receive) : send_(std::move(send)), receive_(std::move(receive)) {}

    error_code seal(const_bytes plaintext, message_buffer& out);
    // noise::error::bad_frame for broken framing, errc::decrypt_failed for a frame that does not
    // open; on failure `out` holds nothing.
    error_code open(const_bytes wire, message_buffer& out);
    void release_idle_memory() {
        send_.release_context();
        receive_.release_context();
    }

    static constexpr std::size_t wire_size(std::size_t plaintext) {
        const std::size_t frames = plaintext == 0 ? 1 : (plaintext + max_frame_plaintext - 1) / max_frame_plaintext;
        return plaintext + frames * (frame_header_size + tag_size);
    }

private:
    cipher_state send_, receive_;
};

struct options {
    // This side's static key; the default pattern (XX) sends it, so it is required there.
    std::shared_ptr<const crypto::x25519_private_key> static_key;
    // Only these peers (their static public keys); null: any peer that completes the handshake.
    std::shared_ptr<const allowlist> allowed;
    // Client: the server's static key. The handshake refuses any other server, and patterns
    // that need it known in advance (IK, NK, ...) take it from here.
    std::optional<crypto::x25519_public_key> expected_peer;
    std::string protocol_name = "Noise_XX_25519_ChaChaPoly_SHA256";
    bytes prologue;  // bound into the handshake hash: both sides must use the same
    std::chrono::milliseconds handshake_timeout{10000};
};

class handshake {
public:
    using cipher_type = noise::cipher;
    using action = next_action<cipher>;

    handshake(role r, const options& o, ephemeral_source ephemerals = {});

    action start();
    action resume(const_bytes in);
    std::chrono::steady_clock::duration time_limit() const { return time_limit_; }

private:
    action advance();
    action finish(bytes last_message);
    error_code check_peer();
    static action refuse(error_code ec, std::string_view why);

    std::optional<handshake_state> state_;
    error_code setup_error_;
    role role_;
    std::shared_ptr<const allowlist> allowed_;
    std::optional<crypto::x25519_public_key> expected_peer_;
    std::chrono::milliseconds time_limit_;
    bool peer_checked_ = false;
};

struct scheme {
    static constexpr std::string_view name = "noise";
    static constexpr bool authenticates_messages = true;
    using options = noise::options;
    using handshake_type = noise::handshake;

    static handshake make_handshake(role r, const options& o) { return handshake(r, o); }
    static constexpr std::size_t wire_size_limit(std::size_t plaintext_limit) { return cipher::wire_size(plaintext_limit); }
};

static_assert(Scheme<scheme>);

}  // namespace sealed::noise
