// P-256 and X25519 key agreement. Public keys are validated when they are parsed (P-256: on the
// curve, not the identity, uncompressed SEC1) or when they are used (X25519: an all-zero shared
// secret, i.e. a low-order point, is refused). Private keys are wiped when destroyed.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/crypto/provider.hpp>
#include <sealed/error.hpp>

#include <array>
#include <memory>

namespace sealed::crypto {

namespace detail {
// A provider's private key object (an EVP_PKEY or a Botan key); defined by each provider.
class private_key_impl;
struct private_key_impl_deleter {
    void operator()(private_key_impl*) const noexcept;
};
using private_key_handle = std::unique_ptr<private_key_impl, private_key_impl_deleter>;
}  // namespace detail

// A validated P-256 point in SEC1 uncompressed form (0x04 ‖ X ‖ Y), as WebCrypto exports it.
class p256_public_key {
public:
    static constexpr std::size_t encoded_size = 65;
    // errc::invalid_public_key unless `sec1` is 65 bytes, 0x04-prefixed, on the curve.
    static result<p256_public_key> from_sec1(const_bytes sec1,
                                             provider p = default_provider(primitive::p256));
    // The same, also taking the 33-byte compressed form (0x02/0x03 ‖ x), as WebCrypto does.
    static result<p256_public_key> from_sec1_any_form(const_bytes sec1,
                                                      provider p = default_provider(primitive::p256));
    const std::array<byte, encoded_size>& sec1() const noexcept { return point_; }
    const_bytes bytes() const noexcept { return point_; }
    bool operator==(const p256_public_key&) const = default;

private:
    p256_public_key() = default;
    std::array<byte, encoded_size> point_{};
    friend class p256_private_key;
};

class p256_private_key {
public:
    static constexpr std::size_t scalar_size = 32;
    static constexpr std::size_t shared_secret_size = 32;

    static p256_private_key generate(provider p = default_provider(primitive::p256));
    // errc::invalid_key unless 1 <= scalar < n.
    static result<p256_private_key> from_scalar(const_bytes scalar,
                                                provider p = default_provider(primitive::p256));

    p256_private_key(p256_private_key&&) noexcept;
    p256_private_key& operator=(p256_private_key&&) noexcept;
    ~p256_private_key();

    const p256_public_key& public_key() const noexcept { return public_; }
    // The shared secret is the x-coordinate of d·Q (32 bytes), as WebCrypto's deriveBits gives.
    result<secure_bytes> agree(const p256_public_key& peer) const;
    secure_bytes scalar() const;
    provider which() const noexcept { return provider_; }

private:
    p256_private_key(detail::private_key_handle h, p256_public_key pub, provider p) noexcept;
    detail::private_key_handle impl_;
    p256_public_key public_;
    provider provider_;
};

class x25519_public_key {
public:
    static constexpr std::size_t encoded_size = 32;
    // errc::invalid_public_key unless 32 bytes. Low-order points are refused by agree().
    static result<x25519_public_key> from_bytes(const_bytes raw);
    const std::array<byte, encoded_size>& raw() const noexcept { return key_; }
    const_bytes bytes() const noexcept { return key_; }
    bool operator==(const x25519_public_key&) const = default;

private:
    x25519_public_key() = default;
    std::array<byte, encoded_size> key_{};
    friend class x25519_private_key;
};

class x25519_private_key {
public:
    static constexpr std::size_t encoded_size = 32;
    static constexpr std::size_t shared_secret_size = 32;

    static x25519_private_key generate(provider p = default_provider(primitive::x25519));
    // Any 32 bytes (clamped as RFC 7748 says); errc::invalid_key for other sizes.
    static result<x25519_private_key> from_bytes(const_bytes raw,
                                                 provider p = default_provider(primitive::x25519));

    x25519_private_key(x25519_private_key&&) noexcept;
    x25519_private_key& operator=(x25519_private_key&&) noexcept;
    ~x25519_private_key();

    const x25519_public_key& public_key() const noexcept { return public_; }
    // errc::invalid_public_key when the result is all zero (a low-order peer point).
    result<secure_bytes> agree(const x25519_public_key& peer) const;
    secure_bytes private_bytes() const;
    provider which() const noexcept { return provider_; }

private:
    x25519_private_key(detail::private_key_handle h, x25519_public_key pub, provider p) noexcept;
    detail::private_key_handle impl_;
    x25519_public_key public_;
    provider provider_;
};

}  // namespace sealed::crypto
