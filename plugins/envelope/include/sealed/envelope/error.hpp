// The sealed envelope's refusals (docs/schemes/envelope.md): each has a stable snake_case code
// that goes on the wire in {"error":"<code>","message":"…"} and an HTTP status.
#pragma once

#include <sealed/error.hpp>

#include <optional>
#include <string_view>

namespace sealed::envelope {

enum class error {
    body_too_large = 1,        // 413: a body over the configured limit
    malformed_envelope,        // 400: not JSON, a field missing, of the wrong type or size
    unsupported_version,       // 400: v is not 1
    unknown_kid,               // 400: no current, next or in-grace previous key has this kid
    stale_timestamp,           // 401: |now - ts| over the window (60 s)
    invalid_public_key,        // 400: epk is not a point on P-256
    decrypt_failed,            // 401: the AES-GCM tag does not verify
    replayed_nonce,            // 409: the nonce was seen within its TTL
    replay_store_unavailable,  // 503: the nonce store could not answer (fail closed)
    not_found,                 // 404: no such route
    method_not_allowed,        // 405
    bad_key_file,              // a key directory file that is not what it should be
};

const boost::system::error_category& error_category() noexcept;
inline error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

// The wire code ("stale_timestamp") and the HTTP status of a refusal.
std::string_view code_of(error e) noexcept;
unsigned http_status_of(error e) noexcept;
// The error a wire code names ("replayed_nonce" → error::replayed_nonce), for clients.
std::optional<error> error_from_code(std::string_view code) noexcept;
// The refusal an error_code from open_request() stands for: this category's own, the crypto
// layer's invalid_public_key / decrypt_failed as themselves, anything else as malformed_envelope.
error refusal_of(const error_code& ec) noexcept;

}  // namespace sealed::envelope

template <>
struct boost::system::is_error_code_enum<sealed::envelope::error> : std::true_type {};
