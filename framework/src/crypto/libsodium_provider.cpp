// The libsodium provider: random, SHA-256, HMAC, HKDF (built on its HMAC; libsodium 1.0.18 has
// none), the AEADs and (X)Salsa20; the key agreement and signatures are in libsodium_keys.cpp.
// libsodium reports failure by return value and never throws.
#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)

#include "provider_impl.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace sealed::crypto::detail::libsodium_provider {

namespace {

// libsodium's HMAC refuses a null key even with length 0.
const byte empty_input[1] = {0};
const byte* data_or_empty(const_bytes b) noexcept { return b.empty() ? empty_input : b.data(); }

// The detached AEAD calls share one shape; the last argument is the key or the keyed state.
template <class Key>
using seal_fn = int (*)(unsigned char*, unsigned char*, unsigned long long*, const unsigned char*,
                        unsigned long long, const unsigned char*, unsigned long long, const unsigned char*,
                        const unsigned char*, const Key*);
template <class Key>
using open_fn = int (*)(unsigned char*, unsigned char*, const unsigned char*, unsigned long long,
                        const unsigned char*, const unsigned char*, unsigned long long, const unsigned char*,
                        const Key*);

// Seals or opens with a libsodium detached AEAD; the tag follows the ciphertext, as the
// contract lays it out. `key` is the raw key (ChaCha20 variants) or AES-GCM's keyed state.
template <class Key>
error_code seal_with(seal_fn<Key> fn, const Key* key, const_bytes nonce, const_bytes aad, const_bytes plaintext,
                     mutable_bytes out) noexcept {
    const std::size_t n = plaintext.size();
    if (fn(out.data(), out.data() + n, nullptr, plaintext.data(), n, aad.data(), aad.size(), nullptr, nonce.data(),
           key) != 0)
        return errc::crypto_failure;
    return {};
}

template <class Key>
error_code open_with(open_fn<Key> fn, const Key* key, const_bytes nonce, const_bytes aad, const_bytes sealed,
                     mutable_bytes out) noexcept {
    const std::size_t n = out.size();
    if (fn(out.data(), nullptr, sealed.data(), n, sealed.data() + n, aad.data(), aad.size(), nonce.data(), key) !=
        0) {
        // Unauthenticated plaintext must not survive a failed open.
        if (n != 0) sodium_memzero(out.data(), n);
        return errc::decrypt_failed;
    }
    return {};
}

// ChaCha20-Poly1305 (IETF) and XChaCha20-Poly1305: libsodium keys them per call, so the object
// holds only the key.
class chacha_aead final : public aead_impl {
public:
    chacha_aead(const_bytes key, bool extended) noexcept : extended_(extended) {
        std::memcpy(key_.data(), key.data(), key_.size());
    }
    ~chacha_aead() override { sodium_memzero(key_.data(), key_.size()); }

    error_code seal(const_bytes nonce, const_bytes aad, const_bytes plaintext, mutable_bytes out) override {
        return seal_with<unsigned char>(extended_ ? crypto_aead_xchacha20poly1305_ietf_encrypt_detached
                                                  : crypto_aead_chacha20poly1305_ietf_encrypt_detached,
                                        key_.data(), nonce, aad, plaintext, out);
    }
    error_code open(const_bytes nonce, const_bytes aad, const_bytes sealed, mutable_bytes out) override {
        return open_with<unsigned char>(extended_ ? crypto_aead_xchacha20poly1305_ietf_decrypt_detached
                                                  : crypto_aead_chacha20poly1305_ietf_decrypt_detached,
                                        key_.data(), nonce, aad, sealed, out);
    }

private:
    std::array<byte, aead::key_size> key_;
    bool extended_;
};

// AES-256-GCM with the key schedule expanded once (beforenm). libsodium takes 12-byte nonces
// only; the longer and shorter ones the contract allows are refused as invalid_argument.
class gcm_aead final : public aead_impl {
public:
    explicit gcm_aead(const_bytes key) noexcept { crypto_aead_aes256gcm_beforenm(&state_, key.data()); }
    ~gcm_aead() override { sodium_memzero(&state_, sizeof state_); }

    error_code seal(const_bytes nonce, const_bytes aad, const_bytes plaintext, mutable_bytes out) override {
        if (nonce.size() != crypto_aead_aes256gcm_NPUBBYTES) return errc::invalid_argument;
        return seal_with(crypto_aead_aes256gcm_encrypt_detached_afternm, &state_, nonce, aad, plaintext, out);
    }
    error_code open(const_bytes nonce, const_bytes aad, const_bytes sealed, mutable_bytes out) override {
        if (nonce.size() != crypto_aead_aes256gcm_NPUBBYTES) {
            if (!out.empty()) sodium_memzero(out.data(), out.size());
            return errc::invalid_argument;
        }
        return open_with(crypto_aead_aes256gcm_decrypt_detached_afternm, &state_, nonce, aad, sealed, out);
    }

private:
    crypto_aead_aes256gcm_state state_;
};

// Salsa20 with a continuous keystream across calls: whole 64-byte blocks go straight through
// libsodium at the running block counter; a partial block's unused keystream is kept for the
// next call. XSalsa20 arrives here as Salsa20 under the HSalsa20 subkey.
class salsa20_stream final : public stream_impl {
public:
    salsa20_stream(const byte* key, const byte* nonce) noexcept {
        std::memcpy(key_.data(), key, key_.size());
        std::memcpy(nonce_.data(), nonce, nonce_.size());
    }
    ~salsa20_stream() override {
        sodium_memzero(key_.data(), key_.size());
        sodium_memzero(block_.data(), block_.size());
    }

