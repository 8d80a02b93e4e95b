// Authenticated encryption: AES-256-GCM, ChaCha20-Poly1305 (RFC 8439), XChaCha20-Poly1305.
// A keyed object is made once per session key and reused for every message (no per-message
// key schedule or allocation on the hot path). Not thread-safe: one per connection.
// The keyed context (key schedule and tables) is built by the first seal or open, and
// release_context() frees it while the key is idle: an idle connection then holds the 32 key
// bytes, not the context.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/crypto/provider.hpp>
#include <sealed/error.hpp>

#include <array>
#include <memory>

namespace sealed::crypto {

enum class aead_algorithm : unsigned char { aes256_gcm, chacha20_poly1305, xchacha20_poly1305 };

primitive to_primitive(aead_algorithm a) noexcept;

namespace detail {
class aead_impl;  // defined by each provider
struct aead_impl_deleter {
    void operator()(aead_impl*) const noexcept;
};
}  // namespace detail

class aead {
public:
    static constexpr std::size_t key_size = 32;
    static constexpr std::size_t tag_size = 16;

    // errc::invalid_key unless the key is 32 bytes; errc::unsupported_algorithm when the
    // provider does not implement the algorithm.
    static result<aead> create(aead_algorithm algorithm, const_bytes key, provider p);
    static result<aead> create(aead_algorithm algorithm, const_bytes key) {
        return create(algorithm, key, default_provider(to_primitive(algorithm)));
    }

    aead(aead&&) noexcept;  // the moved-from object is unkeyed: seal/open give invalid_key
    aead& operator=(aead&&) noexcept;
    ~aead();  // wipes the key

    aead_algorithm algorithm() const noexcept { return algorithm_; }
    provider which() const noexcept { return provider_; }
    // 12 for AES-256-GCM and ChaCha20-Poly1305, 24 for XChaCha20-Poly1305. AES-GCM also accepts
    // other non-empty nonce sizes (GHASH-derived IV), which only the test vectors use.
    std::size_t nonce_size() const noexcept;

    // out = ciphertext ‖ tag; out.size() must be plaintext.size() + tag_size. out may start at
    // plaintext.data() (in place). errc::invalid_argument on a wrong nonce or output size.
    error_code seal(const_bytes nonce, const_bytes aad, const_bytes plaintext, mutable_bytes out);
    // out.size() must be sealed.size() - tag_size. errc::decrypt_failed on a bad tag or a
    // sealed input shorter than the tag; out is zeroed on failure (no unauthenticated plaintext).
    error_code open(const_bytes nonce, const_bytes aad, const_bytes sealed, mutable_bytes out);

    // Frees the keyed context; the next seal or open builds it again from the key.
    void release_context() noexcept { impl_.reset(); }
    bool holds_context() const noexcept { return impl_ != nullptr; }

private:
    aead(const_bytes key, aead_algorithm a, provider p) noexcept;
    // errc::crypto_failure if the provider cannot key its context.
    error_code ensure_context();

    std::unique_ptr<detail::aead_impl, detail::aead_impl_deleter> impl_;
    std::array<byte, key_size> key_{};
    aead_algorithm algorithm_;
    provider provider_;
    bool keyed_ = false;
};

// Convenience for one-off use (tests, the envelope scheme): makes a key object per call.
result<bytes> aead_seal(aead_algorithm a, const_bytes key, const_bytes nonce, const_bytes aad,
                        const_bytes plaintext);
result<bytes> aead_open(aead_algorithm a, const_bytes key, const_bytes nonce, const_bytes aad,
                        const_bytes sealed);

}  // namespace sealed::crypto
