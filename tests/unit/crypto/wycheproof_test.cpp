// Wycheproof vectors (../shared/vectors/wycheproof) against every compiled provider. Each file
// prints a summary: passed, failed, skipped with the reason, and how "acceptable" vectors (edge
// cases a library may accept or refuse) are judged under this library's contract.
#include <sealed/crypto/aead.hpp>
#include <sealed/crypto/ecdh.hpp>
#include <sealed/crypto/hash.hpp>
#include <sealed/crypto/kdf.hpp>
#include <sealed/crypto/sign.hpp>

#include <sealed_test/paths.hpp>

#include "crypto_test_util.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

namespace crypto = sealed::crypto;
namespace json = boost::json;
using crypto::aead_algorithm;
using crypto::primitive;
using crypto::provider;
using sealed::errc;
using sealed_test::hex;
using sealed_test::unhex;

namespace {

json::value load(const std::string& name) {
    std::string path = sealed_test::vectors_dir();
    path.append("/wycheproof/").append(name);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
}

std::string str(const json::object& o, const char* key) { return std::string(o.at(key).as_string()); }
sealed::bytes bin(const json::object& o, const char* key) { return unhex(str(o, key)); }

// Counts per file and reports them when the test ends.
class tally {
public:
    tally(std::string file, provider p) : file_(std::move(file)), provider_(p) {}
    ~tally() {
        std::cout << "[wycheproof] " << file_ << " (" << crypto::to_string(provider_) << "): " << passed_
                  << " passed, " << failed_ << " failed";
        for (const auto& [reason, n] : skipped_) std::cout << ", " << n << " skipped (" << reason << ")";
        if (!acceptable_.empty()) std::cout << "; acceptable: " << acceptable_;
        std::cout << '\n';
    }
    void check(bool ok, const json::object& t, std::string_view what = {}) {
        if (ok) {
            ++passed_;
            return;
        }
        ++failed_;
        ADD_FAILURE() << file_ << " tcId " << t.at("tcId").as_int64() << " (" << str(t, "comment")
                      << ", " << str(t, "result") << ") " << what;
    }
    void skip(const std::string& reason) { ++skipped_[reason]; }
    void acceptable_policy(std::string text) { acceptable_ = std::move(text); }

private:
    std::string file_;
    provider provider_;
    int passed_ = 0, failed_ = 0;
    std::map<std::string, int> skipped_;
    std::string acceptable_;
};

template <class F>
void for_each_test(const json::value& doc, F&& f) {
    for (const auto& g : doc.at("testGroups").as_array())
        for (const auto& t : g.at("tests").as_array()) f(g.as_object(), t.as_object());
}

class Wycheproof : public testing::TestWithParam<provider> {};

void run_aead(const char* file, aead_algorithm alg, provider p) {
    if (!crypto::provides(p, crypto::to_primitive(alg)))
        GTEST_SKIP() << crypto::to_string(p) << " lacks " << crypto::to_string(crypto::to_primitive(alg));
    tally tl(file, p);
    for_each_test(load(file), [&](const json::object& g, const json::object& t) {
        if (g.at("keySize").as_int64() != 256) return tl.skip("key size not 256 bits");
        if (g.at("tagSize").as_int64() != 128) return tl.skip("tag size not 128 bits");
        const auto key = bin(t, "key"), iv = bin(t, "iv"), aad = bin(t, "aad"), msg = bin(t, "msg");
        auto expected = bin(t, "ct");
        const auto tag = bin(t, "tag");
        expected.insert(expected.end(), tag.begin(), tag.end());
        auto c = crypto::aead::create(alg, key, p);
        if (!c) return tl.check(false, t, "create failed");
        const bool valid = str(t, "result") == "valid";
        sealed::bytes opened(expected.size() >= 16 ? expected.size() - 16 : 0);
        const auto open_ec = c->open(iv, aad, expected, opened);
        if (!valid) {
            // Invalid: a modified tag or ciphertext, or a nonce size the algorithm refuses.
            return tl.check(open_ec == errc::decrypt_failed || open_ec == errc::invalid_argument, t,
                            "opened an invalid vector");
        }
        sealed::bytes sealed_out(msg.size() + 16);
        const auto seal_ec = c->seal(iv, aad, msg, sealed_out);
        if (seal_ec == errc::invalid_argument && p == provider::openssl && iv.size() > 128)
            return tl.skip("IV over OpenSSL's 128-byte GCM limit");
        if (seal_ec == errc::invalid_argument && p == provider::libsodium && iv.size() != 12)
            return tl.skip("IV not 12 bytes: libsodium's AES-GCM takes no other size");
        tl.check(!seal_ec && sealed_out == expected && !open_ec && opened == msg, t,
                 seal_ec ? seal_ec.message() : open_ec ? open_ec.message() : "wrong output");
    });
}

}  // namespace

