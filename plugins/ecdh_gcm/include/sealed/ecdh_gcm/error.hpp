// ECDH-GCM's own errors: each has the snake_case code of the `error` event and a close code
// (PROTOCOLS.md §1), and maps onto the shared sealed conditions.
#pragma once

#include <sealed/error.hpp>

#include <cstdint>
#include <string_view>

namespace sealed::ecdh_gcm {

enum class error {
    invalid_message_format = 1,  // not JSON, or no string "event"
    not_authenticated,           // an event before authenticate
    authentication_failed,       // the app's token check said no
    invalid_public_key,          // clientPublicKey not base64, wrong length, off the curve, identity
    encryption_required,         // requireEncryption and no clientPublicKey
    decrypt_failed,              // bad iv, truncated or tampered ciphertext
    already_authenticated,       // a second authenticate
    authentication_timeout,      // no authenticate within auth_timeout
    heartbeat_timeout,           // no heartbeat within heartbeat_timeout
    rate_limited,                // messages dropped by the server's rate limit (sealed's own)
};

const boost::system::error_category& error_category() noexcept;
inline error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

// The `code` field of the error event, e.g. "invalid_public_key".
std::string_view code_name(error e) noexcept;
// The IGNIS close code for errors that end the connection (0: the connection stays open).
std::uint16_t close_code_for(error e) noexcept;

}  // namespace sealed::ecdh_gcm

template <>
struct boost::system::is_error_code_enum<sealed::ecdh_gcm::error> : std::true_type {};
