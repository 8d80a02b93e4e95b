#include <sealed/hmac_x25519/error.hpp>

#include <sealed/error_table.hpp>

namespace sealed::hmac_x25519 {
namespace {

using C = condition;
constexpr error_entry<error> errors[] = {
    {error::invalid_message, "invalid_message", "invalid message", C::protocol_violation},
    {error::unexpected_type, "unexpected_type", "unexpected message type", C::protocol_violation},
    {error::unsupported_version, "unsupported_version", "unsupported protocol version", C::handshake_failed},
    {error::peer_not_allowed, "peer_not_allowed", "peer not authorized", C::handshake_failed},
    {error::invalid_public_key, "invalid_public_key", "invalid identity public key", C::authentication_failed},
    {error::identity_mismatch, "identity_mismatch", "identity id does not match its public key", C::authentication_failed},
    {error::invalid_challenge, "invalid_challenge", "invalid challenge", C::protocol_violation},
    {error::bad_challenge_response, "bad_challenge_response", "challenge response verification failed", C::authentication_failed},
    {error::handshake_refused, "handshake_refused", "handshake refused by peer", C::handshake_failed},
    {error::invalid_container, "invalid_container", "invalid SMSG container", C::protocol_violation},
    {error::decrypt_failed, "decrypt_failed", "SMSG decryption failed", C::authentication_failed},
    {error::invalid_payload, "invalid_payload", "invalid SMSG payload", C::protocol_violation},
    {error::forward_secrecy_required, "forward_secrecy_required", "peer does not offer forward secrecy", C::handshake_failed},
};

const table_category<error>& category() noexcept {
    static const table_category<error> instance("sealed.hmac_x25519", errors);
    return instance;
}

}  // namespace

const boost::system::error_category& error_category() noexcept { return category(); }

}  // namespace sealed::hmac_x25519
