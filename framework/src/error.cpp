#include <sealed/error.hpp>
#include <sealed/error_table.hpp>
#include <sealed/bytes.hpp>

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/websocket/error.hpp>

#include <openssl/crypto.h>

namespace sealed {

void secure_wipe(void* data, std::size_t size) noexcept {
    if (data != nullptr && size != 0) OPENSSL_cleanse(data, size);
}

namespace {

using E = errc;
using C = condition;
constexpr error_entry<errc> errors[] = {
    {E::transport_closed, "transport_closed", "the connection was closed", C::transport_closed},
    {E::message_too_big, "message_too_big", "message exceeds the size limit", C::resource_exhausted},
    {E::timeout, "timeout", "operation timed out", C::timeout},
    {E::handshake_timeout, "handshake_timeout", "handshake did not finish in time", C::timeout},
    {E::send_queue_full, "send_queue_full", "send queue is full (peer reads too slowly)", C::resource_exhausted},
    {E::connection_refused, "connection_refused", "connection refused by admission", C::resource_exhausted},
    {E::protocol_violation, "protocol_violation", "protocol violation", C::protocol_violation},
    {E::unexpected_message, "unexpected_message", "unexpected message", C::protocol_violation},
    {E::handshake_failed, "handshake_failed", "handshake failed", C::handshake_failed},
    {E::authentication_failed, "authentication_failed", "authentication failed", C::authentication_failed},
    {E::peer_not_allowed, "peer_not_allowed", "peer is not on the allowlist", C::handshake_failed},
    {E::unsupported_version, "unsupported_version", "unsupported protocol version", C::handshake_failed},
    {E::invalid_public_key, "invalid_public_key", "invalid public key", C::authentication_failed},
    {E::invalid_key, "invalid_key", "invalid key", std::nullopt},
    {E::decrypt_failed, "decrypt_failed", "decryption failed", C::authentication_failed},
    {E::nonce_exhausted, "nonce_exhausted", "key has sealed its maximum number of messages", C::resource_exhausted},
    {E::invalid_encoding, "invalid_encoding", "invalid encoding", C::protocol_violation},
    {E::invalid_argument, "invalid_argument", "invalid argument", std::nullopt},
    {E::unsupported_algorithm, "unsupported_algorithm", "algorithm not supported by this provider", std::nullopt},
    {E::crypto_failure, "crypto_failure", "crypto library failure", std::nullopt},
    {E::rate_limited, "rate_limited", "rate limit exceeded", C::resource_exhausted},
    {E::duplicate_message, "duplicate_message", "duplicate message", std::nullopt},
    {E::shutting_down, "shutting_down", "server is shutting down", std::nullopt},
    {E::descriptor_limit, "descriptor_limit", "the open-file limit (ulimit -n) is below what max_connections needs",
     C::resource_exhausted},
    {E::redis_unavailable, "redis_unavailable", "Redis is unavailable (not connected)", std::nullopt},
    {E::redis_error, "redis_error", "Redis answered with an error", std::nullopt},
    {E::redis_timeout, "redis_timeout", "Redis did not answer in time", C::timeout},
    {E::redis_auth_failed, "redis_auth_failed", "Redis refused the credentials (AUTH)", std::nullopt},
    {E::replay_store_unavailable, "replay_store_unavailable", "replay store unavailable", std::nullopt},
    {E::replay_store_full, "replay_store_full", "replay store is full", C::resource_exhausted},
};

constexpr error_entry<condition> conditions[] = {
    {condition::transport_closed, "transport_closed", "transport closed", std::nullopt},
    {condition::timeout, "timeout", "timed out", std::nullopt},
    {condition::handshake_failed, "handshake_failed", "handshake failed", std::nullopt},
    {condition::authentication_failed, "authentication_failed", "authentication failed", std::nullopt},
    {condition::protocol_violation, "protocol_violation", "protocol violation", std::nullopt},
    {condition::resource_exhausted, "resource_exhausted", "resource exhausted", std::nullopt},
};

class sealed_condition_category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "sealed.condition"; }
    std::string message(int ev) const override {
        const auto* c = find_error_entry<condition>(conditions, ev);
        return c ? std::string(c->message) : "unknown condition";
    }
    // Errors from Asio and Beast that mean "the connection is gone" count as transport_closed.
    bool equivalent(const error_code& code, int cond) const noexcept override {
        if (code.category() == sealed::error_category())
            return code.category().default_error_condition(code.value()) ==
                   boost::system::error_condition(cond, *this);
        if (static_cast<condition>(cond) == condition::transport_closed) {
            return code == boost::asio::error::eof || code == boost::asio::error::connection_reset ||
                   code == boost::asio::error::broken_pipe ||
                   code == boost::asio::error::connection_aborted ||
                   code == boost::asio::error::operation_aborted ||
                   code == boost::asio::error::not_connected ||
                   code == boost::beast::websocket::error::closed ||
                   code == boost::beast::error::timeout;
        }
        if (static_cast<condition>(cond) == condition::timeout)
            return code == boost::beast::error::timeout || code == boost::asio::error::timed_out;
        return false;
    }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
    static const table_category<errc> instance("sealed", errors);
    return instance;
}

const boost::system::error_category& condition_category() noexcept {
    static const sealed_condition_category instance;
    return instance;
}

std::uint16_t default_close_code(const error_code& ec) noexcept {
    if (!ec) return close_code::normal;
    if (ec == errc::message_too_big) return close_code::too_big;
    if (ec == errc::shutting_down) return close_code::shutdown;
    if (ec == errc::timeout) return close_code::idle_timeout;
    if (ec == condition::protocol_violation) return close_code::protocol_error;
    if (ec == condition::authentication_failed || ec == condition::handshake_failed ||
        ec == condition::resource_exhausted || ec == errc::handshake_timeout)
        return close_code::policy_violation;
    return close_code::internal_error;
}

}  // namespace sealed
