// The OpenSSL 3 provider (libcrypto EVP): random, SHA-256, HMAC, HKDF and the AEADs; the key
// agreements are in openssl_ecdh.cpp. Algorithms are fetched once per process and contexts
// kept per thread or per object, because fetching on every call costs more than the work
// for the small messages the handshakes and sessions deal with.
#include "openssl_util.hpp"
#include "provider_impl.hpp"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <new>

namespace sealed::crypto::detail::openssl_provider {

namespace {

// OpenSSL takes int lengths: longer inputs go through in chunks.
constexpr std::size_t max_chunk = 1u << 30;

// A non-null pointer for empty inputs: OpenSSL treats a null key as "keep the previous one".
const byte empty_input[1] = {0};
const byte* data_or_empty(const_bytes b) noexcept { return b.empty() ? empty_input : b.data(); }

template <class T>
T* fetched_or_fatal(T* algorithm, const char* name) {
    if (algorithm == nullptr) fatal(name);
    return algorithm;
}

const EVP_MD* sha256_md() {
    static EVP_MD* const md =
        fetched_or_fatal(EVP_MD_fetch(nullptr, "SHA2-256", nullptr), "OpenSSL has no SHA-256");
    return md;
}

EVP_MD_CTX* thread_md_ctx() {
    thread_local const std::unique_ptr<EVP_MD_CTX, openssl_deleter<EVP_MD_CTX_free>> ctx(
        EVP_MD_CTX_new());
    if (!ctx) throw std::bad_alloc();
    return ctx.get();
}

// An HMAC context with the digest already chosen: each call only sets the key.
EVP_MAC_CTX* thread_hmac_ctx() {
    static EVP_MAC* const mac =
        fetched_or_fatal(EVP_MAC_fetch(nullptr, "HMAC", nullptr), "OpenSSL has no HMAC");
    thread_local const std::unique_ptr<EVP_MAC_CTX, openssl_deleter<EVP_MAC_CTX_free>> ctx = [] {
        std::unique_ptr<EVP_MAC_CTX, openssl_deleter<EVP_MAC_CTX_free>> c(EVP_MAC_CTX_new(mac));
        if (!c) throw std::bad_alloc();
        char digest[] = "SHA2-256";
        const OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_END};
        if (EVP_MAC_CTX_set_params(c.get(), params) != 1) fatal("OpenSSL HMAC-SHA-256 setup");
        return c;
    }();
    return ctx.get();
}

EVP_KDF* hkdf_kdf() {
    static EVP_KDF* const kdf =
        fetched_or_fatal(EVP_KDF_fetch(nullptr, "HKDF", nullptr), "OpenSSL has no HKDF");
    return kdf;
}

const EVP_CIPHER* cipher_for(aead_algorithm a) {
    switch (a) {
    case aead_algorithm::aes256_gcm: {
        static EVP_CIPHER* const c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
        return c;
    }
    case aead_algorithm::chacha20_poly1305: {
        static EVP_CIPHER* const c = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
        return c;
    }
    case aead_algorithm::xchacha20_poly1305: break;
    }
    return nullptr;
}

// One context keyed once; each message sets the nonce and the direction. One context, not one
// per direction: OpenSSL keeps the key schedule when only the IV and direction change, and a
// keyed context is held by every active connection (its size: docs/benchmarks.md).
class evp_aead final : public aead_impl {
public:
    evp_aead(cipher_ctx_ptr ctx, bool variable_nonce) noexcept : ctx_(std::move(ctx)), variable_nonce_(variable_nonce) {}

    error_code seal(const_bytes nonce, const_bytes aad, const_bytes plaintext,
                    mutable_bytes out) override {
        EVP_CIPHER_CTX* ctx = ctx_.get();
        if (auto ec = start(ctx, nonce, 1)) return ec;
        int len = 0;
        if (!update(ctx, nullptr, aad) || !update(ctx, out.data(), plaintext) ||
            EVP_EncryptFinal_ex(ctx, out.data() + plaintext.size(), &len) != 1 ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, aead::tag_size,
                                out.data() + plaintext.size()) != 1)
            return failed();
        return {};
    }

    error_code open(const_bytes nonce, const_bytes aad, const_bytes sealed,
                    mutable_bytes out) override {
        EVP_CIPHER_CTX* ctx = ctx_.get();
        std::array<byte, aead::tag_size> tag;
        std::memcpy(tag.data(), sealed.data() + out.size(), tag.size());
        if (auto ec = start(ctx, nonce, 0)) {
            secure_wipe(out.data(), out.size());
            return ec;
        }
        int len = 0;
        if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, aead::tag_size, tag.data()) != 1 ||
            !update(ctx, nullptr, aad) || !update(ctx, out.data(), sealed.first(out.size())) ||
            EVP_DecryptFinal_ex(ctx, out.data() + out.size(), &len) != 1) {
            // Unauthenticated plaintext must not survive a failed open.
            secure_wipe(out.data(), out.size());
            clear_errors();
            return errc::decrypt_failed;
        }
        return {};
    }

