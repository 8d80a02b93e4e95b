// Provider selection and the stateless primitives (random, hashes, HKDF). The dispatch checks
// the contract's sizes once so the providers can assume well-formed arguments.
#include "provider_impl.hpp"

#include <sealed/crypto/kdf.hpp>
#include <sealed/crypto/random.hpp>

#include <openssl/crypto.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace sealed::crypto {

namespace {

constexpr std::size_t hkdf_max_output = 255 * sizeof(sha256_digest);

constexpr std::array all_providers{
    provider::botan,
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
    provider::openssl,
#endif
#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)
    provider::libsodium,
#endif
};

// For calls with no error channel: a provider that lacks the primitive is replaced by the
// default one. (In a Botan-only build every such call goes to Botan anyway.)
[[maybe_unused]] provider usable(provider p, primitive what) noexcept {
    return provides(p, what) ? p : default_provider(what);
}

}  // namespace

std::string_view to_string(provider p) noexcept {
    switch (p) {
    case provider::botan: return "botan";
    case provider::openssl: return "openssl";
    case provider::libsodium: return "libsodium";
    }
    return "unknown";
}

std::string_view to_string(primitive p) noexcept {
    switch (p) {
    case primitive::random: return "random";
    case primitive::sha256: return "sha256";
    case primitive::hmac_sha256: return "hmac_sha256";
    case primitive::hkdf_sha256: return "hkdf_sha256";
    case primitive::p256: return "p256";
    case primitive::x25519: return "x25519";
    case primitive::aes256_gcm: return "aes256_gcm";
    case primitive::chacha20_poly1305: return "chacha20_poly1305";
    case primitive::xchacha20_poly1305: return "xchacha20_poly1305";
    case primitive::salsa20: return "salsa20";
    case primitive::ed25519: return "ed25519";
    }
    return "unknown";
}

std::span<const provider> compiled_providers() noexcept { return all_providers; }

bool provides(provider p, primitive what) noexcept {
    switch (p) {
    case provider::botan: return true;
    case provider::openssl:
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
        return what != primitive::xchacha20_poly1305 && what != primitive::salsa20;
#else
        (void)what;
        return false;
#endif
    case provider::libsodium:
#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)
        if (!detail::libsodium_provider::ready()) return false;
        if (what == primitive::aes256_gcm) return detail::libsodium_provider::aes256_gcm_available();
        return what != primitive::p256;
#else
        (void)what;
        return false;
#endif
    }
    return false;
}

#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER) && !defined(SEALED_CRYPTO_DEFAULT_BOTAN) && \
    !defined(SEALED_CRYPTO_DEFAULT_OPENSSL)
namespace {

// Where libsodium measured fastest under SEALED_CRYPTO=auto (docs/benchmarks.md, "Provider
// choice"); taken only when provides() agrees at run time (AES-GCM needs AES-NI). Its
// XChaCha20-Poly1305 and Salsa20 win from 1 KiB but lose at the small sizes most messages have.
constexpr bool libsodium_preferred(primitive what) noexcept {
    switch (what) {
    case primitive::ed25519: return true;
    case primitive::xchacha20_poly1305:
    case primitive::salsa20:
    case primitive::random:
    case primitive::sha256:
    case primitive::hmac_sha256:
    case primitive::hkdf_sha256:
    case primitive::p256:
    case primitive::x25519:
    case primitive::aes256_gcm:
    case primitive::chacha20_poly1305: return false;
    }
    return false;
}

}  // namespace
#endif

// SEALED_CRYPTO=auto picks the faster provider per primitive, from a single-thread measurement
// through this API (docs/benchmarks.md, "Provider choice"): libsodium for Ed25519 when compiled
// in; Botan for the RNG, hashes, HMAC and HKDF (per-call overhead races that OpenSSL's EVP
// dispatch loses on short inputs) and for XChaCha20-Poly1305 and Salsa20; OpenSSL for P-256,
// X25519, AES-256-GCM, ChaCha20-Poly1305 (and Ed25519 without libsodium).
provider default_provider(primitive what) noexcept {
#if defined(SEALED_CRYPTO_DEFAULT_BOTAN) || !defined(SEALED_HAVE_OPENSSL_PROVIDER)
    (void)what;
    return provider::botan;
#elif defined(SEALED_CRYPTO_DEFAULT_OPENSSL)
    return provides(provider::openssl, what) ? provider::openssl : provider::botan;
#else
#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)
    if (libsodium_preferred(what) && provides(provider::libsodium, what)) return provider::libsodium;
#endif
    switch (what) {
    case primitive::p256:
    case primitive::x25519:
    case primitive::ed25519:
    case primitive::aes256_gcm:
    case primitive::chacha20_poly1305: return provider::openssl;
    case primitive::random:
    case primitive::sha256:
    case primitive::hmac_sha256:
    case primitive::hkdf_sha256:
    case primitive::xchacha20_poly1305:
    case primitive::salsa20: return provider::botan;
    }
    return provider::botan;
#endif
}

