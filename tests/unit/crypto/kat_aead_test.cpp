// AEAD and Salsa20 known answers (RFC 8439, McGrew-Viega GCM, draft-irtf-cfrg-xchacha, an
// XSalsa20 vector), per provider, and the misuse the contract defines: tampering, truncation,
// in-place use.
#include <sealed/crypto/aead.hpp>
#include <sealed/crypto/random.hpp>
#include <sealed/crypto/stream.hpp>

#include "crypto_test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <tuple>
#include <vector>

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


const std::string_view sunscreen =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
    "sunscreen would be it.";

struct aead_vector {
    const char* name;
    aead_algorithm algorithm;
    sealed::bytes key, nonce, aad, plaintext;
    std::string_view sealed_hex;  // ciphertext ‖ tag
};

std::vector<aead_vector> aead_vectors() {
    const auto gcm_key = unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
    const auto gcm_pt = unhex(
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6"
        "b525b16aedf5aa0de657ba637b39");
    const auto sun = as_bytes(sunscreen);
    return {
        {"rfc8439_2_8_2", aead_algorithm::chacha20_poly1305, range_bytes(0x80, 0x9f),
         unhex("070000004041424344454647"), unhex("50515253c0c1c2c3c4c5c6c7"), {sun.begin(), sun.end()},
         "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92"
         "728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b"
         "4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
         "1ae10b594f09e26a7e902ecbd0600691"},
        {"gcm_test_case_16", aead_algorithm::aes256_gcm, gcm_key, unhex("cafebabefacedbaddecaf888"),
         unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2"), gcm_pt,
         "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b105682"
         "8838c5f61e6393ba7a0abcc9f662"
         "76fc6ece0f4e1768cddf8853bb2d551b"},
        {"gcm_test_case_14", aead_algorithm::aes256_gcm, sealed::bytes(32), sealed::bytes(12), {},
         sealed::bytes(16), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"},
        {"xchacha_a_3_1", aead_algorithm::xchacha20_poly1305, range_bytes(0x80, 0x9f),
         range_bytes(0x40, 0x57), unhex("50515253c0c1c2c3c4c5c6c7"), {sun.begin(), sun.end()},
         "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda"
         "7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b23835"
         "65d3fff921f9664c97637da9768812f615c68b13b52e"
         "c0875924c1c7987947deafd8780acf49"},
    };
}

class AeadKat : public testing::TestWithParam<provider> {};

using aead_param = std::tuple<provider, aead_algorithm>;
class AeadMisuse : public testing::TestWithParam<aead_param> {
protected:
    void SetUp() override {
        const auto [p, a] = GetParam();
        if (!crypto::provides(p, crypto::to_primitive(a)))
            GTEST_SKIP() << crypto::to_string(p) << " lacks " << crypto::to_string(crypto::to_primitive(a));
        auto c = crypto::aead::create(a, key_, p);
        ASSERT_TRUE(c) << c.error().message();
        cipher_.emplace(std::move(*c));
        nonce_.assign(cipher_->nonce_size(), 0x24);
        sealed_.resize(plaintext_.size() + crypto::aead::tag_size);
        ASSERT_FALSE(cipher_->seal(nonce_, aad_, plaintext_, sealed_));
    }
    // Opens `input` and checks it fails with decrypt_failed and leaves an all-zero output.
    void expect_refused(sealed::const_bytes aad, sealed::const_bytes input) {
        sealed::bytes out(input.size() >= 16 ? input.size() - 16 : 8, 0xaa);
        EXPECT_EQ(cipher_->open(nonce_, aad, input, out), errc::decrypt_failed);
        EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](auto b) { return b == 0; }));
    }

    sealed::bytes key_ = sealed::bytes(32, 0x42);
    sealed::bytes aad_ = unhex("a0a1a2a3");
    sealed::bytes plaintext_ = sealed::bytes(100, 0x5a);
    sealed::bytes nonce_, sealed_;
    std::optional<crypto::aead> cipher_;
};

std::string aead_param_name(const testing::TestParamInfo<aead_param>& info) {
    return std::string(crypto::to_string(std::get<0>(info.param))) + "_" +
           std::string(crypto::to_string(crypto::to_primitive(std::get<1>(info.param))));
}

}  // namespace

