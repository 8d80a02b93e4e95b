// The broker's grant policy (issue 30): a JWT whose sub is the peer id, HS256 or ES256, with
// exp and nbf; every way a token can be wrong is refused with a reason, and keys that cannot
// serve are refused when the verifier is made.
#include <sealed/signaling/jwt.hpp>

#include <sealed_test/jwt.hpp>

#include <gtest/gtest.h>

namespace {

using namespace sealed;
using sealed::signaling::jwt_verifier;
using sealed_test::grant;
using sealed_test::hs256_jwt;

const std::string secret = "0123456789abcdef0123456789abcdef-hs256";

secure_bytes bytes_of(const std::string& s) { return secure_bytes(s.begin(), s.end()); }

std::shared_ptr<const jwt_verifier> verifier(jwt_verifier::options o) {
    std::string why;
    auto v = jwt_verifier::make(std::move(o), &why);
    EXPECT_TRUE(v) << why;
    return v ? *v : nullptr;
}

std::string reason(const std::shared_ptr<const jwt_verifier>& v, const std::string& token, const std::string& id) {
    return v->check(token, id).value_or("granted");
}

TEST(signaling_jwt, hs256_grants_its_sub_only_and_until_exp) {
    jwt_verifier::options o;
    o.hs256_secrets.push_back(bytes_of(secret));
    const auto v = verifier(o);
    EXPECT_EQ(reason(v, hs256_jwt(secret, grant("alice")), "alice"), "granted");
    EXPECT_EQ(reason(v, hs256_jwt(secret, grant("alice")), "bob"), "sub is not this id");
    EXPECT_EQ(reason(v, hs256_jwt(secret, grant("alice", -120)), "alice"), "expired");
    EXPECT_EQ(reason(v, hs256_jwt(secret, grant("alice", -10)), "alice"), "granted");  // within the leeway
    EXPECT_EQ(reason(v, hs256_jwt("another secret of 32 bytes or more!", grant("alice")), "alice"), "bad signature");
    EXPECT_EQ(reason(v, hs256_jwt(secret, R"({"sub":"alice"})"), "alice"), "no exp");
    EXPECT_EQ(reason(v, hs256_jwt(secret, R"({"sub":"alice","exp":"soon"})"), "alice"), "no exp");
    const auto later = R"({"sub":"alice","exp":)" + std::to_string(sealed_test::unix_now() + 600) +
                       R"(,"nbf":)" + std::to_string(sealed_test::unix_now() + 300) + "}";
    EXPECT_EQ(reason(v, hs256_jwt(secret, later), "alice"), "not valid yet (nbf)");
}

TEST(signaling_jwt, tampering_none_and_malformed_tokens_are_refused) {
    jwt_verifier::options o;
    o.hs256_secrets.push_back(bytes_of(secret));
    const auto v = verifier(o);
    const auto token = hs256_jwt(secret, grant("alice"));
    const auto dot = token.find('.');
    const auto dot2 = token.find('.', dot + 1);
    // The payload swapped for Mallory's, the signature kept.
    const auto swapped = token.substr(0, dot + 1) + sealed_test::b64url(grant("mallory")) + token.substr(dot2);
    EXPECT_EQ(reason(v, swapped, "mallory"), "bad signature");
    const auto unsigned_token =
        sealed_test::b64url(R"({"alg":"none"})") + "." + sealed_test::b64url(grant("alice")) + ".";
    EXPECT_EQ(reason(v, unsigned_token, "alice"), "algorithm 'none' is not accepted here");
    for (const std::string& bad : std::vector<std::string>{"", "a.b", "a.b.c.d", "!!.??.**", token + "x"})
        EXPECT_NE(reason(v, bad, "alice"), "granted") << bad;
    EXPECT_EQ(reason(v, std::string(5000, 'a'), "alice"), "token too long");
}

TEST(signaling_jwt, es256_verifies_with_any_listed_key_and_never_as_an_hmac_secret) {
    const sealed_test::es256_signer current, next, stranger;
    jwt_verifier::options o;
    o.es256_public_keys_pem = current.public_pem() + next.public_pem();
    const auto v = verifier(o);
    EXPECT_EQ(reason(v, current.jwt(grant("alice")), "alice"), "granted");
    EXPECT_EQ(reason(v, next.jwt(grant("alice")), "alice"), "granted");  // rotation: both keys listed
    EXPECT_EQ(reason(v, stranger.jwt(grant("alice")), "alice"), "bad signature");
    EXPECT_EQ(reason(v, current.jwt(grant("alice")), "bob"), "sub is not this id");
    // Algorithm confusion: an HS256 token keyed with the public key's PEM is not checked at all.
    EXPECT_EQ(reason(v, hs256_jwt(current.public_pem(), grant("alice")), "alice"),
              "algorithm 'HS256' is not accepted here");
    auto token = current.jwt(grant("alice"));
    token[token.size() - 3] = token[token.size() - 3] == 'A' ? 'B' : 'A';
    EXPECT_EQ(reason(v, token, "alice"), "bad signature");
}

TEST(signaling_jwt, keys_that_cannot_serve_are_refused_when_made) {
    std::string why;
    EXPECT_FALSE(jwt_verifier::make({}, &why));
    EXPECT_NE(why.find("no HS256 secret"), std::string::npos) << why;
    jwt_verifier::options short_secret;
    short_secret.hs256_secrets.push_back(bytes_of("too short"));
    EXPECT_FALSE(jwt_verifier::make(short_secret, &why));
    EXPECT_NE(why.find("32 bytes"), std::string::npos) << why;
    jwt_verifier::options not_pem;
    not_pem.es256_public_keys_pem = "not a key";
    EXPECT_FALSE(jwt_verifier::make(not_pem, &why));
    // An Ed25519 key is a public key, but not ES256's.
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), &EVP_PKEY_free);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    PEM_write_bio_PUBKEY(bio.get(), ed.get());
    char* data = nullptr;
    const auto n = BIO_get_mem_data(bio.get(), &data);
    jwt_verifier::options ed25519;
    ed25519.es256_public_keys_pem.assign(data, static_cast<std::size_t>(n));
    EXPECT_FALSE(jwt_verifier::make(ed25519, &why));
    EXPECT_NE(why.find("P-256"), std::string::npos) << why;
}

}  // namespace
