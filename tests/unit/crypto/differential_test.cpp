// Botan against each other compiled provider (OpenSSL, libsodium) on pseudo-random inputs (fixed
// seed, so failures reproduce): where both provide a primitive they must agree byte for byte,
// and keys must interoperate both ways.
#include <sealed/crypto/aead.hpp>
#include <sealed/crypto/ecdh.hpp>
#include <sealed/crypto/hash.hpp>
#include <sealed/crypto/kdf.hpp>
#include <sealed/crypto/sign.hpp>
#include <sealed/crypto/stream.hpp>

#include "crypto_test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace crypto = sealed::crypto;
using crypto::aead_algorithm;
using crypto::primitive;
using crypto::provider;
using sealed_test::hex;

namespace {

constexpr provider A = provider::botan;
constexpr int iterations = 300;

// Botan (A) against the provider under test (B).
class Differential : public testing::TestWithParam<provider> {
protected:
    const provider B = GetParam();

    bool both_provide(primitive what) const {
        return crypto::provides(A, what) && crypto::provides(B, what);
    }
    // Sizes favour the edges (0, block boundaries) as well as the whole range.
    std::size_t size(std::size_t max) {
        switch (rng_() % 4) {
        case 0: return std::min<std::size_t>(rng_() % 4, max);
        case 1: return std::min<std::size_t>(16 * (rng_() % 8) + rng_() % 3, max);
        default: return rng_() % (max + 1);
        }
    }
    sealed::bytes random(std::size_t n) {
        sealed::bytes b(n);
        for (auto& x : b) x = static_cast<sealed::byte>(rng_());
        return b;
    }

    // Seals with both providers (identical output) and opens each one's output with the other.
    // vary_nonce: now and then a GCM nonce of another size than 12 (as the test vectors use).
    void compare_aead(aead_algorithm alg, std::size_t nonce_size, bool vary_nonce = false) {
        for (int i = 0; i < iterations; ++i) {
            const auto key = random(32);
            const auto nonce = random(vary_nonce && i % 10 == 0 ? 1 + rng_() % 64 : nonce_size);
            const auto aad = random(size(100));
            const auto pt = random(size(4096));
            auto a = crypto::aead::create(alg, key, A);
            auto b = crypto::aead::create(alg, key, B);
            ASSERT_TRUE(a && b);
            sealed::bytes sa(pt.size() + 16), sb(sa.size());
            ASSERT_FALSE(a->seal(nonce, aad, pt, sa));
            ASSERT_FALSE(b->seal(nonce, aad, pt, sb));
            ASSERT_EQ(hex(sa), hex(sb)) << i << " nonce " << nonce.size() << " pt " << pt.size();
            sealed::bytes oa(pt.size()), ob(pt.size());
            ASSERT_FALSE(a->open(nonce, aad, sb, oa));
            ASSERT_FALSE(b->open(nonce, aad, sa, ob));
            ASSERT_EQ(oa, pt);
            ASSERT_EQ(ob, pt);
        }
    }

    std::mt19937_64 rng_{0x5ea1edULL};
};

#define SEALED_REQUIRE_BOTH(what)                                                          \
    do {                                                                                   \
        if (!both_provide(what))                                                           \
            GTEST_SKIP() << "needs both providers of " << crypto::to_string(what);         \
    } while (false)

}  // namespace

TEST_P(Differential, Sha256) {
    SEALED_REQUIRE_BOTH(primitive::sha256);
    for (int i = 0; i < iterations; ++i) {
        const auto data = random(size(4096));
        ASSERT_EQ(crypto::sha256(data, A), crypto::sha256(data, B)) << i;
        const auto split = data.size() / 3;
        const sealed::const_bytes head(data.data(), split), tail(data.data() + split, data.size() - split);
        ASSERT_EQ(crypto::sha256({head, tail}, A), crypto::sha256(data, B)) << i;
    }
}

// The counter-mode stream against its definition, one SHA-256 (Botan's) per 32-byte block.
TEST_P(Differential, Sha256CounterXorIsOneDigestPerBlock) {
    for (int i = 0; i < iterations; ++i) {
        const auto prefix = random(i % 3 == 0 ? 24 : size(64));
        const auto data = random(i < 6 ? std::size_t(i * 16) : size(2048));
        auto streamed = data;
        crypto::sha256_counter_xor(prefix, streamed);
        auto expected = data;
        for (std::size_t block = 0; block * 32 < expected.size(); ++block) {
            std::array<sealed::byte, 8> counter{};
            for (int b = 0; b < 8; ++b) counter[7 - b] = static_cast<sealed::byte>(block >> (8 * b));
            const auto digest = crypto::sha256({prefix, counter}, A);
            for (std::size_t k = 0; k < 32 && block * 32 + k < expected.size(); ++k) expected[block * 32 + k] ^= digest[k];
        }
        ASSERT_EQ(streamed, expected) << i;
        crypto::sha256_counter_xor(prefix, streamed);
        ASSERT_EQ(streamed, data) << "applying it twice restores the input";
    }
}