TEST_P(Wycheproof, AesGcm) { run_aead("aes_gcm_test.json", aead_algorithm::aes256_gcm, GetParam()); }
TEST_P(Wycheproof, ChaCha20Poly1305) {
    run_aead("chacha20_poly1305_test.json", aead_algorithm::chacha20_poly1305, GetParam());
}
TEST_P(Wycheproof, XChaCha20Poly1305) {
    run_aead("xchacha20_poly1305_test.json", aead_algorithm::xchacha20_poly1305, GetParam());
}

TEST_P(Wycheproof, EcdhP256EcPoint) {
    const provider p = GetParam();
    SEALED_REQUIRE_PRIMITIVE(p, primitive::p256);
    tally tl("ecdh_secp256r1_ecpoint_test.json", p);
    tl.acceptable_policy("compressed points must be refused (the contract takes uncompressed SEC1 only)");
    for_each_test(load("ecdh_secp256r1_ecpoint_test.json"), [&](const json::object&, const json::object& t) {
        // Wycheproof writes the private key as a minimal big-endian integer (maybe 00-led).
        auto d = bin(t, "private");
        while (d.size() > 32 && d.front() == 0) d.erase(d.begin());
        d.insert(d.begin(), 32 - std::min<std::size_t>(d.size(), 32), 0);
        auto key = crypto::p256_private_key::from_scalar(d, p);
        if (!key) return tl.check(false, t, "private key refused");
        auto pub = crypto::p256_public_key::from_sec1(bin(t, "public"), p);
        const std::string result = str(t, "result");
        if (result != "valid") {
            return tl.check(!pub && pub.error() == errc::invalid_public_key, t,
                            "public key accepted");
        }
        if (!pub) return tl.check(false, t, "valid public key refused");
        const auto shared = key->agree(*pub);
        tl.check(shared && hex(*shared) == str(t, "shared"), t, "wrong shared secret");
    });
}

TEST_P(Wycheproof, X25519) {
    const provider p = GetParam();
    SEALED_REQUIRE_PRIMITIVE(p, primitive::x25519);
    tally tl("x25519_test.json", p);
    tl.acceptable_policy(
        "an all-zero shared secret (low-order point) must be refused with invalid_public_key; "
        "other acceptable cases (twist, non-canonical u, high bit set) must give the listed "
        "secret as RFC 7748 computes it");
    for_each_test(load("x25519_test.json"), [&](const json::object&, const json::object& t) {
        auto key = crypto::x25519_private_key::from_bytes(bin(t, "private"), p);
        auto pub = crypto::x25519_public_key::from_bytes(bin(t, "public"));
        if (!key) return tl.check(false, t, "private key refused");
        if (!pub) return tl.check(str(t, "result") == "invalid", t, "public key refused");
        const auto expected = bin(t, "shared");
        const auto shared = key->agree(*pub);
        const bool zero = std::all_of(expected.begin(), expected.end(), [](auto b) { return b == 0; });
        if (str(t, "result") == "invalid") return tl.check(!shared, t, "invalid vector accepted");
        if (zero) return tl.check(!shared && shared.error() == errc::invalid_public_key, t, "zero secret");
        tl.check(shared && std::equal(shared->begin(), shared->end(), expected.begin(), expected.end()),
                 t, "wrong shared secret");
    });
}

