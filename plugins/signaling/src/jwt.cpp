// JWT grants for peer ids (jwt.hpp): HS256 through sealed's HMAC, ES256 through OpenSSL.
#include <sealed/signaling/jwt.hpp>

#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/hash.hpp>
#include <sealed/files.hpp>

#include <boost/json.hpp>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>

namespace sealed::signaling {
namespace {

namespace json = boost::json;
constexpr std::size_t es256_signature_size = 64;  // r ‖ s, 32 bytes each (RFC 7518 §3.4)

struct pkey_free {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
struct openssl_free {
    void operator()(unsigned char* p) const noexcept { OPENSSL_free(p); }
};

std::optional<json::object> decode_part(std::string_view part) {
    auto raw = crypto::base64url_decode(part);
    if (!raw) return std::nullopt;
    error_code ec;
    auto v = json::parse(as_string_view(*raw), ec);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.as_object());
}

// A NumericDate claim (whole seconds since the epoch), if present and one.
std::optional<std::int64_t> seconds_claim(const json::object& claims, std::string_view name) {
    const auto* v = claims.if_contains(name);
    if (!v) return std::nullopt;
    error_code ec;
    const auto n = v->to_number<std::int64_t>(ec);
    if (ec) return std::nullopt;
    return n;
}

}  // namespace

struct jwt_verifier::es256_keys {
    std::vector<pkey_ptr> keys;
};

jwt_verifier::jwt_verifier(options opts, std::unique_ptr<es256_keys> keys)
    : opts_(std::move(opts)), es256_(std::move(keys)) {}

jwt_verifier::~jwt_verifier() = default;

result<std::shared_ptr<const jwt_verifier>> jwt_verifier::make(options opts, std::string* why) {
    auto fail = [why](std::string reason) -> result<std::shared_ptr<const jwt_verifier>> {
        if (why != nullptr) *why = std::move(reason);
        return make_error_code(errc::invalid_key);
    };
    for (const auto& s : opts.hs256_secrets)
        if (s.size() < 32) return fail("an HS256 secret must be at least 32 bytes");
    auto keys = std::make_unique<es256_keys>();
    if (!opts.es256_public_keys_pem.empty()) {
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(
            BIO_new_mem_buf(opts.es256_public_keys_pem.data(), static_cast<int>(opts.es256_public_keys_pem.size())),
            &BIO_free);
        while (pkey_ptr key{PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)}) {
            char group[32] = {};
            std::size_t len = 0;
            if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC ||
                EVP_PKEY_get_utf8_string_param(key.get(), "group", group, sizeof group, &len) != 1 ||
                std::string_view(group, len) != "prime256v1")
                return fail("public key " + std::to_string(keys->keys.size() + 1) + " is not a P-256 (ES256) key");
            keys->keys.push_back(std::move(key));
        }
        ERR_clear_error();  // the end of the PEM text reads as an error
        if (keys->keys.empty()) return fail("no PEM public key (-----BEGIN PUBLIC KEY-----) in the ES256 keys");
    }
    if (opts.hs256_secrets.empty() && keys->keys.empty()) return fail("no HS256 secret and no ES256 public key");
    return std::shared_ptr<const jwt_verifier>(new jwt_verifier(std::move(opts), std::move(keys)));
}

result<secure_bytes> jwt_verifier::read_secret(const std::filesystem::path& file) {
    auto bytes = files::read(file);
    if (!bytes) return bytes.error();
    if (!bytes->empty() && bytes->back() == '\n') bytes->pop_back();
    if (!bytes->empty() && bytes->back() == '\r') bytes->pop_back();
    return bytes;
}

bool jwt_verifier::verify_es256(std::string_view signed_part, const_bytes signature) const {
    if (signature.size() != es256_signature_size) return false;
    // JOSE carries r ‖ s; OpenSSL verifies DER.
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), &ECDSA_SIG_free);
    BIGNUM* r = BN_bin2bn(signature.data(), 32, nullptr);
    BIGNUM* s = BN_bin2bn(signature.data() + 32, 32, nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        return false;
    }
    unsigned char* der = nullptr;
    const int der_size = i2d_ECDSA_SIG(sig.get(), &der);
    if (der_size <= 0) return false;
    const std::unique_ptr<unsigned char, openssl_free> der_owner(der);
    const auto verifies = [&](const pkey_ptr& key) {
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
        return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
               EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_size),
                                reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
    };
    const bool ok = std::any_of(es256_->keys.begin(), es256_->keys.end(), verifies);
    ERR_clear_error();
    return ok;
}

std::optional<std::string> jwt_verifier::check(std::string_view token, std::string_view id,
                                               std::chrono::system_clock::time_point now) const {
    if (token.size() > opts_.max_token_size) return "token too long";
    const auto first = token.find('.');
    const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
        return "not a JWT (header.payload.signature)";
    const auto header = decode_part(token.substr(0, first));
    const auto claims = decode_part(token.substr(first + 1, second - first - 1));
    const auto signature = crypto::base64url_decode(token.substr(second + 1));
    if (!header || !claims || !signature) return "not a JWT (bad base64url or JSON)";
    const auto* alg = header->if_contains("alg");
    const std::string_view algorithm = alg && alg->is_string() ? std::string_view(alg->get_string()) : "";
    const auto signed_part = token.substr(0, second);

    bool verified = false;
    if (algorithm == "HS256" && !opts_.hs256_secrets.empty()) {
        verified = std::any_of(opts_.hs256_secrets.begin(), opts_.hs256_secrets.end(), [&](const secure_bytes& secret) {
            return crypto::hmac_sha256_verify(secret, as_bytes(signed_part), *signature);
        });
    } else if (algorithm == "ES256" && !es256_->keys.empty()) {
        verified = verify_es256(signed_part, *signature);
    } else {
        return "algorithm '" + std::string(algorithm) + "' is not accepted here";
    }
    if (!verified) return "bad signature";

    const auto* sub = claims->if_contains("sub");
    if (!sub || !sub->is_string() || sub->get_string() != id) return "sub is not this id";
    const auto t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const auto leeway = opts_.leeway.count();
    const auto exp = seconds_claim(*claims, "exp");
    if (!exp) return "no exp";
    if (t - leeway > *exp) return "expired";
    if (const auto nbf = seconds_claim(*claims, "nbf"); nbf && t + leeway < *nbf) return "not valid yet (nbf)";
    return std::nullopt;
}

}  // namespace sealed::signaling
