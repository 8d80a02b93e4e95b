#include <sealed/ecdh_gcm/error.hpp>

namespace sealed::ecdh_gcm {
namespace {

class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "sealed.ecdh_gcm"; }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::invalid_message_format: return "Invalid message format";
        case error::not_authenticated: return "Not authenticated";
        case error::authentication_failed: return "Authentication failed";
        case error::invalid_public_key: return "Invalid public key";
        case error::encryption_required: return "Encryption required";
        case error::decrypt_failed: return "Decryption failed";
        case error::already_authenticated: return "Already authenticated";
        case error::authentication_timeout: return "Authentication timeout";
        case error::heartbeat_timeout: return "Heartbeat timeout";
        }
        return "unknown ecdh_gcm error";
    }
    boost::system::error_condition default_error_condition(int ev) const noexcept override {
        switch (static_cast<error>(ev)) {
        case error::invalid_message_format:
        case error::not_authenticated:
        case error::already_authenticated: return condition::protocol_violation;
        case error::authentication_failed:
        case error::invalid_public_key:
        case error::decrypt_failed: return condition::authentication_failed;
        case error::encryption_required: return condition::handshake_failed;
        case error::authentication_timeout:
        case error::heartbeat_timeout: return condition::timeout;
        }
        return {ev, *this};
    }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
    static const category instance;
    return instance;
}

std::string_view code_name(error e) noexcept {
    switch (e) {
    case error::invalid_message_format: return "invalid_message_format";
    case error::not_authenticated: return "not_authenticated";
    case error::authentication_failed: return "authentication_failed";
    case error::invalid_public_key: return "invalid_public_key";
    case error::encryption_required: return "encryption_required";
    case error::decrypt_failed: return "decrypt_failed";
    case error::already_authenticated: return "already_authenticated";
    case error::authentication_timeout: return "authentication_timeout";
    case error::heartbeat_timeout: return "heartbeat_timeout";
    }
    return "unknown";
}

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
