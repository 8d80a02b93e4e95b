// The seam between the public crypto API and the providers. Each provider implements the free
// functions of its namespace and subclasses the three object interfaces; provider.cpp, ecdh.cpp
// and aead.cpp validate sizes and dispatch, so a provider sees only well-formed arguments.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/crypto/aead.hpp>
#include <sealed/crypto/ecdh.hpp>
#include <sealed/crypto/hash.hpp>
#include <sealed/crypto/sign.hpp>
#include <sealed/crypto/stream.hpp>
#include <sealed/error.hpp>

#include <array>
#include <optional>
#include <memory>
#include <span>

namespace sealed::crypto::detail {

// Base of every provider object: owned through a unique_ptr, never copied (key material).
class provider_object {
public:
    provider_object() = default;
    provider_object(const provider_object&) = delete;
    provider_object& operator=(const provider_object&) = delete;
    virtual ~provider_object() = default;
};

class private_key_impl : public provider_object {
public:

    // `peer` was validated by the caller (SEC1 on the curve for P-256, 32 bytes for X25519);
    // writes exactly 32 bytes.
    virtual error_code agree(const_bytes peer, mutable_bytes secret) const = 0;
    // The P-256 scalar (32 bytes big-endian) or the X25519 private bytes as given.
    virtual void export_private(mutable_bytes out) const = 0;
};

class aead_impl : public provider_object {
public:

    // Sizes were checked by the caller; out may alias the input exactly (in place).
    virtual error_code seal(const_bytes nonce, const_bytes aad, const_bytes plaintext,
                            mutable_bytes out) = 0;
    // Must leave out zeroed when authentication fails.
    virtual error_code open(const_bytes nonce, const_bytes aad, const_bytes sealed,
                            mutable_bytes out) = 0;
};

class stream_impl : public provider_object {
public:
    virtual void apply(const_bytes in, mutable_bytes out) noexcept = 0;
};

using aead_handle = std::unique_ptr<aead_impl, aead_impl_deleter>;
using stream_handle = std::unique_ptr<stream_impl, stream_impl_deleter>;

template <std::size_t PublicSize>
struct key_pair {
    private_key_handle key;
    std::array<byte, PublicSize> public_key{};
};
using p256_pair = key_pair<p256_public_key::encoded_size>;
using x25519_pair = key_pair<x25519_public_key::encoded_size>;

// Reports an unrecoverable library failure (no error channel, e.g. the RNG) and aborts.
[[noreturn]] void fatal(const char* what) noexcept;

// Byte-wise helpers shared by the providers.
bool is_all_zero(const_bytes b) noexcept;  // constant time

// The operations of each provider. Preconditions (checked by the dispatch layer):
// hkdf out is 1..8160 bytes; p256 scalars are 32 bytes in [1, n); p256 points are 65 bytes
// starting 0x04; x25519 inputs are 32 bytes; aead keys are 32 bytes; nonces have a size the
// algorithm accepts.
namespace botan_provider {
void random_bytes(mutable_bytes out);
void sha256(std::span<const const_bytes> parts, sha256_digest& out);
void hmac_sha256(const_bytes key, const_bytes message, sha256_digest& out);
error_code hkdf_sha256(const_bytes ikm, const_bytes salt, const_bytes info, mutable_bytes out);
result<p256_pair> p256_generate();
result<p256_pair> p256_from_scalar(const_bytes scalar);
bool p256_point_valid(const_bytes sec1) noexcept;
// A compressed point (0x02/0x03 ‖ x, canonical) in uncompressed form; nullopt when x is no
// point's x-coordinate.
std::optional<std::array<byte, 65>> p256_decompress(const_bytes compressed) noexcept;
result<x25519_pair> x25519_from_bytes(const_bytes raw);
result<aead_handle> make_aead(aead_algorithm algorithm, const_bytes key);
void shake128(const_bytes data, mutable_bytes out);
void sha256_counter_xor(const_bytes prefix, mutable_bytes data);
result<stream_handle> make_salsa20(const_bytes key, const_bytes nonce);
// Ed25519: the seed is 32 bytes, public keys 32, signatures 64 (S already checked below L).
void ed25519_public_from_seed(const_bytes seed, mutable_bytes out);
void ed25519_sign(const_bytes seed, const_bytes message, mutable_bytes out);
bool ed25519_verify(const_bytes public_key, const_bytes message, const_bytes signature) noexcept;
}  // namespace botan_provider

#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
// No XChaCha20-Poly1305 (make_aead refuses it) and no Salsa20: OpenSSL has neither.
namespace openssl_provider {
void sha256_counter_xor(const_bytes prefix, mutable_bytes data);
void random_bytes(mutable_bytes out);
void sha256(std::span<const const_bytes> parts, sha256_digest& out);
void hmac_sha256(const_bytes key, const_bytes message, sha256_digest& out);
error_code hkdf_sha256(const_bytes ikm, const_bytes salt, const_bytes info, mutable_bytes out);
result<p256_pair> p256_generate();
result<p256_pair> p256_from_scalar(const_bytes scalar);
bool p256_point_valid(const_bytes sec1) noexcept;
result<x25519_pair> x25519_from_bytes(const_bytes raw);
result<aead_handle> make_aead(aead_algorithm algorithm, const_bytes key);
// Ed25519: the seed is 32 bytes, public keys 32, signatures 64 (S already checked below L).
void ed25519_public_from_seed(const_bytes seed, mutable_bytes out);
void ed25519_sign(const_bytes seed, const_bytes message, mutable_bytes out);
bool ed25519_verify(const_bytes public_key, const_bytes message, const_bytes signature) noexcept;
}  // namespace openssl_provider
#endif

#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)
// No P-256. AES-256-GCM only on CPUs with AES-NI and PCLMUL (aes256_gcm_available()), and
// only with 12-byte nonces (make_aead's object says invalid_argument for others).
namespace libsodium_provider {
// sodium_init() has succeeded (run once, on first use, by whichever thread gets here first).
bool ready() noexcept;
bool aes256_gcm_available() noexcept;
void random_bytes(mutable_bytes out);
void sha256(std::span<const const_bytes> parts, sha256_digest& out);
void hmac_sha256(const_bytes key, const_bytes message, sha256_digest& out);
error_code hkdf_sha256(const_bytes ikm, const_bytes salt, const_bytes info, mutable_bytes out);
result<x25519_pair> x25519_from_bytes(const_bytes raw);
result<aead_handle> make_aead(aead_algorithm algorithm, const_bytes key);
result<stream_handle> make_salsa20(const_bytes key, const_bytes nonce);
// Ed25519: the seed is 32 bytes, public keys 32, signatures 64 (S already checked below L).
void ed25519_public_from_seed(const_bytes seed, mutable_bytes out);
void ed25519_sign(const_bytes seed, const_bytes message, mutable_bytes out);
bool ed25519_verify(const_bytes public_key, const_bytes message, const_bytes signature) noexcept;
}  // namespace libsodium_provider
#endif

}  // namespace sealed::crypto::detail
