#include <sealed/hmac_x25519/error.hpp>

namespace sealed::hmac_x25519 {
namespace {

class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "sealed.hmac_x25519"; }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::invalid_message: return "invalid message";
        case error::unexpected_type: return "unexpected message type";
        case error::unsupported_version: return "unsupported protocol version";
        case error::peer_not_allowed: return "peer not authorized";
        case error::invalid_public_key: return "invalid identity public key";
        case error::identity_mismatch: return "identity id does not match its public key";
        case error::invalid_challenge: return "invalid challenge";
        case error::bad_challenge_response: return "challenge response verification failed";
        case error::handshake_refused: return "handshake refused by peer";
        case error::invalid_container: return "invalid SMSG container";
        case error::decrypt_failed: return "SMSG decryption failed";
        case error::invalid_payload: return "invalid SMSG payload";
        case error::forward_secrecy_required: return "peer does not offer forward secrecy";
        }
        return "unknown hmac_x25519 error";
    }
    boost::system::error_condition default_error_condition(int ev) const noexcept override {
        switch (static_cast<error>(ev)) {
        case error::invalid_message:
        case error::unexpected_type:
        case error::invalid_container:
        case error::invalid_payload: return condition::protocol_violation;
        case error::unsupported_version:
        case error::peer_not_allowed:
        case error::handshake_refused:
        case error::forward_secrecy_required: return condition::handshake_failed;
        case error::invalid_public_key:
        case error::identity_mismatch:
        case error::invalid_challenge:
        case error::bad_challenge_response:
        case error::decrypt_failed: return condition::authentication_failed;
        }
        return {ev, *this};
    }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
    static const category instance;
    return instance;
}

}  // namespace sealed::hmac_x25519