TEST_P(Differential, HmacSha256) {
    SEALED_REQUIRE_BOTH(primitive::hmac_sha256);
    for (int i = 0; i < iterations; ++i) {
        // Keys around the 64-byte block size and, now and then, beyond Botan's 4096-byte limit.
        const auto key = random(i % 50 == 0 ? 4096 + size(200) : size(150));
        const auto msg = random(size(4096));
        const auto tag = crypto::hmac_sha256(key, msg, A);
        ASSERT_EQ(hex(tag), hex(crypto::hmac_sha256(key, msg, B))) << i << " key " << key.size();
        ASSERT_TRUE(crypto::hmac_sha256_verify(key, msg, tag, B));
    }
}

TEST_P(Differential, HkdfSha256) {
    SEALED_REQUIRE_BOTH(primitive::hkdf_sha256);
    for (int i = 0; i < iterations; ++i) {
        const auto ikm = random(size(100));
        const auto salt = random(i % 50 == 0 ? 4096 + size(100) : size(100));
        // Info beyond 1024 bytes takes OpenSSL's long-info path.
        const auto info = random(size(2000));
        sealed::bytes a(1 + size(255 * 32 - 1)), b(a.size());
        ASSERT_FALSE(crypto::hkdf_sha256(ikm, salt, info, a, A));
        ASSERT_FALSE(crypto::hkdf_sha256(ikm, salt, info, b, B));
        ASSERT_EQ(hex(a), hex(b)) << i << " ikm " << ikm.size() << " salt " << salt.size()
                                  << " info " << info.size() << " out " << a.size();
    }
}


TEST_P(Differential, Aes256GcmSealAndOpen) {
    SEALED_REQUIRE_BOTH(primitive::aes256_gcm);
    // libsodium's AES-GCM takes 12-byte nonces only.
    compare_aead(aead_algorithm::aes256_gcm, 12, B != provider::libsodium);
}

TEST_P(Differential, ChaCha20Poly1305SealAndOpen) {
    SEALED_REQUIRE_BOTH(primitive::chacha20_poly1305);
    compare_aead(aead_algorithm::chacha20_poly1305, 12);
}

TEST_P(Differential, XChaCha20Poly1305SealAndOpen) {
    SEALED_REQUIRE_BOTH(primitive::xchacha20_poly1305);
    compare_aead(aead_algorithm::xchacha20_poly1305, 24);
}

// Both nonce sizes, with the data applied in random chunks on each side (the keystream
// continues across calls).
TEST_P(Differential, Salsa20Keystreams) {
    SEALED_REQUIRE_BOTH(primitive::salsa20);
    for (int i = 0; i < iterations; ++i) {
        const auto key = random(32), nonce = random(i % 2 == 0 ? 8 : 24);
        const auto data = random(size(3000));
        auto a = crypto::salsa20::create(key, nonce, A);
        auto b = crypto::salsa20::create(key, nonce, B);
        ASSERT_TRUE(a && b);
        auto out_a = data, out_b = data;
        for (std::size_t at = 0; at < data.size();) {
            const std::size_t n = std::min<std::size_t>(size(300), data.size() - at);
            a->apply({out_a.data() + at, n});
            at += n;
        }
        b->apply(out_b);
        ASSERT_EQ(hex(out_a), hex(out_b)) << i << " nonce " << nonce.size() << " size " << data.size();
    }
}

// Deterministic signatures: the same seed gives the same key and signature, and each verifies
// the other's; a corrupted signature or message is refused by both.
TEST_P(Differential, Ed25519SignAndVerify) {
    SEALED_REQUIRE_BOTH(primitive::ed25519);
    for (int i = 0; i < iterations; ++i) {
        const auto seed = random(32), msg = random(size(500));
        auto ka = crypto::ed25519_private_key::from_seed(seed, A);
        auto kb = crypto::ed25519_private_key::from_seed(seed, B);
        ASSERT_TRUE(ka && kb);
        ASSERT_EQ(ka->public_key(), kb->public_key()) << i;
        const auto sa = ka->sign(msg), sb = kb->sign(msg);
        ASSERT_EQ(hex(sa), hex(sb)) << i;
        ASSERT_TRUE(ka->public_key().verify(msg, sb, B));
        ASSERT_TRUE(kb->public_key().verify(msg, sa, A));
        auto bad = sa;
        bad[rng_() % 64] ^= static_cast<sealed::byte>(1u << (rng_() % 8));
        ASSERT_EQ(ka->public_key().verify(msg, bad, A), ka->public_key().verify(msg, bad, B)) << hex(bad);
        // Random bytes as a public key: either both refuse or both give the same answer.
        const auto other = crypto::ed25519_public_key::from_bytes(random(32));
        ASSERT_EQ(other->verify(msg, sa, A), other->verify(msg, sa, B));
    }
}

