// A libp2p host's identity: an Ed25519 key and the peer id it gives. On disk as the libp2p
// PrivateKey protobuf (what go-libp2p's crypto.MarshalPrivateKey and js's privateKeyToProtobuf
// write), mode 0600, made on first start.
#pragma once

#include <sealed/crypto/sign.hpp>
#include <sealed/libp2p/peer_id.hpp>

#include <memory>
#include <string>

namespace sealed::libp2p {

class identity {
public:
    explicit identity(crypto::ed25519_private_key key)
        : key_(std::move(key)), id_(peer_id::from_public_key(key_.public_key())) {}
    static identity generate() { return identity(crypto::ed25519_private_key::generate()); }
    // libp2p::error::bad_key_file, or the file system's error.
    static result<identity> load(const std::string& path);
    static result<identity> load_or_create(const std::string& path);

    const crypto::ed25519_private_key& key() const noexcept { return key_; }
    const peer_id& id() const noexcept { return id_; }

private:
    crypto::ed25519_private_key key_;
    peer_id id_;
};

}  // namespace sealed::libp2p
