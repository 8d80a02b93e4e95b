// HMAC-X25519's own errors, mapped onto the shared sealed conditions so apps test
// `ec == sealed::condition::authentication_failed` rather than these codes.
#pragma once

#include <sealed/error.hpp>

#include <cstdint>

namespace sealed::hmac_x25519 {

enum class error {
    invalid_message = 1,     // not JSON, not an envelope, or a field of the wrong type
    unexpected_type,         // an envelope of a type the handshake does not allow here
    unsupported_version,     // handshake version other than "1.0" (refused with a reason)
    peer_not_allowed,        // allowlist mode and the peer is not on it (refused with a reason)
    invalid_public_key,      // identity publicKey not base64, not 32 bytes, or low order
    identity_mismatch,       // identity id is not SHA-256(publicKey)[0:16] in hex
    invalid_challenge,       // challenge not base64 of 32 bytes
    bad_challenge_response,  // the responder's HMAC does not match (initiator aborts)
    handshake_refused,       // the responder answered accepted:false (its reason is logged)
    invalid_container,       // not an SMSG container: magic, version, header, truncation
    decrypt_failed,          // XChaCha20-Poly1305 tag mismatch
    invalid_payload,         // the decrypted message is not {"body":"…","timestamp":…}
    forward_secrecy_required,  // ephemeral_mode::require and the peer did not announce it
};

const boost::system::error_category& error_category() noexcept;
inline error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace sealed::hmac_x25519

template <>
struct boost::system::is_error_code_enum<sealed::hmac_x25519::error> : std::true_type {};
