// Error codes of the core (Beast style): expected failures are error_codes, never exceptions.
// Plugins define their own enums and map them onto the shared conditions below, so apps test
// conditions (`ec == sealed::condition::authentication_failed`) rather than plugin codes.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <type_traits>

namespace sealed {

using error_code = boost::system::error_code;
template <class T>
using result = boost::system::result<T, error_code>;

enum class errc {
    // transport
    transport_closed = 1,   // the peer closed or the connection broke
    message_too_big,        // a message over the configured limit
    timeout,                // an operation did not finish within its deadline
    handshake_timeout,      // the handshake did not finish within handshake_timeout
    send_queue_full,        // a slow reader: the bounded send queue overflowed
    connection_refused,     // admission refused the connection (limits, origin, path)
    // handshake and protocol
    protocol_violation,     // a message that the protocol does not allow here
    unexpected_message,     // a message of the wrong kind (text/binary) or at the wrong time
    handshake_failed,       // the peer refused the handshake or the handshake could not finish
    authentication_failed,  // the peer could not prove who it is
    peer_not_allowed,       // the peer is not on the allowlist
    unsupported_version,    // the peer speaks a version we do not
    // crypto
    invalid_public_key,     // a public key not on the curve, the identity, wrong length, low order
    invalid_key,            // a symmetric or private key of the wrong size or form
    decrypt_failed,         // authentication tag mismatch or malformed ciphertext
    nonce_exhausted,        // a key sealed as many messages as it safely can
    invalid_encoding,       // bad base64/hex/JSON where bytes were expected
    invalid_argument,       // sizes out of range (HKDF length, nonce length, ...)
    unsupported_algorithm,  // the chosen provider does not implement this primitive
    crypto_failure,         // the crypto library reported an internal failure
    // runtime policies
    rate_limited,           // a message dropped by the per-connection token bucket
    duplicate_message,      // a message id seen within dedup_ttl
    shutting_down,          // the server is stopping
    descriptor_limit,       // the open-file limit (RLIMIT_NOFILE) cannot hold max_connections
    // scale-out: Redis and the replay store (our backend, never the peer's fault, so only
    // redis_timeout and replay_store_full map onto a shared condition)
    redis_unavailable,         // not connected to Redis (down, reconnecting, stopped): fail fast
    redis_error,               // Redis answered with an error reply
    redis_timeout,             // Redis did not answer within the request or connect timeout
    redis_auth_failed,         // Redis refused AUTH, or wants a password that was not configured
    replay_store_unavailable,  // the replay store could not tell whether a nonce is new (fail closed)
    replay_store_full,         // the in-memory replay store holds max_entries live nonces
};

// Conditions shared by every layer and plugin.
enum class condition {
    transport_closed = 1,
    timeout,
    handshake_failed,
    authentication_failed,
    protocol_violation,
    resource_exhausted,
};

const boost::system::error_category& error_category() noexcept;
const boost::system::error_category& condition_category() noexcept;

inline error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }
inline boost::system::error_condition make_error_condition(condition c) noexcept {
    return {static_cast<int>(c), condition_category()};
}

// WebSocket close codes: RFC 6455's registry plus the ones the seed transports use.
// 1003/1004 are the seed's "idle timeout" and "shutdown"; RFC 6455 calls 1003 "unsupported data"
// and reserves 1004, which receivers (Beast, browsers, gorilla) refuse, so the WebSocket
// transport sends 1004 as 1001 with reason "server shutdown". docs/runtime.md has the table.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t idle_timeout = 1003;
inline constexpr std::uint16_t shutdown = 1004;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
}  // namespace close_code

// Why a connection is being closed: a code and a short reason (≤ 123 bytes on a WebSocket).
struct close_reason {
    std::uint16_t code = close_code::normal;
    std::string reason;
};

// The close code the core sends for a failure when the scheme does not choose one.
std::uint16_t default_close_code(const error_code& ec) noexcept;

}  // namespace sealed

template <>
struct boost::system::is_error_code_enum<sealed::errc> : std::true_type {};
template <>
struct boost::system::is_error_condition_enum<sealed::condition> : std::true_type {};
