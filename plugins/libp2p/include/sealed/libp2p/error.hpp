// The libp2p pieces' own errors, mapped onto the shared sealed conditions (error_table.hpp's
// rule: malformed → protocol_violation, a key or signature that does not verify →
// authentication_failed).
#pragma once

#include <sealed/error.hpp>

namespace sealed::libp2p {

enum class error {
    malformed_protobuf = 1,  // bytes that are not the protobuf message expected
    unsupported_key_type,    // a key type other than Ed25519 (RSA, secp256k1, ECDSA)
    bad_peer_id,             // text or bytes that are not a peer id (base58btc multihash)
    bad_signature,           // a signature that does not verify with the key it came with
    peer_id_mismatch,        // a peer whose key is not the peer id expected
    bad_key_file,            // an identity key file that is not a libp2p Ed25519 private key
    message_too_long,        // a length prefix past the protocol's limit
};

const boost::system::error_category& error_category() noexcept;
inline error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace sealed::libp2p

template <>
struct boost::system::is_error_code_enum<sealed::libp2p::error> : std::true_type {};
