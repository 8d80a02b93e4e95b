#include <sealed/error.hpp>
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

class sealed_category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "sealed"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::transport_closed: return "the connection was closed";
        case errc::message_too_big: return "message exceeds the size limit";
        case errc::timeout: return "operation timed out";
        case errc::handshake_timeout: return "handshake did not finish in time";
        case errc::send_queue_full: return "send queue is full (peer reads too slowly)";
        case errc::connection_refused: return "connection refused by admission";
        case errc::protocol_violation: return "protocol violation";
        case errc::unexpected_message: return "unexpected message";
        case errc::handshake_failed: return "handshake failed";
        case errc::authentication_failed: return "authentication failed";
        case errc::peer_not_allowed: return "peer is not on the allowlist";
        case errc::unsupported_version: return "unsupported protocol version";
        case errc::invalid_public_key: return "invalid public key";
        case errc::invalid_key: return "invalid key";
        case errc::decrypt_failed: return "decryption failed";
        case errc::nonce_exhausted: return "key has sealed its maximum number of messages";
        case errc::invalid_encoding: return "invalid encoding";
        case errc::invalid_argument: return "invalid argument";
        case errc::unsupported_algorithm: return "algorithm not supported by this provider";
        case errc::crypto_failure: return "crypto library failure";
        case errc::rate_limited: return "rate limit exceeded";
        case errc::duplicate_message: return "duplicate message";
        case errc::shutting_down: return "server is shutting down";
        case errc::descriptor_limit: return "the open-file limit (ulimit -n) is below what max_connections needs";
        case errc::redis_unavailable: return "Redis is unavailable (not connected)";
        case errc::redis_error: return "Redis answered with an error";
        case errc::redis_timeout: return "Redis did not answer in time";
        case errc::redis_auth_failed: return "Redis refused the credentials (AUTH)";
        case errc::replay_store_unavailable: return "replay store unavailable";
        case errc::replay_store_full: return "replay store is full";
        }
        return "unknown sealed error";
    }

    boost::system::error_condition default_error_condition(int ev) const noexcept override {
        switch (static_cast<errc>(ev)) {
        case errc::transport_closed: return condition::transport_closed;
        case errc::timeout:
        case errc::handshake_timeout:
        case errc::redis_timeout: return condition::timeout;
        case errc::handshake_failed:
        case errc::unsupported_version: return condition::handshake_failed;
        case errc::authentication_failed:
        case errc::peer_not_allowed:
        case errc::invalid_public_key:
        case errc::decrypt_failed: return condition::authentication_failed;
        case errc::protocol_violation:
        case errc::unexpected_message:
        case errc::invalid_encoding:
        case errc::message_too_big: return condition::protocol_violation;
        case errc::send_queue_full:
        case errc::connection_refused:
        case errc::nonce_exhausted:
        case errc::rate_limited:
        case errc::descriptor_limit:
        case errc::replay_store_full: return condition::resource_exhausted;
        default: return {ev, *this};
        }
    }
};

class sealed_condition_category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "sealed.condition"; }
    std::string message(int ev) const override {
        switch (static_cast<condition>(ev)) {
        case condition::transport_closed: return "transport closed";
        case condition::timeout: return "timed out";
        case condition::handshake_failed: return "handshake failed";
        case condition::authentication_failed: return "authentication failed";
        case condition::protocol_violation: return "protocol violation";
        case condition::resource_exhausted: return "resource exhausted";
        }
        return "unknown condition";
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
    static const sealed_category instance;
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
