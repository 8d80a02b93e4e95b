// ECDH-GCM session scheme (PROTOCOLS.md §1), wire-compatible with the IGNIS framework's
// WebSocket helper: the client authenticates with a Bearer token and an ephemeral P-256 public
// key; the server answers `connected` with its own ephemeral key and a salt; both derive an
// AES-256-GCM key with HKDF-SHA-256; every later frame is an `encrypted` event.
#pragma once

#include <sealed/concepts.hpp>
#include <sealed/crypto/aead.hpp>
#include <sealed/crypto/ecdh.hpp>
#include <sealed/ecdh_gcm/error.hpp>
#include <sealed/ecdh_gcm/wire.hpp>

#include <functional>
#include <optional>
#include <string>

namespace sealed::ecdh_gcm {

inline constexpr std::string_view default_hkdf_info = "ignis-ecdh-p256-aes-256-gcm-v1";
inline constexpr std::size_t salt_size = 32;
inline constexpr std::size_t iv_size = 12;

struct options {
    std::string hkdf_info{default_hkdf_info};
    bool require_encryption = true;
    // Server: checks a Bearer token and returns the user id, or nullopt to refuse (close 4003).
    // Unset: any non-empty token is accepted and is the user id (the chat example's rule).
    std::function<std::optional<std::string>(std::string_view token)> authenticate;
    // Client: what to send.
    std::string token = "anonymous";
    bool encrypt = true;  // false: no clientPublicKey (plaintext events; needs require_encryption off)
};

// Seals plaintext (an inner event's UTF-8 JSON) into an `encrypted` event and opens it back.
// Without a key (requireEncryption off, no clientPublicKey) it passes events through.
class cipher {
public:
    static constexpr std::uint64_t max_messages = std::uint64_t(1) << 32;  // per key, PROTOCOLS.md §1

    cipher() = default;  // plaintext mode
    explicit cipher(crypto::aead key) : key_(std::move(key)) {}

    error_code seal(const_bytes plaintext, message_buffer& out);
    error_code open(const_bytes wire, message_buffer& out);
    close_reason close_reason_for(const error_code& ec) const;
    bool encrypted() const noexcept { return key_.has_value(); }

private:
    std::optional<crypto::aead> key_;
    std::uint64_t sealed_ = 0;
    bytes scratch_;  // ciphertext ‖ tag before base64, reused
};

class handshake {
public:
    using cipher_type = cipher;
    handshake(role r, options opts);

    next_action<cipher> start();
    next_action<cipher> resume(const_bytes in);

private:
    next_action<cipher> server_resume(const_bytes in);
    next_action<cipher> client_resume(const_bytes in);
    next_action<cipher> refuse(error e, std::string_view message);
    result<crypto::aead> derive(const crypto::p256_private_key& mine, const crypto::p256_public_key& peer,
                                const_bytes salt) const;

    role role_;
    options options_;
    std::optional<crypto::p256_private_key> client_key_;  // the client's ephemeral key
};

struct scheme {
    static constexpr std::string_view name = "ecdh_gcm";
    static constexpr bool authenticates_messages = true;
    using options = ecdh_gcm::options;
    using handshake_type = handshake;
    static handshake make_handshake(role r, const options& o) { return handshake(r, o); }
    // base64 of ciphertext ‖ tag, plus the JSON envelope and the iv.
    static constexpr std::size_t wire_size_limit(std::size_t plaintext) {
        return (plaintext + crypto::aead::tag_size + 2) / 3 * 4 + 128;
    }
};

static_assert(Scheme<scheme>);

}  // namespace sealed::ecdh_gcm
