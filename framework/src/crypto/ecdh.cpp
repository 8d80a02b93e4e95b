// P-256 and X25519 key objects: encoding and range checks common to every provider, then
// dispatch. Keys from different providers interoperate because only encodings cross over.
#include "provider_impl.hpp"

#include <sealed/crypto/ecdh.hpp>

#include <algorithm>

namespace sealed::crypto {

namespace {

constexpr byte sec1_uncompressed = 0x04;

// The order n of the P-256 base point, big-endian.
constexpr std::array<byte, 32> p256_order = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

// 1 <= scalar < n, without branching on the (secret) scalar: the borrow of scalar - n.
bool p256_scalar_in_range(const_bytes scalar) noexcept {
    unsigned borrow = 0;
    for (std::size_t i = scalar.size(); i-- > 0;) {
        const unsigned diff = unsigned{scalar[i]} - unsigned{p256_order[i]} - borrow;
        borrow = (diff >> 8) & 1u;
    }
    return borrow == 1 && !detail::is_all_zero(scalar);
}

template <class Pair>
Pair fatal_on_error(result<Pair> r, const char* what) {
    if (!r) detail::fatal(what);
    return std::move(*r);
}

result<detail::p256_pair> p256_generate(provider p) {
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
    if (p == provider::openssl) return detail::openssl_provider::p256_generate();
#else
    (void)p;
#endif
    return detail::botan_provider::p256_generate();
}

result<detail::p256_pair> p256_from_scalar(const_bytes scalar, provider p) {
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
    if (p == provider::openssl) return detail::openssl_provider::p256_from_scalar(scalar);
#else
    (void)p;
#endif
    return detail::botan_provider::p256_from_scalar(scalar);
}

result<detail::x25519_pair> x25519_from_bytes(const_bytes raw, provider p) {
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
    if (p == provider::openssl) return detail::openssl_provider::x25519_from_bytes(raw);
#endif
#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)
    if (p == provider::libsodium) return detail::libsodium_provider::x25519_from_bytes(raw);
#endif
    (void)p;
    return detail::botan_provider::x25519_from_bytes(raw);
}

void provider_random(mutable_bytes out, provider p) {
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
    if (p == provider::openssl) return detail::openssl_provider::random_bytes(out);
#endif
#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)
    if (p == provider::libsodium) return detail::libsodium_provider::random_bytes(out);
#endif
    (void)p;
    detail::botan_provider::random_bytes(out);
}

// Never-null key objects come from the factories; a moved-from object has none.
error_code agree_into(const detail::private_key_handle& key, const_bytes peer, secure_bytes& out) {
    if (!key) return errc::invalid_key;
    out.resize(32);
    if (auto ec = key->agree(peer, out)) {
        secure_wipe(out.data(), out.size());
        return ec;
    }
    return {};
}

}  // namespace

// --- P-256 ------------------------------------------------------------------------------------

result<p256_public_key> p256_public_key::from_sec1_any_form(const_bytes sec1, provider p) {
    if (sec1.size() != 33) return from_sec1(sec1, p);
    auto uncompressed = detail::botan_provider::p256_decompress(sec1);
    if (!uncompressed) return errc::invalid_public_key;
    return from_sec1(*uncompressed, p);
}

result<p256_public_key> p256_public_key::from_sec1(const_bytes sec1, provider p) {
    if (sec1.size() != encoded_size || sec1[0] != sec1_uncompressed)
        return errc::invalid_public_key;
    if (!provides(p, primitive::p256)) return errc::unsupported_algorithm;
    bool valid = false;
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
    if (p == provider::openssl) valid = detail::openssl_provider::p256_point_valid(sec1);
    else
#endif
        valid = detail::botan_provider::p256_point_valid(sec1);
    if (!valid) return errc::invalid_public_key;
    p256_public_key key;
    std::copy(sec1.begin(), sec1.end(), key.point_.begin());
    return key;
}

p256_private_key::p256_private_key(detail::private_key_handle h, p256_public_key pub,
                                   provider p) noexcept
    : impl_(std::move(h)), public_(pub), provider_(p) {}
p256_private_key::p256_private_key(p256_private_key&&) noexcept = default;
p256_private_key& p256_private_key::operator=(p256_private_key&&) noexcept = default;
p256_private_key::~p256_private_key() = default;

p256_private_key p256_private_key::generate(provider p) {
    if (!provides(p, primitive::p256)) p = default_provider(primitive::p256);
    auto pair = fatal_on_error(p256_generate(p), "P-256 key generation");
    p256_public_key pub;
    pub.point_ = pair.public_key;
    return {std::move(pair.key), pub, p};
}

result<p256_private_key> p256_private_key::from_scalar(const_bytes scalar, provider p) {
    if (scalar.size() != scalar_size || !p256_scalar_in_range(scalar)) return errc::invalid_key;
    if (!provides(p, primitive::p256)) return errc::unsupported_algorithm;
    auto pair = p256_from_scalar(scalar, p);
    if (!pair) return pair.error();
    p256_public_key pub;
    pub.point_ = pair->public_key;
    return p256_private_key(std::move(pair->key), pub, p);
}

result<secure_bytes> p256_private_key::agree(const p256_public_key& peer) const {
    secure_bytes out;
    if (auto ec = agree_into(impl_, peer.bytes(), out)) return ec;
    return out;
}

secure_bytes p256_private_key::scalar() const {
    secure_bytes out;
    if (impl_) {
        out.resize(scalar_size);
        impl_->export_private(out);
    }
    return out;
}

// --- X25519 -----------------------------------------------------------------------------------

result<x25519_public_key> x25519_public_key::from_bytes(const_bytes raw) {
    if (raw.size() != encoded_size) return errc::invalid_public_key;
    x25519_public_key key;
    std::copy(raw.begin(), raw.end(), key.key_.begin());
    return key;
}

x25519_private_key::x25519_private_key(detail::private_key_handle h, x25519_public_key pub,
                                       provider p) noexcept
    : impl_(std::move(h)), public_(pub), provider_(p) {}
x25519_private_key::x25519_private_key(x25519_private_key&&) noexcept = default;
x25519_private_key& x25519_private_key::operator=(x25519_private_key&&) noexcept = default;
x25519_private_key::~x25519_private_key() = default;

x25519_private_key x25519_private_key::generate(provider p) {
    if (!provides(p, primitive::x25519)) p = default_provider(primitive::x25519);
    // RFC 7748: any 32 random bytes are a private key (clamping happens at use).
    std::array<byte, encoded_size> raw;
    provider_random(raw, p);
    auto made = x25519_from_bytes(raw, p);
    secure_wipe(raw.data(), raw.size());
    auto pair = fatal_on_error(std::move(made), "X25519 key generation");
    x25519_public_key pub;
    pub.key_ = pair.public_key;
    return {std::move(pair.key), pub, p};
}

result<x25519_private_key> x25519_private_key::from_bytes(const_bytes raw, provider p) {
    if (raw.size() != encoded_size) return errc::invalid_key;
    if (!provides(p, primitive::x25519)) return errc::unsupported_algorithm;
    auto pair = x25519_from_bytes(raw, p);
    if (!pair) return pair.error();
    x25519_public_key pub;
    pub.key_ = pair->public_key;
    return x25519_private_key(std::move(pair->key), pub, p);
}

result<secure_bytes> x25519_private_key::agree(const x25519_public_key& peer) const {
    secure_bytes out;
    if (auto ec = agree_into(impl_, peer.bytes(), out)) return ec;
    // A low-order peer point gives an all-zero secret whatever our key: refuse it (RFC 7748 §6.1).
    if (detail::is_all_zero(out)) {
        secure_wipe(out.data(), out.size());
        return errc::invalid_public_key;
    }
    return out;
}

secure_bytes x25519_private_key::private_bytes() const {
    secure_bytes out;
    if (impl_) {
        out.resize(encoded_size);
        impl_->export_private(out);
    }
    return out;
}

}  // namespace sealed::crypto