TEST_P(Differential, P256CrossProviderAgreementAndScalarRoundTrip) {
    SEALED_REQUIRE_BOTH(primitive::p256);
    for (int i = 0; i < 40; ++i) {
        const auto ka = crypto::p256_private_key::generate(A);
        const auto kb = crypto::p256_private_key::generate(B);
        // Each side parses the other's public key with its own provider.
        auto pub_b_in_a = crypto::p256_public_key::from_sec1(kb.public_key().bytes(), A);
        auto pub_a_in_b = crypto::p256_public_key::from_sec1(ka.public_key().bytes(), B);
        ASSERT_TRUE(pub_b_in_a && pub_a_in_b);
        const auto ab = ka.agree(*pub_b_in_a);
        const auto ba = kb.agree(*pub_a_in_b);
        ASSERT_TRUE(ab && ba);
        ASSERT_EQ(*ab, *ba) << i;
        // A scalar exported by one provider imports into the other as the same key.
        auto ka_in_b = crypto::p256_private_key::from_scalar(ka.scalar(), B);
        auto kb_in_a = crypto::p256_private_key::from_scalar(kb.scalar(), A);
        ASSERT_TRUE(ka_in_b && kb_in_a);
        ASSERT_EQ(ka_in_b->public_key(), ka.public_key());
        ASSERT_EQ(kb_in_a->public_key(), kb.public_key());
        ASSERT_EQ(ka_in_b->scalar(), ka.scalar());
        ASSERT_EQ(*ka_in_b->agree(kb.public_key()), *ab);
    }
}

TEST_P(Differential, P256PointValidationAgrees) {
    SEALED_REQUIRE_BOTH(primitive::p256);
    const auto k = crypto::p256_private_key::generate(A);
    for (int i = 0; i < iterations; ++i) {
        auto point = sealed::bytes(k.public_key().bytes().begin(), k.public_key().bytes().end());
        point[1 + rng_() % 64] ^= static_cast<sealed::byte>(1u << (rng_() % 8));
        const bool a = static_cast<bool>(crypto::p256_public_key::from_sec1(point, A));
        const bool b = static_cast<bool>(crypto::p256_public_key::from_sec1(point, B));
        ASSERT_EQ(a, b) << hex(point);
    }
}

TEST_P(Differential, X25519CrossProviderAgreement) {
    SEALED_REQUIRE_BOTH(primitive::x25519);
    for (int i = 0; i < iterations; ++i) {
        const auto raw_a = random(32), raw_b = random(32);
        auto ka = crypto::x25519_private_key::from_bytes(raw_a, A);
        auto kb = crypto::x25519_private_key::from_bytes(raw_b, B);
        auto ka_in_b = crypto::x25519_private_key::from_bytes(raw_a, B);
        ASSERT_TRUE(ka && kb && ka_in_b);
        ASSERT_EQ(ka->public_key(), ka_in_b->public_key());
        const auto ab = ka->agree(kb->public_key());
        const auto ba = kb->agree(ka->public_key());
        ASSERT_TRUE(ab && ba);
        ASSERT_EQ(*ab, *ba) << i;
        const auto exported = ka_in_b->private_bytes();
        ASSERT_TRUE(std::equal(exported.begin(), exported.end(), raw_a.begin(), raw_a.end()));
        // Arbitrary peer bytes (high bit set, non-canonical values) are treated alike.
        const auto peer = crypto::x25519_public_key::from_bytes(random(32));
        const auto ra = ka->agree(*peer);
        const auto rb = ka_in_b->agree(*peer);
        ASSERT_EQ(ra.has_value(), rb.has_value());
        if (ra) {
            ASSERT_EQ(*ra, *rb);
        }
    }
}

TEST_P(Differential, GeneratedX25519KeysInteroperate) {
    SEALED_REQUIRE_BOTH(primitive::x25519);
    for (int i = 0; i < 20; ++i) {
        const auto ka = crypto::x25519_private_key::generate(A);
        const auto kb = crypto::x25519_private_key::generate(B);
        ASSERT_EQ(*ka.agree(kb.public_key()), *kb.agree(ka.public_key()));
    }
}

namespace {

std::vector<provider> others_than_botan() {
    std::vector<provider> out;
    for (const auto p : crypto::compiled_providers())
        if (p != provider::botan) out.push_back(p);
    return out;
}

}  // namespace

// A Botan-only build has nothing to compare.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Differential);
INSTANTIATE_TEST_SUITE_P(Providers, Differential, testing::ValuesIn(others_than_botan()), sealed_test::provider_name);
