// libp2p keys and peer ids (libp2p/specs peer-ids/peer-ids.md): the PublicKey/PrivateKey
// protobufs for Ed25519, the peer id as a multihash of the public key protobuf (identity for keys
// of at most 42 bytes, so Ed25519's is the key itself: `00 24 ‖ 08 01 12 20 ‖ key`) and its
// base58btc text ("12D3KooW…").
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/crypto/sign.hpp>
#include <sealed/error.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace sealed::libp2p {

std::string base58btc_encode(const_bytes data);
// errc::invalid_encoding for a character outside the alphabet.
result<bytes> base58btc_decode(std::string_view text);

// PublicKey{Type = Ed25519, Data = key}, deterministically: 08 01 12 20 ‖ key.
bytes public_key_protobuf(const crypto::ed25519_public_key& key);
// libp2p::error::unsupported_key_type for RSA/secp256k1/ECDSA, malformed_protobuf otherwise.
result<crypto::ed25519_public_key> parse_public_key_protobuf(const_bytes protobuf);

// PrivateKey{Type = Ed25519, Data = seed ‖ public key} as go- and js-libp2p marshal it.
secure_bytes private_key_protobuf(const crypto::ed25519_private_key& key);
result<crypto::ed25519_private_key> parse_private_key_protobuf(const_bytes protobuf);

class peer_id {
public:
    static peer_id from_public_key(const crypto::ed25519_public_key& key);
    // A multihash (identity or sha2-256); libp2p::error::bad_peer_id otherwise.
    static result<peer_id> from_bytes(const_bytes multihash);
    static result<peer_id> parse(std::string_view base58btc);

    const bytes& to_bytes() const noexcept { return multihash_; }
    std::string to_string() const { return base58btc_encode(multihash_); }
    // The Ed25519 key inlined in an identity multihash; nullopt for hashed (larger) keys.
    std::optional<crypto::ed25519_public_key> ed25519_key() const;
    bool operator==(const peer_id&) const = default;
    auto operator<=>(const peer_id&) const = default;

private:
    explicit peer_id(bytes multihash) : multihash_(std::move(multihash)) {}
    bytes multihash_;
};

}  // namespace sealed::libp2p
