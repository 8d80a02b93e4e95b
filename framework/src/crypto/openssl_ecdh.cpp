// The OpenSSL 3 provider's key agreements: P-256 (EVP_PKEY "EC") and X25519. Each private key
// object keeps its EVP_PKEY; peers arrive as validated encodings and become EVP_PKEYs per use.
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)

#include "openssl_util.hpp"
#include "provider_impl.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>

#include <algorithm>
#include <bit>
#include <new>

namespace sealed::crypto::detail::openssl_provider {

namespace {

char p256_name[] = "prime256v1";

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

// Builds an EC EVP_PKEY from parameters (a public point, or a key pair).
pkey_ptr ec_from_params(const OSSL_PARAM* params, int selection) {
    thread_local const pkey_ctx_ptr ctx = [] {
        pkey_ctx_ptr c(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
        if (!c || EVP_PKEY_fromdata_init(c.get()) != 1) fatal("OpenSSL EC import setup");
        return c;
    }();
    EVP_PKEY* pkey = nullptr;
    if (EVP_PKEY_fromdata(ctx.get(), &pkey, selection, const_cast<OSSL_PARAM*>(params)) != 1) {
        clear_errors();
        return nullptr;
    }
    return pkey_ptr(pkey);
}

// ECDH or X25519 with a peer key already in EVP form; the peer was validated when parsed, so
// OpenSSL's own (costly, for EC: a full n·Q) peer check is skipped.
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

class p256_key final : public private_key_impl {
public:
    explicit p256_key(pkey_ptr key) noexcept : key_(std::move(key)) {}

    error_code agree(const_bytes peer, mutable_bytes secret) const override {
        const OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, p256_name, 0),
            OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                              const_cast<byte*>(peer.data()), peer.size()),
            OSSL_PARAM_END};
        const pkey_ptr peer_key = ec_from_params(params, EVP_PKEY_PUBLIC_KEY);
        if (!peer_key) return errc::invalid_public_key;
        return derive(key_.get(), peer_key.get(), secret);
    }

    void export_private(mutable_bytes out) const override {
        BIGNUM* d = nullptr;
        if (EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1) {
            clear_errors();
            fatal("OpenSSL P-256 private key export");
        }
        const bn_ptr owned(d);
        if (BN_bn2binpad(d, out.data(), static_cast<int>(out.size())) < 0)
            fatal("OpenSSL P-256 private key export");
    }

    error_code public_key(std::array<byte, p256_public_key::encoded_size>& out) const {
        std::size_t len = 0;
        if (EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                            out.data(), out.size(), &len) != 1 ||
            len != out.size() || out[0] != 0x04) {
            clear_errors();
            return errc::crypto_failure;
        }
        return {};
    }

private:
    pkey_ptr key_;
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

result<p256_pair> p256_pair_from(pkey_ptr pkey) {
    if (!pkey) return errc::crypto_failure;
    auto key = std::make_unique<p256_key>(std::move(pkey));
    p256_pair pair;
    if (auto ec = key->public_key(pair.public_key)) return ec;
    pair.key.reset(key.release());
    return pair;
}

}  // namespace

result<p256_pair> p256_generate() {
    thread_local const pkey_ctx_ptr ctx = [] {
        pkey_ctx_ptr c(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
        if (!c || EVP_PKEY_keygen_init(c.get()) != 1 ||
            EVP_PKEY_CTX_set_group_name(c.get(), p256_name) != 1)
            fatal("OpenSSL P-256 key generation setup");
        return c;
    }();
    EVP_PKEY* pkey = nullptr;
    if (EVP_PKEY_generate(ctx.get(), &pkey) != 1) {
        clear_errors();
        return errc::crypto_failure;
    }
    return p256_pair_from(pkey_ptr(pkey));
}

result<p256_pair> p256_from_scalar(const_bytes scalar) {
    // OpenSSL 3.0 does not derive the public point on import, so it is computed here (d·G).
    const bn_ptr d(BN_secure_new());
    const ec_point_ptr q(EC_POINT_new(p256_group()));
    if (!d || !q) throw std::bad_alloc();
    BN_set_flags(d.get(), BN_FLG_CONSTTIME);
    std::array<byte, p256_public_key::encoded_size> pub;
    if (BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), d.get()) == nullptr ||
        EC_POINT_mul(p256_group(), q.get(), d.get(), nullptr, nullptr, nullptr) != 1 ||
        EC_POINT_point2oct(p256_group(), q.get(), POINT_CONVERSION_UNCOMPRESSED, pub.data(),
                           pub.size(), nullptr) != pub.size()) {
        clear_errors();
        return errc::invalid_key;
    }
    // OSSL_PARAM BIGNUMs are native-endian byte strings.
    std::array<byte, p256_private_key::scalar_size> native;
    std::copy(scalar.begin(), scalar.end(), native.begin());
    if constexpr (std::endian::native == std::endian::little) std::reverse(native.begin(), native.end());
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, p256_name, 0),
        OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY, native.data(), native.size()),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size()),
        OSSL_PARAM_END};
    pkey_ptr pkey = ec_from_params(params, EVP_PKEY_KEYPAIR);
    secure_wipe(native.data(), native.size());
    if (!pkey) return errc::invalid_key;
    return p256_pair_from(std::move(pkey));
}

bool p256_point_valid(const_bytes sec1) noexcept {
    const EC_GROUP* group = p256_group();
    const ec_point_ptr point(EC_POINT_new(group));
    // oct2point refuses coordinates >= p and points off the curve; the explicit checks keep
    // that guarantee independent of the OpenSSL version.
    const bool ok = point && EC_POINT_oct2point(group, point.get(), sec1.data(), sec1.size(), nullptr) == 1 &&
                    EC_POINT_is_on_curve(group, point.get(), nullptr) == 1 &&
                    EC_POINT_is_at_infinity(group, point.get()) == 0;
    if (!ok) clear_errors();
    return ok;
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
