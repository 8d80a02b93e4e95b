// Node identities (PROTOCOLS.md §3): a long-term X25519 key pair; the node id is the lowercase
// hex of SHA-256(public key)[0:16]. On disk as the Go node keeps them: `private.key` (the raw
// 32-byte scalar, mode 0600) and `node.json` ({"id","name","publicKey","createdAt","role"}).
#pragma once

#include <sealed/crypto/ecdh.hpp>
#include <sealed/hmac_x25519/error.hpp>

#include <boost/json/value.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace sealed::hmac_x25519 {

inline constexpr std::string_view default_role = "dual";  // Go's roles: controller, worker, dual

std::string node_id_of(const crypto::x25519_public_key& key);

// Who a peer says it is, checked: publicKey is base64 of 32 bytes and id is derived from it
// (the Go transport does not check the id; we do, so an allowlisted id cannot be claimed with
// another key).
struct peer_identity {
    std::string id;
    std::string name;
    std::string role;
    std::string created_at;
    crypto::x25519_public_key public_key;
};
// error::invalid_public_key (not base64 of 32 bytes) or error::identity_mismatch, or
// error::invalid_message when `v` is not an identity object.
result<peer_identity> parse_identity(const boost::json::value& v);

class node_identity {
public:
    static node_identity generate(std::string_view name, std::string_view role = default_role);
    // errc::invalid_key unless `scalar` is 32 bytes.
    static result<node_identity> from_private_key(const_bytes scalar, std::string_view name,
                                                  std::string_view role = default_role,
                                                  std::string_view created_at = {});
    // Loads dir/private.key and dir/node.json, creating them (and dir) when absent. `name` and
    // `role` are used for a new identity, or when node.json lacks them.
    static result<node_identity> load_or_create(const std::filesystem::path& dir, std::string_view name,
                                                std::string_view role = default_role);

    const std::string& id() const noexcept { return id_; }
    const std::string& name() const noexcept { return name_; }
    const std::string& role() const noexcept { return role_; }
    const std::string& created_at() const noexcept { return created_at_; }
    const crypto::x25519_private_key& key() const noexcept { return key_; }
    const crypto::x25519_public_key& public_key() const noexcept { return key_.public_key(); }
    // {"id","name","publicKey","createdAt","role"}, in Go's field order.
    boost::json::object to_json() const;

private:
    node_identity(crypto::x25519_private_key key, std::string name, std::string role, std::string created_at);
    crypto::x25519_private_key key_;
    std::string id_, name_, role_, created_at_;
};

}  // namespace sealed::hmac_x25519
