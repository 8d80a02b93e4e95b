// OpenSSL 3's Ed25519 (one-shot EVP_DigestSign/Verify with no digest: pure Ed25519).
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)

#include "openssl_util.hpp"
#include "provider_impl.hpp"

namespace sealed::crypto::detail::openssl_provider {

namespace {

using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, openssl_deleter<EVP_MD_CTX_free>>;

pkey_ptr private_key(const_bytes seed) {
    pkey_ptr key(EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, seed.data(), seed.size()));
    if (!key) fatal("OpenSSL Ed25519 private key");
    return key;
}

}  // namespace

void ed25519_public_from_seed(const_bytes seed, mutable_bytes out) {
    const auto key = private_key(seed);
    std::size_t len = out.size();
    if (EVP_PKEY_get_raw_public_key(key.get(), out.data(), &len) != 1 || len != out.size())
        fatal("OpenSSL Ed25519 public key");
}

void ed25519_sign(const_bytes seed, const_bytes message, mutable_bytes out) {
    const auto key = private_key(seed);
    const md_ctx_ptr ctx(EVP_MD_CTX_new());
    std::size_t len = out.size();
    if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key.get(), nullptr) != 1 ||
        EVP_DigestSign(ctx.get(), out.data(), &len, message.data(), message.size()) != 1 || len != out.size())
        fatal("OpenSSL Ed25519 signature");
}

bool ed25519_verify(const_bytes public_key, const_bytes message, const_bytes signature) noexcept {
    const pkey_ptr key(
        EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, public_key.data(), public_key.size()));
    const md_ctx_ptr ctx(EVP_MD_CTX_new());
    const bool valid = key && ctx &&
                       EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key.get(), nullptr) == 1 &&
                       EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size()) == 1;
    clear_errors();
    return valid;
}

}  // namespace sealed::crypto::detail::openssl_provider

#endif
