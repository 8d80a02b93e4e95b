// Known-answer tests from the RFCs for the hashes, HKDF and the key agreements, run against
// every compiled provider, plus the refusals the contract promises (invalid P-256 points and
// scalars, low-order X25519 points). AEAD and Salsa20 are in kat_aead_test.cpp.
#include <sealed/crypto/aead.hpp>
#include <sealed/crypto/ecdh.hpp>
#include <sealed/crypto/hash.hpp>
#include <sealed/crypto/kdf.hpp>
#include <sealed/crypto/random.hpp>
#include <sealed/crypto/stream.hpp>

#include "crypto_test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>

namespace crypto = sealed::crypto;
using crypto::aead_algorithm;
using crypto::primitive;
using crypto::provider;
using sealed::as_bytes;
using sealed::errc;
using sealed_test::hex;
using sealed_test::unhex;
using sealed_test::range_bytes;

namespace {


class Kat : public testing::TestWithParam<provider> {};

}  // namespace

TEST(Providers, DefaultsProvideTheirPrimitiveAndBotanIsAlwaysThere) {
    const auto ps = crypto::compiled_providers();
    EXPECT_NE(std::find(ps.begin(), ps.end(), provider::botan), ps.end());
    for (int i = 0; i <= static_cast<int>(primitive::ed25519); ++i) {
        const auto what = static_cast<primitive>(i);
        EXPECT_TRUE(crypto::provides(crypto::default_provider(what), what)) << crypto::to_string(what);
        EXPECT_TRUE(crypto::provides(provider::botan, what));
    }
    EXPECT_FALSE(crypto::provides(provider::openssl, primitive::xchacha20_poly1305));
    EXPECT_FALSE(crypto::provides(provider::openssl, primitive::salsa20));
    EXPECT_EQ(crypto::to_primitive(aead_algorithm::chacha20_poly1305), primitive::chacha20_poly1305);
}

// libsodium is listed exactly when the build found it (SEALED_TEST_HAVE_LIBSODIUM mirrors the
// framework's SEALED_HAVE_LIBSODIUM_PROVIDER), and provides what libsodium 1.0.18 has.
TEST(Providers, LibsodiumIsReportedAsBuilt) {
    const auto ps = crypto::compiled_providers();
    const bool listed = std::find(ps.begin(), ps.end(), provider::libsodium) != ps.end();
    EXPECT_EQ(crypto::to_string(provider::libsodium), "libsodium");
#if defined(SEALED_TEST_HAVE_LIBSODIUM)
    ASSERT_TRUE(listed);
    for (const auto what : {primitive::random, primitive::sha256, primitive::hmac_sha256, primitive::hkdf_sha256,
                            primitive::x25519, primitive::chacha20_poly1305, primitive::xchacha20_poly1305,
                            primitive::salsa20, primitive::ed25519})
        EXPECT_TRUE(crypto::provides(provider::libsodium, what)) << crypto::to_string(what);
    EXPECT_FALSE(crypto::provides(provider::libsodium, primitive::p256));
    EXPECT_EQ(crypto::p256_private_key::from_scalar(sealed::bytes(32, 1), provider::libsodium).error(),
              errc::unsupported_algorithm);
    // AES-256-GCM depends on the CPU; whichever provides() says, aead::create agrees.
    const auto gcm = crypto::aead::create(aead_algorithm::aes256_gcm, sealed::bytes(32), provider::libsodium);
    EXPECT_EQ(static_cast<bool>(gcm), crypto::provides(provider::libsodium, primitive::aes256_gcm));
#else
    EXPECT_FALSE(listed);
    for (int i = 0; i <= static_cast<int>(primitive::ed25519); ++i)
        EXPECT_FALSE(crypto::provides(provider::libsodium, static_cast<primitive>(i)));
    EXPECT_EQ(crypto::salsa20::create(sealed::bytes(32), sealed::bytes(8), provider::libsodium).error(),
              errc::unsupported_algorithm);
#endif
}

