// The per-connection key map of ADR-0003: session keys by client id. An entry lives exactly as
// long as its connection: the connection's cipher owns the key, the map lists it, and when the
// connection ends the entry goes and the key bytes are wiped. Nothing is persisted, so keys are
// lost on restart and clients re-handshake. Safe from any thread.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/crypto/aead.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sealed::ecdh_gcm {

class key_map;

// One connection's AES-256-GCM key: the raw bytes (wiped on destruction) and the keyed AEAD.
class session_key {
public:
    session_key(std::string client_id, secure_bytes key, crypto::aead aead, std::weak_ptr<key_map> map);
    ~session_key();
    session_key(const session_key&) = delete;
    session_key& operator=(const session_key&) = delete;

    crypto::aead& aead() noexcept { return aead_; }
    const std::string& client_id() const noexcept { return client_id_; }

private:
    std::string client_id_;
    secure_bytes key_;
    crypto::aead aead_;
    std::weak_ptr<key_map> map_;
};

class key_map : public std::enable_shared_from_this<key_map> {
public:
    // Makes the key object for `client_id` and lists it (replacing nothing: ids are random).
    result<std::shared_ptr<session_key>> add(std::string client_id, secure_bytes key);

    bool contains(std::string_view client_id) const;
    std::size_t size() const;

    // Called with each key's bytes after they are wiped, just before the memory is freed —
    // how the tests see that a disconnect really zeroes the key.
    void on_wiped(std::function<void(const_bytes)> observer);

private:
    friend class session_key;
    void remove(const std::string& client_id, const_bytes wiped_key);

    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::weak_ptr<session_key>> entries_;
    std::function<void(const_bytes)> wiped_observer_;
};

}  // namespace sealed::ecdh_gcm
