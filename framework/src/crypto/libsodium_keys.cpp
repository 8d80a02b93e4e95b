// The libsodium provider's X25519 and Ed25519.
#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)

#include "provider_impl.hpp"

#include <sodium.h>

#include <cstring>
#include <memory>

namespace sealed::crypto::detail::libsodium_provider {

namespace {

// The raw 32 bytes as given; libsodium clamps at each use, as RFC 7748 does.
class x25519_key final : public private_key_impl {
public:
    explicit x25519_key(const_bytes raw) noexcept { std::memcpy(raw_.data(), raw.data(), raw_.size()); }
    ~x25519_key() override { sodium_memzero(raw_.data(), raw_.size()); }

    error_code agree(const_bytes peer, mutable_bytes secret) const override {
        // libsodium returns -1 when the result is all zero (a low-order peer point): the refusal
        // the other providers make too.
        if (crypto_scalarmult_curve25519(secret.data(), raw_.data(), peer.data()) != 0) {
            sodium_memzero(secret.data(), secret.size());
            return errc::invalid_public_key;
        }
        return {};
    }

    void export_private(mutable_bytes out) const override { std::memcpy(out.data(), raw_.data(), out.size()); }

private:
    std::array<byte, crypto_scalarmult_curve25519_SCALARBYTES> raw_;
};

// libsodium's secret key is seed ‖ public key; it is rebuilt from the seed per use and wiped.
class ed25519_secret {
public:
    explicit ed25519_secret(const_bytes seed) noexcept {
        crypto_sign_ed25519_seed_keypair(public_.data(), secret_.data(), seed.data());
    }
    ~ed25519_secret() { sodium_memzero(secret_.data(), secret_.size()); }
    ed25519_secret(const ed25519_secret&) = delete;
    ed25519_secret& operator=(const ed25519_secret&) = delete;

    const unsigned char* secret() const noexcept { return secret_.data(); }
    const_bytes public_key() const noexcept { return public_; }

private:
    std::array<byte, crypto_sign_ed25519_PUBLICKEYBYTES> public_;
    std::array<byte, crypto_sign_ed25519_SECRETKEYBYTES> secret_;
};

}  // namespace

result<x25519_pair> x25519_from_bytes(const_bytes raw) {
    auto key = std::make_unique<x25519_key>(raw);
    x25519_pair pair;
    if (crypto_scalarmult_curve25519_base(pair.public_key.data(), raw.data()) != 0) return errc::invalid_key;
    pair.key.reset(key.release());
    return pair;
}

void ed25519_public_from_seed(const_bytes seed, mutable_bytes out) {
    const ed25519_secret key(seed);
    std::memcpy(out.data(), key.public_key().data(), out.size());
}

void ed25519_sign(const_bytes seed, const_bytes message, mutable_bytes out) {
    const ed25519_secret key(seed);
    unsigned long long len = 0;
    if (crypto_sign_ed25519_detached(out.data(), &len, message.data(), message.size(), key.secret()) != 0 ||
        len != out.size())
        fatal("libsodium Ed25519 signature");
}

// libsodium 1.0.18 also refuses small-order and non-canonical public keys and R values; the
// Wycheproof vectors hold it to the same answers as the other providers.
bool ed25519_verify(const_bytes public_key, const_bytes message, const_bytes signature) noexcept {
    return crypto_sign_ed25519_verify_detached(signature.data(), message.data(), message.size(),
                                               public_key.data()) == 0;
}

}  // namespace sealed::crypto::detail::libsodium_provider

#endif