    void apply(const_bytes in, mutable_bytes out) noexcept override {
        std::size_t done = 0;
        for (; done < in.size() && used_ < block_.size(); ++done) out[done] = in[done] ^ block_[used_++];
        const std::size_t whole = (in.size() - done) / block_.size() * block_.size();
        if (whole != 0) {
            crypto_stream_salsa20_xor_ic(out.data() + done, in.data() + done, whole, nonce_.data(), counter_,
                                         key_.data());
            counter_ += whole / block_.size();
            done += whole;
        }
        if (done == in.size()) return;
        block_.fill(0);
        crypto_stream_salsa20_xor_ic(block_.data(), block_.data(), block_.size(), nonce_.data(), counter_++,
                                     key_.data());
        used_ = 0;
        for (; done < in.size(); ++done) out[done] = in[done] ^ block_[used_++];
    }

private:
    std::array<byte, crypto_stream_salsa20_KEYBYTES> key_;
    std::array<byte, crypto_stream_salsa20_NONCEBYTES> nonce_;
    std::array<byte, 64> block_{};
    std::size_t used_ = 64;  // nothing left over yet
    std::uint64_t counter_ = 0;
};

}  // namespace

bool ready() noexcept {
    // sodium_init() is itself thread-safe and returns 1 when already done; the static runs it once.
    static const bool initialized = sodium_init() >= 0;
    return initialized;
}

bool aes256_gcm_available() noexcept {
    static const bool available = ready() && crypto_aead_aes256gcm_is_available() == 1;
    return available;
}

void random_bytes(mutable_bytes out) {
    if (!out.empty()) randombytes_buf(out.data(), out.size());  // aborts itself on failure
}

void sha256(std::span<const const_bytes> parts, sha256_digest& out) {
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (const auto part : parts) crypto_hash_sha256_update(&st, part.data(), part.size());
    crypto_hash_sha256_final(&st, out.data());
}

void hmac_sha256(const_bytes key, const_bytes message, sha256_digest& out) {
    // libsodium hashes keys over the block size first, as RFC 2104 says.
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, data_or_empty(key), key.size());
    crypto_auth_hmacsha256_update(&st, message.data(), message.size());
    crypto_auth_hmacsha256_final(&st, out.data());
    sodium_memzero(&st, sizeof st);
}

// RFC 5869 on libsodium's HMAC. The PRK-keyed state is made once and copied for each block.
error_code hkdf_sha256(const_bytes ikm, const_bytes salt, const_bytes info, mutable_bytes out) {
    static constexpr sha256_digest zero_salt{};  // no salt means HashLen zeros
    const const_bytes s = salt.empty() ? const_bytes(zero_salt) : salt;
    sha256_digest prk;
    crypto_auth_hmacsha256_state keyed;
    crypto_auth_hmacsha256_init(&keyed, s.data(), s.size());
    crypto_auth_hmacsha256_update(&keyed, ikm.data(), ikm.size());
    crypto_auth_hmacsha256_final(&keyed, prk.data());
    crypto_auth_hmacsha256_init(&keyed, prk.data(), prk.size());
    sha256_digest t;
    for (std::size_t done = 0, i = 1; done < out.size(); ++i) {
        crypto_auth_hmacsha256_state st = keyed;
        if (i > 1) crypto_auth_hmacsha256_update(&st, t.data(), t.size());
        crypto_auth_hmacsha256_update(&st, info.data(), info.size());
        const byte counter = static_cast<byte>(i);  // at most 255 blocks (checked by the caller)
        crypto_auth_hmacsha256_update(&st, &counter, 1);
        crypto_auth_hmacsha256_final(&st, t.data());
        sodium_memzero(&st, sizeof st);
        const std::size_t n = std::min(t.size(), out.size() - done);
        std::memcpy(out.data() + done, t.data(), n);
        done += n;
    }
    sodium_memzero(&keyed, sizeof keyed);
    sodium_memzero(prk.data(), prk.size());
    sodium_memzero(t.data(), t.size());
    return {};
}

result<aead_handle> make_aead(aead_algorithm algorithm, const_bytes key) {
    switch (algorithm) {
    case aead_algorithm::aes256_gcm:
        if (!aes256_gcm_available()) return errc::unsupported_algorithm;
        return aead_handle(new gcm_aead(key));
    case aead_algorithm::chacha20_poly1305: return aead_handle(new chacha_aead(key, false));
    case aead_algorithm::xchacha20_poly1305: return aead_handle(new chacha_aead(key, true));
    }
    return errc::unsupported_algorithm;
}

result<stream_handle> make_salsa20(const_bytes key, const_bytes nonce) {
    if (nonce.size() == crypto_stream_salsa20_NONCEBYTES)
        return stream_handle(new salsa20_stream(key.data(), nonce.data()));
    // XSalsa20: Salsa20 under HSalsa20(key, first 16 nonce bytes) with the last 8 as its nonce.
    std::array<byte, crypto_core_hsalsa20_OUTPUTBYTES> subkey;
    crypto_core_hsalsa20(subkey.data(), nonce.data(), key.data(), nullptr);
    stream_handle stream(new salsa20_stream(subkey.data(), nonce.data() + crypto_core_hsalsa20_INPUTBYTES));
    sodium_memzero(subkey.data(), subkey.size());
    return stream;
}

}  // namespace sealed::crypto::detail::libsodium_provider

#endif