private:
    // Sets the nonce and direction (1 seal, 0 open) for the next message; AES-GCM nonce sizes
    // other than 12 are the test vectors'.
    error_code start(EVP_CIPHER_CTX* ctx, const_bytes nonce, int encrypt) {
        if (nonce.size() != nonce_size_) {
            if (!variable_nonce_ || nonce.size() > INT_MAX ||
                EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(nonce.size()),
                                    nullptr) != 1) {
                clear_errors();
                return errc::invalid_argument;  // e.g. over OpenSSL's 128-byte GCM IV limit
            }
            nonce_size_ = nonce.size();
        }
        if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce.data(), encrypt, nullptr) != 1) {
            clear_errors();
            return errc::crypto_failure;
        }
        return {};
    }

    // out == nullptr feeds associated data.
    static bool update(EVP_CIPHER_CTX* ctx, byte* out, const_bytes in) {
        for (std::size_t done = 0; done < in.size();) {
            const int n = static_cast<int>(std::min(in.size() - done, max_chunk));
            int written = 0;
            if (EVP_CipherUpdate(ctx, out == nullptr ? nullptr : out + done, &written,
                                 in.data() + done, n) != 1)
                return false;
            done += static_cast<std::size_t>(n);
        }
        return true;
    }

    static error_code failed() noexcept {
        clear_errors();
        return errc::crypto_failure;
    }

    cipher_ctx_ptr ctx_;
    bool variable_nonce_;
    std::size_t nonce_size_ = 12;  // both ciphers start with 12-byte nonces
};

}  // namespace

void random_bytes(mutable_bytes out) {
    for (std::size_t done = 0; done < out.size();) {
        const std::size_t n = std::min(out.size() - done, max_chunk);
        if (RAND_bytes(out.data() + done, static_cast<int>(n)) != 1) fatal("OpenSSL RAND_bytes failed");
        done += n;
    }
}

void sha256(std::span<const const_bytes> parts, sha256_digest& out) {
    EVP_MD_CTX* ctx = thread_md_ctx();
    bool ok = EVP_DigestInit_ex2(ctx, sha256_md(), nullptr) == 1;
    for (const auto part : parts) ok = ok && EVP_DigestUpdate(ctx, part.data(), part.size()) == 1;
    unsigned len = 0;
    if (!ok || EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != out.size())
        fatal("OpenSSL SHA-256 failed");
}

// The low-level SHA256_* calls (deprecated in OpenSSL 3, still there) run one block without EVP's
// per-call dispatch: the prefix is absorbed once and the context copied for each counter.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
void sha256_counter_xor(const_bytes prefix, mutable_bytes data) {
    SHA256_CTX absorbed;
    SHA256_Init(&absorbed);
    SHA256_Update(&absorbed, data_or_empty(prefix), prefix.size());
    std::array<byte, 8> counter{};
    sha256_digest block;
    for (std::size_t offset = 0, i = 0; offset < data.size(); offset += block.size(), ++i) {
        for (int b = 0; b < 8; ++b) counter[7 - b] = static_cast<byte>(std::uint64_t(i) >> (8 * b));
        SHA256_CTX ctx = absorbed;
        SHA256_Update(&ctx, counter.data(), counter.size());
        SHA256_Final(block.data(), &ctx);
        const std::size_t n = std::min(block.size(), data.size() - offset);
        for (std::size_t k = 0; k < n; ++k) data[offset + k] ^= block[k];
    }
    OPENSSL_cleanse(&absorbed, sizeof absorbed);
}
#pragma GCC diagnostic pop

void hmac_sha256(const_bytes key, const_bytes message, sha256_digest& out) {
    EVP_MAC_CTX* ctx = thread_hmac_ctx();
    std::size_t len = 0;
    if (EVP_MAC_init(ctx, data_or_empty(key), key.size(), nullptr) != 1 ||
        EVP_MAC_update(ctx, message.data(), message.size()) != 1 ||
        EVP_MAC_final(ctx, out.data(), &len, out.size()) != 1 || len != out.size())
        fatal("OpenSSL HMAC-SHA-256 failed");
}

error_code hkdf_sha256(const_bytes ikm, const_bytes salt, const_bytes info, mutable_bytes out) {
    // A fresh context per call: a reused OpenSSL 3.0 HKDF context crashed when an empty info
    // followed a non-empty one (found by the differential test), and 3.0 cannot dup an HKDF
    // context. The whole call then costs more than Botan's, which is why auto prefers Botan's HKDF.
    const std::unique_ptr<EVP_KDF_CTX, openssl_deleter<EVP_KDF_CTX_free>> ctx(
        EVP_KDF_CTX_new(hkdf_kdf()));
    if (!ctx) throw std::bad_alloc();
    // RFC 5869: no salt means HashLen zeros.
    static constexpr sha256_digest zero_salt{};
    const const_bytes s = salt.empty() ? const_bytes(zero_salt) : salt;
    char digest[] = "SHA2-256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<byte*>(data_or_empty(ikm)),
                                          ikm.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<byte*>(s.data()), s.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                          const_cast<byte*>(data_or_empty(info)), info.size()),
        OSSL_PARAM_END};
    if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
        clear_errors();
        secure_wipe(out.data(), out.size());
        return errc::crypto_failure;
    }
    return {};
}

result<aead_handle> make_aead(aead_algorithm algorithm, const_bytes key) {
    const EVP_CIPHER* cipher = cipher_for(algorithm);
    if (cipher == nullptr) return errc::unsupported_algorithm;
    cipher_ctx_ptr ctx(EVP_CIPHER_CTX_new());
    if (!ctx) throw std::bad_alloc();
    if (EVP_EncryptInit_ex2(ctx.get(), cipher, key.data(), nullptr, nullptr) != 1) {
        clear_errors();
        return errc::crypto_failure;
    }
    return aead_handle(new evp_aead(std::move(ctx), algorithm == aead_algorithm::aes256_gcm));
}

}  // namespace sealed::crypto::detail::openssl_provider
