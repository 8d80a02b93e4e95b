#include <sealed/crypto/random.hpp>
#include <sealed/crypto/sign.hpp>

#include "provider_impl.hpp"

#include <algorithm>

namespace sealed::crypto {
namespace {

// L, the order of the Ed25519 base point, little-endian as S is encoded.
constexpr std::array<byte, 32> group_order{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                           0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                           0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};

// RFC 8032 §5.1.7: S must be below L, or the signature is malleable (S + L verifies too).
bool scalar_below_order(const_bytes s) noexcept {
    for (std::size_t i = s.size(); i-- > 0;) {
        if (s[i] != group_order[i]) return s[i] < group_order[i];
    }
    return false;
}

void public_from_seed(const_bytes seed, mutable_bytes out, provider p) {
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
    if (p == provider::openssl) return detail::openssl_provider::ed25519_public_from_seed(seed, out);
#endif
#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)
    if (p == provider::libsodium) return detail::libsodium_provider::ed25519_public_from_seed(seed, out);
#endif
    (void)p;
    detail::botan_provider::ed25519_public_from_seed(seed, out);
}

}  // namespace

result<ed25519_public_key> ed25519_public_key::from_bytes(const_bytes raw) {
    if (raw.size() != encoded_size) return errc::invalid_public_key;
    ed25519_public_key key;
    std::copy(raw.begin(), raw.end(), key.key_.begin());
    return key;
}

bool ed25519_public_key::verify(const_bytes message, const_bytes signature, provider p) const {
    if (signature.size() != std::tuple_size_v<ed25519_signature>) return false;
    if (!scalar_below_order(signature.subspan(32))) return false;
    if (!provides(p, primitive::ed25519)) p = default_provider(primitive::ed25519);
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
    if (p == provider::openssl) return detail::openssl_provider::ed25519_verify(key_, message, signature);
#endif
#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)
    if (p == provider::libsodium) return detail::libsodium_provider::ed25519_verify(key_, message, signature);
#endif
    return detail::botan_provider::ed25519_verify(key_, message, signature);
}

ed25519_private_key ed25519_private_key::generate(provider p) {
    secure_bytes seed(seed_size);
    random_bytes(seed);
    auto made = from_seed(seed, p);
    if (!made) detail::fatal("Ed25519 key generation");
    return std::move(*made);
}

result<ed25519_private_key> ed25519_private_key::from_seed(const_bytes seed, provider p) {
    if (seed.size() != seed_size) return errc::invalid_key;
    if (!provides(p, primitive::ed25519)) return errc::unsupported_algorithm;
    ed25519_public_key pub;
    public_from_seed(seed, pub.key_, p);
    return ed25519_private_key(secure_bytes(seed.begin(), seed.end()), pub, p);
}

ed25519_signature ed25519_private_key::sign(const_bytes message) const {
    ed25519_signature out;
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
    if (provider_ == provider::openssl) {
        detail::openssl_provider::ed25519_sign(seed_, message, out);
        return out;
    }
#endif
#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)
    if (provider_ == provider::libsodium) {
        detail::libsodium_provider::ed25519_sign(seed_, message, out);
        return out;
    }
#endif
    detail::botan_provider::ed25519_sign(seed_, message, out);
    return out;
}

}  // namespace sealed::crypto
