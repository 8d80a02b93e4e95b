// The OpenSSL 3 provider's key agreements: P-256 and X25519.
// P-256 keys are a scalar, and agreement is OpenSSL's point multiplication (EC_POINT_mul, the
// same arithmetic its ECDH uses) on the peer's decoded point: going through EVP instead cost
// a key import (EVP_PKEY_fromdata, ~190 K instructions) and a derive context per agreement, as
// much again as the multiplication itself (a callgrind profile of envelope requests).
// X25519 keeps its EVP_PKEY; peers become EVP_PKEYs per use.
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)

#include "openssl_util.hpp"
#include "provider_impl.hpp"

#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <algorithm>
#include <new>

namespace sealed::crypto::detail::openssl_provider {

namespace {

using ec_point_ptr = std::unique_ptr<EC_POINT, openssl_deleter<EC_POINT_free>>;
using bn_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BN_clear_free>>;

const EC_GROUP* p256_group() {
    static EC_GROUP* const group = [] {
        EC_GROUP* g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
        if (g == nullptr) fatal("OpenSSL has no P-256");
        return g;
    }();
    return group;
}

// X25519 with a peer key already in EVP form; the peer was validated when parsed, so OpenSSL's
// own peer check is skipped.
error_code derive(EVP_PKEY* own, EVP_PKEY* peer, mutable_bytes secret) {
    const pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own, nullptr));
    std::size_t len = secret.size();
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
        EVP_PKEY_derive_set_peer_ex(ctx.get(), peer, 0) != 1 ||
        EVP_PKEY_derive(ctx.get(), secret.data(), &len) != 1 || len != secret.size()) {
        clear_errors();
        // X25519 fails here for a low-order peer (all-zero result).
        return errc::invalid_public_key;
    }
    return {};
}

// A SEC1 uncompressed point on P-256, or null: oct2point refuses coordinates >= p and points
// off the curve; the explicit checks keep that guarantee independent of the OpenSSL version.
ec_point_ptr p256_point(const_bytes sec1) {
    const EC_GROUP* group = p256_group();
    ec_point_ptr point(EC_POINT_new(group));
    if (!point) throw std::bad_alloc();
    if (sec1.size() != p256_public_key::encoded_size || sec1[0] != 0x04 ||
        EC_POINT_oct2point(group, point.get(), sec1.data(), sec1.size(), nullptr) != 1 ||
        EC_POINT_is_on_curve(group, point.get(), nullptr) != 1 || EC_POINT_is_at_infinity(group, point.get()) != 0) {
        clear_errors();
        return nullptr;
    }
    return point;
}

class p256_key final : public private_key_impl {
public:
    // `d` in [1, n), with BN_FLG_CONSTTIME set.
    explicit p256_key(bn_ptr d) noexcept : d_(std::move(d)) {}

    error_code agree(const_bytes peer, mutable_bytes secret) const override {
        const EC_GROUP* group = p256_group();
        const auto point = p256_point(peer);
        if (!point) return errc::invalid_public_key;
        // P-256 has cofactor 1: a point on the curve is in the prime-order group, so d·Q is the
        // whole check (no n·Q). The shared secret is the x coordinate of d·Q.
        const ec_point_ptr shared(EC_POINT_new(group));
        const bn_ptr x(BN_secure_new());
        if (!shared || !x) throw std::bad_alloc();
        if (secret.size() != p256_private_key::scalar_size ||
            EC_POINT_mul(group, shared.get(), nullptr, point.get(), d_.get(), nullptr) != 1 ||
            EC_POINT_is_at_infinity(group, shared.get()) != 0 ||
            EC_POINT_get_affine_coordinates(group, shared.get(), x.get(), nullptr, nullptr) != 1 ||
            BN_bn2binpad(x.get(), secret.data(), static_cast<int>(secret.size())) < 0) {
            clear_errors();
            return errc::invalid_public_key;
        }
        return {};
    }

    void export_private(mutable_bytes out) const override {
        if (BN_bn2binpad(d_.get(), out.data(), static_cast<int>(out.size())) < 0)
            fatal("OpenSSL P-256 private key export");
    }