primitive to_primitive(aead_algorithm a) noexcept {
    switch (a) {
    case aead_algorithm::aes256_gcm: return primitive::aes256_gcm;
    case aead_algorithm::chacha20_poly1305: return primitive::chacha20_poly1305;
    case aead_algorithm::xchacha20_poly1305: return primitive::xchacha20_poly1305;
    }
    return primitive::aes256_gcm;
}

namespace detail {

void fatal(const char* what) noexcept {
    std::fprintf(stderr, "sealed: fatal crypto failure: %s\n", what);
    std::abort();
}

bool is_all_zero(const_bytes b) noexcept {
    byte acc = 0;
    for (const byte x : b) acc |= x;
    return acc == 0;
}

void private_key_impl_deleter::operator()(private_key_impl* p) const noexcept { delete p; }
void aead_impl_deleter::operator()(aead_impl* p) const noexcept { delete p; }
void stream_impl_deleter::operator()(stream_impl* p) const noexcept { delete p; }

}  // namespace detail

void random_bytes(mutable_bytes out) {
    [[maybe_unused]] const provider p = default_provider(primitive::random);
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
    if (p == provider::openssl) return detail::openssl_provider::random_bytes(out);
#endif
#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)
    if (p == provider::libsodium) return detail::libsodium_provider::random_bytes(out);
#endif
    detail::botan_provider::random_bytes(out);
}

std::string random_uuid() {
    auto b = random_array<16>();
    b[6] = static_cast<byte>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<byte>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
    char out[37];
    std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                  b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return out;
}

namespace {

sha256_digest sha256_parts(std::span<const const_bytes> parts, provider p) {
    sha256_digest out;
    p = usable(p, primitive::sha256);
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
    if (p == provider::openssl) {
        detail::openssl_provider::sha256(parts, out);
        return out;
    }
#endif
#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)
    if (p == provider::libsodium) {
        detail::libsodium_provider::sha256(parts, out);
        return out;
    }
#endif
    detail::botan_provider::sha256(parts, out);
    return out;
}

}  // namespace

sha256_digest sha256(const_bytes data, provider p) {
    const const_bytes parts[] = {data};
    return sha256_parts(parts, p);
}

sha256_digest sha256(std::initializer_list<const_bytes> parts, provider p) {
    return sha256_parts({parts.begin(), parts.size()}, p);
}

sha256_digest hmac_sha256(const_bytes key, const_bytes message, provider p) {
    sha256_digest out;
    p = usable(p, primitive::hmac_sha256);
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
    if (p == provider::openssl) {
        detail::openssl_provider::hmac_sha256(key, message, out);
        return out;
    }
#endif
#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)
    if (p == provider::libsodium) {
        detail::libsodium_provider::hmac_sha256(key, message, out);
        return out;
    }
#endif
    detail::botan_provider::hmac_sha256(key, message, out);
    return out;
}

bool hmac_sha256_verify(const_bytes key, const_bytes message, const_bytes tag, provider p) {
    if (tag.size() != sizeof(sha256_digest)) return false;
    const sha256_digest expected = hmac_sha256(key, message, p);
    return constant_time_equal(expected, tag);
}

bool constant_time_equal(const_bytes a, const_bytes b) noexcept {
    if (a.size() != b.size()) return false;
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void shake128(const_bytes data, mutable_bytes out) { detail::botan_provider::shake128(data, out); }

void sha256_counter_xor(const_bytes prefix, mutable_bytes data) {
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
    // Measured (sealed_bench_handshakes, seal_open/hmac_x25519): OpenSSL's one-block path is
    // several times faster than a Botan digest per 32 bytes, whatever SEALED_CRYPTO says for sha256.
    if (provides(provider::openssl, primitive::sha256)) return detail::openssl_provider::sha256_counter_xor(prefix, data);
#endif
    detail::botan_provider::sha256_counter_xor(prefix, data);
}

error_code hkdf_sha256(const_bytes ikm, const_bytes salt, const_bytes info, mutable_bytes out,
                       provider p) {
    if (out.empty() || out.size() > hkdf_max_output) return errc::invalid_argument;
    if (!provides(p, primitive::hkdf_sha256)) return errc::unsupported_algorithm;
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
    if (p == provider::openssl) return detail::openssl_provider::hkdf_sha256(ikm, salt, info, out);
#endif
#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)
    if (p == provider::libsodium) return detail::libsodium_provider::hkdf_sha256(ikm, salt, info, out);
#endif
    return detail::botan_provider::hkdf_sha256(ikm, salt, info, out);
}

}  // namespace sealed::crypto
