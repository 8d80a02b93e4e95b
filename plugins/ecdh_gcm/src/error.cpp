#include <sealed/ecdh_gcm/error.hpp>

#include <sealed/error_table.hpp>

namespace sealed::ecdh_gcm {
namespace {

using C = condition;
constexpr error_entry<error> errors[] = {
    {error::invalid_message_format, "invalid_message_format", "Invalid message format", C::protocol_violation},
    {error::not_authenticated, "not_authenticated", "Not authenticated", C::protocol_violation},
    {error::authentication_failed, "authentication_failed", "Authentication failed", C::authentication_failed},
    {error::invalid_public_key, "invalid_public_key", "Invalid public key", C::authentication_failed},
    {error::encryption_required, "encryption_required", "Encryption required", C::handshake_failed},
    {error::decrypt_failed, "decrypt_failed", "Decryption failed", C::authentication_failed},
    {error::already_authenticated, "already_authenticated", "Already authenticated", C::protocol_violation},
    {error::authentication_timeout, "authentication_timeout", "Authentication timeout", C::timeout},
    {error::heartbeat_timeout, "heartbeat_timeout", "Heartbeat timeout", C::timeout},
    {error::rate_limited, "rate_limited", "Rate limited: messages dropped", C::resource_exhausted},
};

const table_category<error>& category() noexcept {
    static const table_category<error> instance("sealed.ecdh_gcm", errors);
    return instance;
}

}  // namespace

const boost::system::error_category& error_category() noexcept { return category(); }

std::string_view code_name(error e) noexcept { return category().code_name(e); }

std::uint16_t close_code_for(error e) noexcept {
    switch (e) {
    case error::authentication_timeout: return 4001;
    case error::heartbeat_timeout: return 4002;
    case error::authentication_failed:
    case error::invalid_public_key:
    case error::decrypt_failed: return 4003;
    case error::encryption_required: return 4004;
    default: return 0;  // reported with an error event; the connection stays open
    }
}

}  // namespace sealed::ecdh_gcm
