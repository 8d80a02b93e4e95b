// Which peers a node accepts in allowlist mode: by node id or by public key (the Go transport's
// two lists). Safe to read and change from any thread (nodes add peers as they learn them).
#pragma once

#include <sealed/hmac_x25519/identity.hpp>

#include <filesystem>
#include <set>
#include <shared_mutex>

namespace sealed::hmac_x25519 {

enum class auth_mode : unsigned char { open, allowlist };

class allowlist {
public:
    allowlist() = default;
    allowlist(const allowlist&) = delete;
    allowlist& operator=(const allowlist&) = delete;

    // One entry per line: a node id (32 hex digits) or a public key (base64 of 32 bytes); blank
    // lines and `#` comments are skipped. A Go node's peers.json (a JSON array of peers with
    // "id"/"publicKey") is read too. errc::invalid_encoding names no line content (the file may
    // be secret); errno-style errors when it cannot be read.
    static result<std::shared_ptr<allowlist>> load(const std::filesystem::path& file);
    // Parses `text` in the format above into this list.
    error_code add_entries(std::string_view text);

    void allow_id(std::string id);
    void allow_key(const crypto::x25519_public_key& key);
    // Its id (which parse_identity bound to its key) or its key is listed.
    bool allows(const peer_identity& peer) const;
    std::size_t size() const;

private:
    mutable std::shared_mutex mutex_;
    std::set<std::string> ids_;
    std::set<std::string> keys_;  // base64, as on the wire
};

}  // namespace sealed::hmac_x25519
