// Minting JWTs for tests of the signaling broker's grant policy: HS256 with sealed's HMAC and
// ES256 with OpenSSL (r ‖ s, as RFC 7518 §3.4 wants), from a header and claims given as JSON.
#pragma once

#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/hash.hpp>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

namespace sealed_test {

inline std::string b64url(std::string_view s) {
    return sealed::crypto::base64url_encode(sealed::as_bytes(s));
}

inline long long unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// {"sub":…,"exp":now+ttl}
inline std::string grant(const std::string& sub, long long exp_from_now = 600) {
    return R"({"sub":")" + sub + R"(","exp":)" + std::to_string(unix_now() + exp_from_now) + "}";
}

inline std::string hs256_jwt(std::string_view secret, const std::string& claims,
                             const std::string& header = R"({"alg":"HS256","typ":"JWT"})") {
    const auto signed_part = b64url(header) + "." + b64url(claims);
    const auto tag = sealed::crypto::hmac_sha256(sealed::as_bytes(secret), sealed::as_bytes(signed_part));
    return signed_part + "." + sealed::crypto::base64url_encode(tag);
}

// A P-256 signing key and its PEM public key.
class es256_signer {
public:
    es256_signer() : key_(EVP_EC_gen("P-256"), &EVP_PKEY_free) {
        if (!key_) throw std::runtime_error("P-256 key generation failed");
    }
    std::string public_pem() const {
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
        PEM_write_bio_PUBKEY(bio.get(), key_.get());
        char* data = nullptr;
        const auto n = BIO_get_mem_data(bio.get(), &data);
        return std::string(data, static_cast<std::size_t>(n));
    }
    std::string jwt(const std::string& claims, const std::string& header = R"({"alg":"ES256","typ":"JWT"})") const {
        const auto signed_part = b64url(header) + "." + b64url(claims);
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
        std::size_t der_size = 0;
        EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get());
        EVP_DigestSign(ctx.get(), nullptr, &der_size, reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size());
        std::string der(der_size, '\0');
        EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &der_size,
                       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size());
        const auto* p = reinterpret_cast<const unsigned char*>(der.data());
        std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_size)),
                                                                  &ECDSA_SIG_free);
        unsigned char raw[64] = {};
        BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw, 32);
        BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw + 32, 32);
        return signed_part + "." + sealed::crypto::base64url_encode(sealed::const_bytes(raw, 64));
    }

private:
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_;
};

}  // namespace sealed_test
