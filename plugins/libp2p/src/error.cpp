#include <sealed/libp2p/error.hpp>

#include <sealed/error_table.hpp>

namespace sealed::libp2p {
namespace {

using C = condition;
constexpr error_entry<error> errors[] = {
    {error::malformed_protobuf, "malformed_protobuf", "malformed protobuf message", C::protocol_violation},
    {error::unsupported_key_type, "unsupported_key_type", "key type not supported (Ed25519 only)", C::handshake_failed},
    {error::bad_peer_id, "bad_peer_id", "not a peer id", C::protocol_violation},
    {error::bad_signature, "bad_signature", "signature does not verify", C::authentication_failed},
    {error::peer_id_mismatch, "peer_id_mismatch", "the peer's key is not the expected peer id", C::authentication_failed},
    {error::bad_key_file, "bad_key_file", "not a libp2p Ed25519 private key file", std::nullopt},
    {error::message_too_long, "message_too_long", "length prefix over the protocol's limit", C::resource_exhausted},
};

const table_category<error>& category() noexcept {
    static const table_category<error> instance("sealed.libp2p", errors);
    return instance;
}

}  // namespace

const boost::system::error_category& error_category() noexcept { return category(); }

}  // namespace sealed::libp2p