TEST_P(AeadKat, Vectors) {
    for (const auto& v : aead_vectors()) {
        SCOPED_TRACE(v.name);
        if (!crypto::provides(GetParam(), crypto::to_primitive(v.algorithm))) {
            EXPECT_EQ(crypto::aead::create(v.algorithm, v.key, GetParam()).error(),
                      errc::unsupported_algorithm);
            continue;
        }
        auto c = crypto::aead::create(v.algorithm, v.key, GetParam());
        ASSERT_TRUE(c);
        EXPECT_EQ(c->which(), GetParam());
        sealed::bytes out(v.plaintext.size() + crypto::aead::tag_size);
        ASSERT_FALSE(c->seal(v.nonce, v.aad, v.plaintext, out));
        EXPECT_EQ(hex(out), v.sealed_hex);
        sealed::bytes back(v.plaintext.size());
        ASSERT_FALSE(c->open(v.nonce, v.aad, unhex(v.sealed_hex), back));
        EXPECT_EQ(back, v.plaintext);
    }
}

TEST(AeadConvenience, SealOpenWithDefaultProvider) {
    for (const auto& v : aead_vectors()) {
        if (v.nonce.size() != 12 && v.nonce.size() != 24) continue;
        auto s = crypto::aead_seal(v.algorithm, v.key, v.nonce, v.aad, v.plaintext);
        ASSERT_TRUE(s) << v.name;
        EXPECT_EQ(hex(*s), v.sealed_hex);
        auto o = crypto::aead_open(v.algorithm, v.key, v.nonce, v.aad, *s);
        ASSERT_TRUE(o);
        EXPECT_EQ(*o, v.plaintext);
        (*s)[0] ^= 1;
        EXPECT_EQ(crypto::aead_open(v.algorithm, v.key, v.nonce, v.aad, *s).error(), errc::decrypt_failed);
        EXPECT_EQ(crypto::aead_open(v.algorithm, v.key, v.nonce, v.aad, {s->data(), 15}).error(),
                  errc::decrypt_failed);
    }
}

TEST_P(AeadMisuse, TamperedInputIsRefusedAndOutputZeroed) {
    auto flipped = [&](std::size_t i) {
        auto s = sealed_;
        s[i] ^= 0x01;
        return s;
    };
    expect_refused(aad_, flipped(0));                    // ciphertext
    expect_refused(aad_, flipped(plaintext_.size() - 1));
    expect_refused(aad_, flipped(sealed_.size() - 1));   // tag
    auto bad_aad = aad_;
    bad_aad[2] ^= 0x80;
    expect_refused(bad_aad, sealed_);
    expect_refused({}, sealed_);
    expect_refused(aad_, {sealed_.data(), sealed_.size() - 1});  // truncated
    expect_refused(aad_, {sealed_.data() + 1, sealed_.size() - 1});
    expect_refused(aad_, {sealed_.data(), 15});                  // shorter than the tag
    expect_refused(aad_, {});
    // The object still works after failures.
    sealed::bytes out(plaintext_.size());
    ASSERT_FALSE(cipher_->open(nonce_, aad_, sealed_, out));
    EXPECT_EQ(out, plaintext_);
}

TEST_P(AeadMisuse, InPlaceSealAndOpen) {
    for (const std::size_t n : {0u, 1u, 15u, 16u, 63u, 64u, 65u, 1000u}) {
        sealed::bytes buf(n + crypto::aead::tag_size);
        for (std::size_t i = 0; i < n; ++i) buf[i] = static_cast<sealed::byte>(i * 7);
        const sealed::bytes pt(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
        sealed::bytes separate(buf.size());
        ASSERT_FALSE(cipher_->seal(nonce_, aad_, pt, separate));
        ASSERT_FALSE(cipher_->seal(nonce_, aad_, {buf.data(), n}, buf));
        EXPECT_EQ(buf, separate) << n;
        ASSERT_FALSE(cipher_->open(nonce_, aad_, buf, {buf.data(), n}));
        EXPECT_TRUE(std::equal(pt.begin(), pt.end(), buf.begin())) << n;
    }
}

TEST_P(AeadMisuse, ReleasedContextIsRebuiltFromTheKey) {
    const auto [p, a] = GetParam();
    auto fresh = crypto::aead::create(a, key_, p);
    ASSERT_TRUE(fresh);
    EXPECT_FALSE(fresh->holds_context()) << "the context is built by the first seal or open";
    EXPECT_TRUE(cipher_->holds_context());
    cipher_->release_context();
    EXPECT_FALSE(cipher_->holds_context());
    sealed::bytes out(plaintext_.size());
    ASSERT_FALSE(cipher_->open(nonce_, aad_, sealed_, out));
    EXPECT_EQ(out, plaintext_);
    EXPECT_TRUE(cipher_->holds_context());
    cipher_->release_context();
    sealed::bytes again(sealed_.size());
    ASSERT_FALSE(cipher_->seal(nonce_, aad_, plaintext_, again));
    EXPECT_EQ(again, sealed_);
    // Moved from: unkeyed, and says so rather than sealing with a wiped key.
    crypto::aead moved = std::move(*cipher_);
    EXPECT_EQ(cipher_->seal(nonce_, aad_, plaintext_, again), errc::invalid_key);
    EXPECT_EQ(cipher_->open(nonce_, aad_, sealed_, out), errc::invalid_key);
    EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](auto b) { return b == 0; }));
    ASSERT_FALSE(moved.open(nonce_, aad_, sealed_, out));
    EXPECT_EQ(out, plaintext_);
}

