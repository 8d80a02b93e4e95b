// Static keys and allowlists on disk, for the noise scheme. A static key file holds the 32-byte
// X25519 private key as 64 hex characters (made with mode 0600 when absent); an allowlist holds
// one peer public key per line, 64 hex characters ('#' starts a comment).
#pragma once

#include <sealed/crypto/ecdh.hpp>
#include <sealed/error.hpp>

#include <array>
#include <set>
#include <string>

namespace sealed::noise {

// The key in `path`; noise::error::bad_static_key_file, or the file system's error.
result<crypto::x25519_private_key> load_static_key(const std::string& path);
// The key in `path`, or a new one written there first (0600).
result<crypto::x25519_private_key> load_or_create_static_key(const std::string& path);

// A peer as the scheme names it: its static public key in lowercase hex.
std::string peer_id_of(const crypto::x25519_public_key& key);

class allowlist {
public:
    allowlist() = default;
    // noise::error::bad_allowlist_line names the first bad line's content in no log: callers
    // report the path.
    static result<allowlist> load(const std::string& path);
    static result<allowlist> parse(std::string_view text);
    void add(const crypto::x25519_public_key& key) { keys_.insert(key.raw()); }
    bool allows(const crypto::x25519_public_key& key) const { return keys_.contains(key.raw()); }
    std::size_t size() const noexcept { return keys_.size(); }

private:
    std::set<std::array<byte, 32>> keys_;
};

}  // namespace sealed::noise
