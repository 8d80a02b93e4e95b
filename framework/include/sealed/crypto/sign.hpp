// Ed25519 signatures (RFC 8032, pure): libp2p identities and what they sign.
// Verification is strict: a signature whose S is not below the group order is refused before
// the provider sees it, so every provider accepts exactly the same signatures.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/crypto/provider.hpp>
#include <sealed/error.hpp>

#include <array>

namespace sealed::crypto {

using ed25519_signature = std::array<byte, 64>;

class ed25519_public_key {
public:
    static constexpr std::size_t encoded_size = 32;

    // errc::invalid_public_key for another size (the point itself is checked by verify()).
    static result<ed25519_public_key> from_bytes(const_bytes raw);

    const_bytes bytes() const noexcept { return key_; }
    // True when `signature` is a valid signature of `message` by this key.
    bool verify(const_bytes message, const_bytes signature,
                provider p = default_provider(primitive::ed25519)) const;
    bool operator==(const ed25519_public_key&) const = default;

private:
    std::array<byte, encoded_size> key_{};
    friend class ed25519_private_key;
};

class ed25519_private_key {
public:
    static constexpr std::size_t seed_size = 32;

    static ed25519_private_key generate(provider p = default_provider(primitive::ed25519));
    // The 32-byte seed RFC 8032 calls the private key; errc::invalid_key for other sizes.
    static result<ed25519_private_key> from_seed(const_bytes seed,
                                                 provider p = default_provider(primitive::ed25519));

    const ed25519_public_key& public_key() const noexcept { return public_; }
    ed25519_signature sign(const_bytes message) const;
    const secure_bytes& seed() const noexcept { return seed_; }
    provider which() const noexcept { return provider_; }

private:
    ed25519_private_key(secure_bytes seed, ed25519_public_key pub, provider p)
        : seed_(std::move(seed)), public_(pub), provider_(p) {}
    secure_bytes seed_;
    ed25519_public_key public_;
    provider provider_;
};

}  // namespace sealed::crypto