    // d·G, SEC1 uncompressed.
    error_code public_key(std::array<byte, p256_public_key::encoded_size>& out) const {
        const EC_GROUP* group = p256_group();
        const ec_point_ptr q(EC_POINT_new(group));
        if (!q) throw std::bad_alloc();
        if (EC_POINT_mul(group, q.get(), d_.get(), nullptr, nullptr, nullptr) != 1 ||
            EC_POINT_point2oct(group, q.get(), POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(), nullptr) !=
                out.size()) {
            clear_errors();
            return errc::crypto_failure;
        }
        return {};
    }

private:
    bn_ptr d_;
};

class x25519_key final : public private_key_impl {
public:
    explicit x25519_key(pkey_ptr key) noexcept : key_(std::move(key)) {}

    error_code agree(const_bytes peer, mutable_bytes secret) const override {
        const pkey_ptr peer_key(
            EVP_PKEY_new_raw_public_key_ex(nullptr, "X25519", nullptr, peer.data(), peer.size()));
        if (!peer_key) {
            clear_errors();
            return errc::invalid_public_key;
        }
        return derive(key_.get(), peer_key.get(), secret);
    }

    void export_private(mutable_bytes out) const override {
        std::size_t len = out.size();
        if (EVP_PKEY_get_raw_private_key(key_.get(), out.data(), &len) != 1 || len != out.size()) {
            clear_errors();
            fatal("OpenSSL X25519 private key export");
        }
    }

    EVP_PKEY* get() const noexcept { return key_.get(); }

private:
    pkey_ptr key_;
};

result<p256_pair> p256_pair_from(bn_ptr d) {
    auto key = std::make_unique<p256_key>(std::move(d));
    p256_pair pair;
    if (auto ec = key->public_key(pair.public_key)) return ec;
    pair.key.reset(key.release());
    return pair;
}

bn_ptr secret_scalar() {
    bn_ptr d(BN_secure_new());
    if (!d) throw std::bad_alloc();
    BN_set_flags(d.get(), BN_FLG_CONSTTIME);
    return d;
}

}  // namespace

result<p256_pair> p256_generate() {
    // Uniform in [1, n): BN_priv_rand_range gives [0, n), and 0 is drawn again.
    auto d = secret_scalar();
    const BIGNUM* order = EC_GROUP_get0_order(p256_group());
    do {
        if (BN_priv_rand_range(d.get(), order) != 1) {
            clear_errors();
            return errc::crypto_failure;
        }
    } while (BN_is_zero(d.get()));
    return p256_pair_from(std::move(d));
}

result<p256_pair> p256_from_scalar(const_bytes scalar) {
    auto d = secret_scalar();
    if (scalar.size() != p256_private_key::scalar_size ||
        BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), d.get()) == nullptr) {
        clear_errors();
        return errc::invalid_key;
    }
    if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(p256_group())) >= 0) return errc::invalid_key;
    return p256_pair_from(std::move(d));
}

bool p256_point_valid(const_bytes sec1) noexcept {
    try {
        return p256_point(sec1) != nullptr;
    } catch (const std::bad_alloc&) {
        return false;
    }
}

result<x25519_pair> x25519_from_bytes(const_bytes raw) {
    pkey_ptr pkey(EVP_PKEY_new_raw_private_key_ex(nullptr, "X25519", nullptr, raw.data(), raw.size()));
    if (!pkey) {
        clear_errors();
        return errc::invalid_key;
    }
    auto key = std::make_unique<x25519_key>(std::move(pkey));
    x25519_pair pair;
    std::size_t len = pair.public_key.size();
    if (EVP_PKEY_get_raw_public_key(key->get(), pair.public_key.data(), &len) != 1 ||
        len != pair.public_key.size()) {
        clear_errors();
        return errc::crypto_failure;
    }
    pair.key.reset(key.release());
    return pair;
}

}  // namespace sealed::crypto::detail::openssl_provider

#endif  // SEALED_HAVE_OPENSSL_PROVIDER
