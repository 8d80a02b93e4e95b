// ECDH-GCM session scheme (PROTOCOLS.md §1), wire-compatible with the IGNIS framework's
// WebSocket helper: the client authenticates with a Bearer token and an ephemeral P-256 public
// key; the server answers `connected` with its own ephemeral key and a salt; both derive an
// AES-256-GCM key with HKDF-SHA-256; every later frame is an `encrypted` event.
#pragma once

#include <sealed/concepts.hpp>
#include <sealed/control.hpp>
#include <sealed/crypto/aead.hpp>
#include <sealed/crypto/ecdh.hpp>
#include <sealed/http.hpp>
#include <sealed/ecdh_gcm/error.hpp>
#include <sealed/ecdh_gcm/key_map.hpp>
#include <sealed/ecdh_gcm/wire.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace sealed::ecdh_gcm {

inline constexpr std::string_view default_hkdf_info = "ignis-ecdh-p256-aes-256-gcm-v1";
inline constexpr std::size_t salt_size = 32;
inline constexpr std::size_t iv_size = 12;
// IGNIS puts every client in a room of its own id and in these two.
inline constexpr std::string_view default_room = "ws-default";
inline constexpr std::string_view notification_room = "ws-notification";

// IGNIS's behaviour where migrating from IGNIS needs it (docs/schemes/ecdh_gcm.md,
// "Differences"). Off by default: sealed's own is the safer one.
struct ignis_compatibility {
    // Server: a client that has a key may still send events in clear, and they are served, as
    // IGNIS 0.0.7 does. Off: such an event gets encryption_required and close 4004.
    bool clear_events_after_key = false;
    // Server: the runtime's error events after the handshake (a frame that is not an event, a
    // refused join, rate_limited ...) go out sealed, as IGNIS sends its errors. Off: in clear.
    bool sealed_errors = false;
};

struct options {
    std::string hkdf_info{default_hkdf_info};
    bool require_encryption = true;
    // Server: close 4001 when no authenticate arrives in time after the upgrade, and 4002 when a
    // client sends nothing (heartbeats included) for heartbeat_timeout (IGNIS's defaults).
    std::chrono::milliseconds authentication_timeout = std::chrono::seconds(5);
    std::chrono::milliseconds heartbeat_timeout = std::chrono::seconds(90);
    // Server: the session keys of live connections by client id (shared by the server's copies).
    std::shared_ptr<key_map> keys = std::make_shared<key_map>();
    // Server: checks a Bearer token and returns the user id, or nullopt to refuse (close 4003).
    // Unset: any non-empty token is accepted and is the user id (the chat example's rule).
    std::function<std::optional<std::string>(std::string_view token)> authenticate;
    // Messages one session key seals before the channel fails with errc::nonce_exhausted (the
    // server then closes 1008 and the client reconnects for a new key). At most 2^32, the limit
    // for random 96-bit IVs (PROTOCOLS.md §1); lower only to rekey sooner.
    std::uint64_t max_messages_per_key = std::uint64_t(1) << 32;
    ignis_compatibility ignis;
    // Client: what to send.
    std::string token = "anonymous";
    bool encrypt = true;  // false: no clientPublicKey (plaintext events; needs require_encryption off)
};

// Seals plaintext (an inner event's UTF-8 JSON) into an `encrypted` event and opens it back.
// Without a key (requireEncryption off, no clientPublicKey) it passes events through. Only
// `heartbeat` (both ways) and `error` (server to client) may arrive in clear once keyed.
class cipher {
public:
    static constexpr std::uint64_t max_messages = std::uint64_t(1) << 32;  // per key, PROTOCOLS.md §1

    explicit cipher(role r) : role_(r) {}  // plaintext mode
    cipher(role r, std::shared_ptr<session_key> key, std::uint64_t max_messages_per_key = max_messages,
           ignis_compatibility compat = {})
        : role_(r), key_(std::move(key)), limit_(std::min(max_messages_per_key, max_messages)), compat_(compat) {}

