// Crypto providers. Botan is complete; OpenSSL's libcrypto and libsodium serve the primitives
// where they are faster (measurements: docs/benchmarks.md, "Provider choice"). libsodium has
// no P-256, and its AES-256-GCM needs AES-NI and PCLMUL at run time (provides() says so).
// SEALED_CRYPTO=auto|botan|openssl chooses the default per primitive at build time; tests and
// benches can name a provider explicitly.
#pragma once

#include <span>
#include <string_view>

namespace sealed::crypto {

enum class provider : unsigned char { botan, openssl, libsodium };

enum class primitive : unsigned char {
    random,
    sha256,
    hmac_sha256,
    hkdf_sha256,
    p256,
    x25519,
    aes256_gcm,
    chacha20_poly1305,
    xchacha20_poly1305,
    salsa20,  // Salsa20 (8-byte nonce) and XSalsa20 (24-byte nonce); not OpenSSL
    ed25519,
};

std::string_view to_string(provider p) noexcept;
std::string_view to_string(primitive p) noexcept;

// Providers compiled into this build (Botan always; OpenSSL unless SEALED_CRYPTO=botan;
// libsodium when the build found it, unless SEALED_CRYPTO=botan).
std::span<const provider> compiled_providers() noexcept;

// Whether `p` is compiled in and implements `what` (on this CPU, for libsodium's AES-GCM).
bool provides(provider p, primitive what) noexcept;

// The provider used when a call does not name one.
provider default_provider(primitive what) noexcept;

}  // namespace sealed::crypto
