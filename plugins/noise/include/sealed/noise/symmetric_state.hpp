// Noise's CipherState and SymmetricState (spec rev 34, §5.1 and §5.2) for ChaChaPoly and
// SHA256: the keyed AEAD with its 64-bit counter nonce, and the chaining key and handshake hash
// that every token of a handshake mixes into.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/crypto/aead.hpp>
#include <sealed/crypto/hash.hpp>
#include <sealed/error.hpp>

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace sealed::noise {

inline constexpr std::size_t key_size = 32;
inline constexpr std::size_t tag_size = crypto::aead::tag_size;
// Every handshake and transport message, the tag included (§3).
inline constexpr std::size_t max_message_size = 65535;

class cipher_state {
public:
    cipher_state() = default;
    explicit cipher_state(const_bytes key) { initialize_key(key); }

    // An empty key unkeys the state: encryption is then the identity (the handshake's start).
    void initialize_key(const_bytes key);
    bool has_key() const noexcept { return aead_.has_value(); }

    // Appends the ciphertext (or, unkeyed, the plaintext) to `out`. errc::nonce_exhausted once
    // the counter reaches 2^64-1, which the spec reserves.
    error_code encrypt_with_ad(const_bytes ad, const_bytes plaintext, bytes& out);
    // Appends the plaintext to `out`; errc::decrypt_failed leaves the counter and `out` as they
    // were, so a forged message costs the receiver nothing.
    error_code decrypt_with_ad(const_bytes ad, const_bytes ciphertext, bytes& out);
    // The same into `out` of exactly plaintext + tag_size (keyed) bytes, and of exactly
    // ciphertext - tag_size bytes: no allocation (the transport path).
    error_code encrypt_with_ad(const_bytes ad, const_bytes plaintext, mutable_bytes out);
    error_code decrypt_with_ad(const_bytes ad, const_bytes ciphertext, mutable_bytes out);
    // §4.2 REKEY: the key becomes ENCRYPT(k, 2^64-1, "", zeros).
    error_code rekey();
    // Frees the AEAD's keyed context until the next message (an idle connection's memory).
    void release_context() noexcept {
        if (aead_) aead_->release_context();
    }

    std::uint64_t nonce() const noexcept { return n_; }
    void set_nonce(std::uint64_t n) noexcept { n_ = n; }

private:
    static std::array<byte, 12> nonce_bytes(std::uint64_t n) noexcept;
    std::optional<crypto::aead> aead_;
    std::uint64_t n_ = 0;
};

class symmetric_state {
public:
    // h = the name padded with zeros when it fits in 32 bytes, else SHA-256(name); ck = h.
    explicit symmetric_state(std::string_view protocol_name);

    error_code mix_key(const_bytes input_key_material);
    void mix_hash(const_bytes data);
    error_code mix_key_and_hash(const_bytes input_key_material);
    error_code encrypt_and_hash(const_bytes plaintext, bytes& out);
    error_code decrypt_and_hash(const_bytes ciphertext, bytes& out);
    bool has_key() const noexcept { return cipher_.has_key(); }
    const crypto::sha256_digest& handshake_hash() const noexcept { return h_; }
    // The two transport cipher states: initiator → responder, then responder → initiator.
    result<std::pair<cipher_state, cipher_state>> split() const;

private:
    crypto::sha256_digest ck_{};
    crypto::sha256_digest h_{};
    cipher_state cipher_;
};

}  // namespace sealed::noise