    error_code seal(const_bytes plaintext, message_buffer& out);
    error_code open(const_bytes wire, message_buffer& out);
    // A frame that is not an event gets an error event and the connection goes on (as IGNIS);
    // one that fails to decrypt, or comes in clear when encryption is on, ends it (4003 / 4004).
    open_failure on_open_failure(const error_code& ec) const;
    bool encrypted() const noexcept { return key_ != nullptr; }
    // The runtime's replies go out sealed once keyed when ignis_compatibility::sealed_errors is on.
    bool seals_replies() const noexcept { return key_ && compat_.sealed_errors; }
    // While the connection is quiet: frees the keyed AES-GCM context and the scratch buffer.
    void release_idle_memory();
    bool holds_context() const noexcept { return key_ && key_->aead().holds_context(); }

private:
    role role_;
    std::shared_ptr<session_key> key_;
    std::uint64_t sealed_ = 0;
    std::uint64_t limit_ = max_messages;
    ignis_compatibility compat_;
    bytes scratch_;  // ciphertext ‖ tag before base64, reused
};

// The handshake's random choices. Unset ones are drawn when needed; a known-answer test sets
// them, so the vector test drives this handshake rather than a copy of the protocol.
struct handshake_randomness {
    std::optional<crypto::p256_private_key> ephemeral;       // either role's ephemeral key
    std::optional<std::array<byte, salt_size>> salt;          // server: the HKDF salt
    std::optional<std::string> client_id;                     // server: the client's id
};

class handshake {
public:
    using cipher_type = cipher;
    handshake(role r, options opts);
    handshake(role r, options opts, handshake_randomness fixed);

    next_action<cipher> start();
    next_action<cipher> resume(const_bytes in);
    // Server: the token the upgrade request carried. The authenticate frame's token must then be
    // empty or the same (a different one is refused, 4003).
    void use_upgrade_token(std::string token) { upgrade_token_ = std::move(token); }
    // Server: the authentication timeout (after the upgrade) and how it closes (4001).
    std::chrono::steady_clock::duration time_limit() const { return options_.authentication_timeout; }
    close_reason timeout_reason() const;

private:
    next_action<cipher> server_resume(const_bytes in);
    next_action<cipher> client_resume(const_bytes in);
    next_action<cipher> refuse(error e, std::string_view message);
    result<std::shared_ptr<session_key>> derive(const crypto::p256_private_key& mine,
                                                const crypto::p256_public_key& peer, const_bytes salt,
                                                const std::string& client_id) const;

    crypto::p256_private_key take_ephemeral();

    role role_;
    options options_;
    handshake_randomness fixed_;
    std::optional<crypto::p256_private_key> client_key_;  // the client's ephemeral key
    std::string upgrade_token_;
};

struct scheme {
    static constexpr std::string_view name = "ecdh_gcm";
    static constexpr bool authenticates_messages = true;
    using options = ecdh_gcm::options;
    using handshake_type = handshake;
    static handshake make_handshake(role r, const options& o) { return handshake(r, o); }
    // Server: a token that came with the upgrade (Authorization: Bearer, or a browser's bearer
    // subprotocol, server_config::bearer_subprotocol) is the credential.
    static handshake make_handshake(role r, const options& o, const http_request& req) {
        handshake h(r, o);
        h.use_upgrade_token(std::string(bearer_token(req)));
        return h;
    }
    // base64 of ciphertext ‖ tag, plus the JSON envelope and the iv.
    static constexpr std::size_t wire_size_limit(std::size_t plaintext) {
        return (plaintext + crypto::aead::tag_size + 2) / 3 * 4 + 128;
    }
    // Server runtime hooks: heartbeat, join/leave and refusals of opened inner events; 4002.
    static inbound inspect(const_bytes plaintext);
    static std::optional<sealed::liveness> liveness(const options& o) {
        return sealed::liveness{o.heartbeat_timeout, close_reason{4002, "Heartbeat timeout"}};
    }
    // A client over the rate limit learns that messages were dropped (an error event, in clear
    // like the scheme's other runtime errors unless sealed_errors; at most one a second).
    static outgoing_message rate_limited_reply();
};

static_assert(Scheme<scheme>);

}  // namespace sealed::ecdh_gcm