TEST(Random, FillsAndDiffers) {
    const auto a = crypto::random_array<32>();
    const auto b = crypto::random_array<32>();
    EXPECT_NE(a, b);
    crypto::random_bytes({});  // empty is fine
}

TEST_P(Kat, Sha256) {
    SEALED_REQUIRE_PRIMITIVE(GetParam(), primitive::sha256);
    EXPECT_EQ(hex(crypto::sha256(as_bytes("abc"), GetParam())),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hex(crypto::sha256(sealed::const_bytes{}, GetParam())),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(crypto::sha256({as_bytes("a"), as_bytes(""), as_bytes("bc")}, GetParam()),
              crypto::sha256(as_bytes("abc"), GetParam()));
}

TEST_P(Kat, HmacSha256Rfc4231Case2) {
    SEALED_REQUIRE_PRIMITIVE(GetParam(), primitive::hmac_sha256);
    const auto key = as_bytes("Jefe");
    const auto msg = as_bytes("what do ya want for nothing?");
    const auto tag = crypto::hmac_sha256(key, msg, GetParam());
    EXPECT_EQ(hex(tag), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    EXPECT_TRUE(crypto::hmac_sha256_verify(key, msg, tag, GetParam()));
    EXPECT_FALSE(crypto::hmac_sha256_verify(key, msg, {tag.data(), 16}, GetParam()));
    auto bad = tag;
    bad[31] ^= 1;
    EXPECT_FALSE(crypto::hmac_sha256_verify(key, msg, bad, GetParam()));
}

TEST_P(Kat, HkdfSha256Rfc5869) {
    SEALED_REQUIRE_PRIMITIVE(GetParam(), primitive::hkdf_sha256);
    struct vec {
        sealed::bytes ikm, salt, info;
        std::string_view okm;
    };
    const vec cases[] = {
        {sealed::bytes(22, 0x0b), range_bytes(0x00, 0x0c), range_bytes(0xf0, 0xf9),
         "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
        {range_bytes(0x00, 0x4f), range_bytes(0x60, 0xaf), range_bytes(0xb0, 0xff),
         "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c6"
         "5e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
        {sealed::bytes(22, 0x0b), {}, {},
         "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
    };
    for (const auto& c : cases) {
        sealed::bytes okm(c.okm.size() / 2);
        ASSERT_FALSE(crypto::hkdf_sha256(c.ikm, c.salt, c.info, okm, GetParam()));
        EXPECT_EQ(hex(okm), c.okm);
    }
    sealed::bytes none, too_long(255 * 32 + 1), longest(255 * 32);
    EXPECT_EQ(crypto::hkdf_sha256(cases[0].ikm, {}, {}, none, GetParam()), errc::invalid_argument);
    EXPECT_EQ(crypto::hkdf_sha256(cases[0].ikm, {}, {}, too_long, GetParam()), errc::invalid_argument);
    EXPECT_FALSE(crypto::hkdf_sha256(cases[0].ikm, {}, {}, longest, GetParam()));
}

TEST(Shake128, KnownAnswers) {
    sealed::bytes out(32);
    crypto::shake128({}, out);
    EXPECT_EQ(hex(out), "7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26");
    crypto::shake128(as_bytes("abc"), out);
    EXPECT_EQ(hex(out), "5881092dd818bf5cf8a3ddb793fbcba74097d5c526a6d35f97b83351940f2cc8");
}

// --- X25519 -----------------------------------------------------------------------------------

namespace {

std::string x25519(std::string_view scalar, std::string_view u, provider p) {
    auto k = crypto::x25519_private_key::from_bytes(unhex(scalar), p);
    auto pub = crypto::x25519_public_key::from_bytes(unhex(u));
    if (!k || !pub) return "<bad input>";
    auto s = k->agree(*pub);
    return s ? hex(*s) : s.error().message();
}

}  // namespace

TEST_P(Kat, X25519Rfc7748Section5_2) {
    const provider p = GetParam();
    SEALED_REQUIRE_PRIMITIVE(p, primitive::x25519);
    EXPECT_EQ(x25519("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                     "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", p),
              "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
    EXPECT_EQ(x25519("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                     "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493", p),
              "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
    // The iterated test: k, u = X25519(k, u), k starting from the base point.
    std::string k = "0900000000000000000000000000000000000000000000000000000000000000", u = k;
    for (int i = 1; i <= 1000; ++i) {
        std::string next = x25519(k, u, p);
        u = std::exchange(k, std::move(next));
        if (i == 1) {
            EXPECT_EQ(k, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
        }
    }
    EXPECT_EQ(k, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

TEST_P(Kat, X25519Rfc7748Section6_1) {
    const provider p = GetParam();
    SEALED_REQUIRE_PRIMITIVE(p, primitive::x25519);
    const auto alice_raw = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    auto alice = crypto::x25519_private_key::from_bytes(alice_raw, p);
    auto bob = crypto::x25519_private_key::from_bytes(
        unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"), p);
    ASSERT_TRUE(alice && bob);
    EXPECT_EQ(alice->which(), p);
    EXPECT_EQ(hex(alice->public_key().bytes()),
              "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    EXPECT_EQ(hex(bob->public_key().bytes()),
              "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    const auto ab = alice->agree(bob->public_key());
    const auto ba = bob->agree(alice->public_key());
    ASSERT_TRUE(ab && ba);
    EXPECT_EQ(hex(*ab), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    EXPECT_EQ(*ab, *ba);
    const auto exported = alice->private_bytes();
    EXPECT_TRUE(std::equal(exported.begin(), exported.end(), alice_raw.begin(), alice_raw.end()));
}

TEST_P(Kat, X25519RefusesLowOrderPointsAndBadSizes) {
    const provider p = GetParam();
    SEALED_REQUIRE_PRIMITIVE(p, primitive::x25519);
    const auto key = crypto::x25519_private_key::generate(p);
    for (const std::string_view low_order : {
             "0000000000000000000000000000000000000000000000000000000000000000",
             "0100000000000000000000000000000000000000000000000000000000000000",
             "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
             "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // p - 1
         }) {
        const auto pub = crypto::x25519_public_key::from_bytes(unhex(low_order));
        ASSERT_TRUE(pub);
        EXPECT_EQ(key.agree(*pub).error(), errc::invalid_public_key) << low_order;
    }
    EXPECT_EQ(crypto::x25519_public_key::from_bytes(sealed::bytes(31)).error(), errc::invalid_public_key);
    EXPECT_EQ(crypto::x25519_private_key::from_bytes(sealed::bytes(33), p).error(), errc::invalid_key);
    const auto other = crypto::x25519_private_key::generate(p);
    EXPECT_EQ(*key.agree(other.public_key()), *other.agree(key.public_key()));
}

// --- P-256 ------------------------------------------------------------------------------------

namespace {

// RFC 5903 §8.1.
constexpr std::string_view rfc5903_i = "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433";
constexpr std::string_view rfc5903_gi =
    "04dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c37725811805271a0461cdb8252d61f1c456fa3e59"
    "ab1f45b33accf5f58389e0577b8990bb3";
constexpr std::string_view rfc5903_r = "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53";
constexpr std::string_view rfc5903_gr =
    "04d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf6356fbf3ca366cc23e8157854c13c58d6"
    "aac23f046ada30f8353e74f33039872ab";
constexpr std::string_view rfc5903_girx =
    "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de";

}  // namespace

TEST_P(Kat, P256Rfc5903) {
    const provider p = GetParam();
    SEALED_REQUIRE_PRIMITIVE(p, primitive::p256);
    auto i = crypto::p256_private_key::from_scalar(unhex(rfc5903_i), p);
    auto r = crypto::p256_private_key::from_scalar(unhex(rfc5903_r), p);
    ASSERT_TRUE(i && r);
    EXPECT_EQ(hex(i->public_key().bytes()), rfc5903_gi);
    EXPECT_EQ(hex(r->public_key().bytes()), rfc5903_gr);
    auto gr = crypto::p256_public_key::from_sec1(unhex(rfc5903_gr), p);
    ASSERT_TRUE(gr);
    EXPECT_EQ(*gr, r->public_key());
    const auto ir = i->agree(*gr);
    const auto ri = r->agree(i->public_key());
    ASSERT_TRUE(ir && ri);
    EXPECT_EQ(hex(*ir), rfc5903_girx);
    EXPECT_EQ(hex(*ri), rfc5903_girx);
    EXPECT_EQ(hex(i->scalar()), rfc5903_i);
}

TEST_P(Kat, P256GeneratedKeysAgree) {
    const provider p = GetParam();
    SEALED_REQUIRE_PRIMITIVE(p, primitive::p256);
    const auto a = crypto::p256_private_key::generate(p);
    const auto b = crypto::p256_private_key::generate(p);
    EXPECT_EQ(a.which(), p);
    EXPECT_NE(a.public_key(), b.public_key());
    EXPECT_EQ(*a.agree(b.public_key()), *b.agree(a.public_key()));
    EXPECT_TRUE(crypto::p256_public_key::from_sec1(a.public_key().bytes(), p));
}

TEST_P(Kat, P256RefusesInvalidPoints) {
    const provider p = GetParam();
    SEALED_REQUIRE_PRIMITIVE(p, primitive::p256);
    const auto valid = unhex(rfc5903_gi);
    auto off_curve = valid;
    off_curve[64] ^= 1;
    auto compressed_prefix = valid;
    compressed_prefix[0] = 0x02;
    auto hybrid = valid;
    hybrid[0] = 0x06;
    sealed::bytes compressed(valid.begin(), valid.begin() + 33);
    compressed[0] = 0x03;
    sealed::bytes zero_point(65);
    zero_point[0] = 0x04;
    const sealed::bytes cases[] = {
        off_curve,         compressed_prefix, hybrid, compressed, sealed::bytes(65),
        zero_point,        sealed::bytes{0x00},  // the SEC1 encoding of infinity
        sealed::bytes(valid.begin(), valid.end() - 1),
        [&] { auto v = valid; v.push_back(0); return v; }(),
        {},
    };
    for (const auto& c : cases)
        EXPECT_EQ(crypto::p256_public_key::from_sec1(c, p).error(), errc::invalid_public_key)
            << hex(c);
}

TEST_P(Kat, P256RefusesScalarsOutOfRange) {
    const provider p = GetParam();
    SEALED_REQUIRE_PRIMITIVE(p, primitive::p256);
    const auto n = unhex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    auto n_minus_1 = n;
    n_minus_1[31] -= 1;
    auto n_plus_1 = n;
    n_plus_1[31] += 1;
    EXPECT_EQ(crypto::p256_private_key::from_scalar(sealed::bytes(32), p).error(), errc::invalid_key);
    EXPECT_EQ(crypto::p256_private_key::from_scalar(n, p).error(), errc::invalid_key);
    EXPECT_EQ(crypto::p256_private_key::from_scalar(n_plus_1, p).error(), errc::invalid_key);
    EXPECT_EQ(crypto::p256_private_key::from_scalar(sealed::bytes(32, 0xff), p).error(), errc::invalid_key);
    EXPECT_EQ(crypto::p256_private_key::from_scalar(sealed::bytes(31, 1), p).error(), errc::invalid_key);
    sealed::bytes one(32);
    one[31] = 1;
    auto k1 = crypto::p256_private_key::from_scalar(one, p);
    auto kn1 = crypto::p256_private_key::from_scalar(n_minus_1, p);
    ASSERT_TRUE(k1 && kn1);
    // 1·G is the base point; (n-1)·G is its negation (same x).
    EXPECT_EQ(hex(k1->public_key().bytes()).substr(0, 66),
              "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
    EXPECT_EQ(hex(kn1->public_key().bytes()).substr(0, 66), hex(k1->public_key().bytes()).substr(0, 66));
}

INSTANTIATE_TEST_SUITE_P(Providers, Kat, sealed_test::all_providers(), sealed_test::provider_name);