TEST_P(Wycheproof, HkdfSha256) {
    const provider p = GetParam();
    SEALED_REQUIRE_PRIMITIVE(p, primitive::hkdf_sha256);
    tally tl("hkdf_sha256_test.json", p);
    for_each_test(load("hkdf_sha256_test.json"), [&](const json::object&, const json::object& t) {
        sealed::bytes okm(static_cast<std::size_t>(t.at("size").as_int64()));
        const auto ec = crypto::hkdf_sha256(bin(t, "ikm"), bin(t, "salt"), bin(t, "info"), okm, p);
        if (str(t, "result") != "valid") return tl.check(ec == errc::invalid_argument, t, "accepted");
        tl.check(!ec && hex(okm) == str(t, "okm"), t, ec ? ec.message() : "wrong okm");
    });
}

TEST_P(Wycheproof, HmacSha256) {
    const provider p = GetParam();
    SEALED_REQUIRE_PRIMITIVE(p, primitive::hmac_sha256);
    tally tl("hmac_sha256_test.json", p);
    tl.acceptable_policy(
        "none in the file; truncated-tag groups are checked on the tag prefix, and "
        "hmac_sha256_verify must refuse every truncated tag (it takes full tags only)");
    for_each_test(load("hmac_sha256_test.json"), [&](const json::object&, const json::object& t) {
        const auto key = bin(t, "key"), msg = bin(t, "msg"), tag = bin(t, "tag");
        const auto mac = crypto::hmac_sha256(key, msg, p);
        const bool prefix_matches = tag.size() <= mac.size() && std::equal(tag.begin(), tag.end(), mac.begin());
        const bool verified = crypto::hmac_sha256_verify(key, msg, tag, p);
        const bool valid = str(t, "result") == "valid";
        const bool full = tag.size() == mac.size();
        tl.check(prefix_matches == valid && verified == (valid && full), t,
                 "tag mismatch or verify disagrees");
    });
}

TEST_P(Wycheproof, Ed25519) {
    const provider p = GetParam();
    SEALED_REQUIRE_PRIMITIVE(p, primitive::ed25519);
    tally tl("ed25519_test.json", p);
    tl.acceptable_policy("none in the file; every invalid signature (malleable S, wrong length, "
                         "non-canonical R or key) must be refused by every provider alike");
    for_each_test(load("ed25519_test.json"), [&](const json::object& g, const json::object& t) {
        const auto key = crypto::ed25519_public_key::from_bytes(
            unhex(std::string(g.at("publicKey").at("pk").as_string())));
        if (!key) return tl.check(false, t, "public key refused");
        const bool verified = key->verify(bin(t, "msg"), bin(t, "sig"), p);
        tl.check(verified == (str(t, "result") == "valid"), t, verified ? "invalid signature accepted"
                                                                        : "valid signature refused");
    });
}

// A key made from a seed signs what its public key verifies, and all providers derive the
// same public key and (Ed25519 is deterministic) the same signature.
TEST(Ed25519, ProvidersAgreeOnKeysAndSignatures) {
    const auto seed = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    const auto message = sealed::as_bytes("noise-libp2p-static-key:");
    std::vector<crypto::ed25519_signature> signatures;
    std::vector<sealed::bytes> publics;
    for (const auto p : crypto::compiled_providers()) {
        auto key = crypto::ed25519_private_key::from_seed(seed, p);
        ASSERT_TRUE(key) << crypto::to_string(p);
        const auto signature = key->sign(message);
        EXPECT_TRUE(key->public_key().verify(message, signature, p));
        auto tampered = signature;
        tampered[10] ^= 1;
        EXPECT_FALSE(key->public_key().verify(message, tampered, p));
        signatures.push_back(signature);
        const auto pub = key->public_key().bytes();
        publics.emplace_back(pub.begin(), pub.end());
    }
    for (std::size_t i = 1; i < signatures.size(); ++i) {
        EXPECT_EQ(signatures[i], signatures[0]);
        EXPECT_EQ(publics[i], publics[0]);
    }
    EXPECT_FALSE(crypto::ed25519_private_key::from_seed(sealed::bytes(31, 0)));
}

INSTANTIATE_TEST_SUITE_P(Providers, Wycheproof, sealed_test::all_providers(), sealed_test::provider_name);