TEST_P(AeadMisuse, RefusesBadSizes) {
    const auto [p, a] = GetParam();
    EXPECT_EQ(crypto::aead::create(a, sealed::bytes(16), p).error(), errc::invalid_key);
    sealed::bytes out(plaintext_.size() + 16);
    const sealed::bytes bad_nonce(a == aead_algorithm::aes256_gcm ? 0 : 16);
    EXPECT_EQ(cipher_->seal(bad_nonce, aad_, plaintext_, out), errc::invalid_argument);
    EXPECT_EQ(cipher_->seal(nonce_, aad_, plaintext_, {out.data(), out.size() - 1}),
              errc::invalid_argument);
    sealed::bytes opened(plaintext_.size());
    EXPECT_EQ(cipher_->open(bad_nonce, aad_, sealed_, opened), errc::invalid_argument);
    EXPECT_EQ(cipher_->open(nonce_, aad_, sealed_, {opened.data(), opened.size() - 1}),
              errc::invalid_argument);
    // Partial overlap of input and output is refused rather than silently corrupted.
    sealed::bytes buf(plaintext_.size() + 32);
    EXPECT_EQ(cipher_->seal(nonce_, aad_, {buf.data() + 1, plaintext_.size()},
                            {buf.data(), plaintext_.size() + 16}),
              errc::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Providers, AeadKat, sealed_test::all_providers(), sealed_test::provider_name);
INSTANTIATE_TEST_SUITE_P(
    Providers, AeadMisuse,
    testing::Combine(sealed_test::all_providers(),
                     testing::Values(aead_algorithm::aes256_gcm, aead_algorithm::chacha20_poly1305,
                                     aead_algorithm::xchacha20_poly1305)),
    aead_param_name);

// --- Salsa20 ----------------------------------------------------------------------------------

namespace {

class Salsa20 : public testing::TestWithParam<provider> {};

std::vector<provider> salsa20_providers() {
    std::vector<provider> out;
    for (const auto p : crypto::compiled_providers())
        if (crypto::provides(p, primitive::salsa20)) out.push_back(p);
    return out;
}

}  // namespace

TEST_P(Salsa20, XSalsa20Vector) {
    auto s = crypto::salsa20::create(range_bytes(0x00, 0x1f), range_bytes(0x00, 0x17), GetParam());
    ASSERT_TRUE(s);
    auto data = unhex("132f6d756c746973747265616d2f312e302e300a");
    s->apply(data);
    EXPECT_EQ(hex(data), "6f990ddab1eaaf35fb25b80c491cc81a18d3b2c7");
}

TEST_P(Salsa20, ChunkedEqualsWhole) {
    std::mt19937 rng(20240611);
    for (const std::size_t nonce_size : {8u, 24u}) {
        const sealed::bytes key(32, 0x11), nonce(nonce_size, 0x22);
        sealed::bytes input(5000);
        for (auto& b : input) b = static_cast<sealed::byte>(rng());
        sealed::bytes whole(input.size());
        auto a = crypto::salsa20::create(key, nonce, GetParam());
        ASSERT_TRUE(a);
        a->apply(input, whole);
        for (int round = 0; round < 20; ++round) {
            auto b = crypto::salsa20::create(key, nonce, GetParam());
            ASSERT_TRUE(b);
            sealed::bytes chunked = input;
            for (std::size_t at = 0; at < chunked.size();) {
                const std::size_t n = std::min<std::size_t>(rng() % 200, chunked.size() - at);
                b->apply({chunked.data() + at, n});
                at += n;
            }
            ASSERT_EQ(chunked, whole) << "nonce " << nonce_size << " round " << round;
        }
        // Applying twice from the start decrypts.
        auto c = crypto::salsa20::create(key, nonce, GetParam());
        c->apply(whole);
        EXPECT_EQ(whole, input);
    }
}

TEST_P(Salsa20, RefusesBadSizes) {
    const provider p = GetParam();
    EXPECT_EQ(crypto::salsa20::create(sealed::bytes(16), sealed::bytes(8), p).error(), errc::invalid_key);
    EXPECT_EQ(crypto::salsa20::create(sealed::bytes(32), sealed::bytes(12), p).error(), errc::invalid_argument);
    EXPECT_EQ(crypto::salsa20::create(sealed::bytes(32), sealed::bytes(0), p).error(), errc::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Providers, Salsa20, testing::ValuesIn(salsa20_providers()), sealed_test::provider_name);
