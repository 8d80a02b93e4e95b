// base64 / base64url / hex: RFC 4648 §10 vectors, round trips and the strictness rules.
#include <sealed/crypto/encoding.hpp>

#include "crypto_test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <utility>

namespace crypto = sealed::crypto;
using sealed::as_bytes;
using sealed::errc;

namespace {

std::string decoded_text(const sealed::result<sealed::bytes>& r) {
    return r ? std::string(r->begin(), r->end()) : std::string("<error>");
}

const std::pair<std::string_view, std::string_view> rfc4648_base64[] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},     {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

const std::pair<std::string_view, std::string_view> rfc4648_base16[] = {
    {"", ""},           {"f", "66"},           {"fo", "666F"},        {"foo", "666F6F"},
    {"foob", "666F6F62"}, {"fooba", "666F6F6261"}, {"foobar", "666F6F626172"},
};

sealed::bytes all_byte_values() {
    sealed::bytes b(256);
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<sealed::byte>(i);
    return b;
}

}  // namespace

TEST(Base64, Rfc4648Vectors) {
    for (const auto& [plain, encoded] : rfc4648_base64) {
        EXPECT_EQ(crypto::base64_encode(as_bytes(plain)), encoded);
        const auto decoded = crypto::base64_decode(encoded);
        ASSERT_TRUE(decoded) << encoded;
        EXPECT_EQ(decoded_text(decoded), plain);
    }
}

TEST(Base64, AppendingEncodeAndSpanDecode) {
    std::string out = "x:";
    crypto::base64_encode(as_bytes("foobar"), out);
    EXPECT_EQ(out, "x:Zm9vYmFy");

    std::array<sealed::byte, crypto::base64_decoded_max(8)> buf{};
    const auto n = crypto::base64_decode("Zm9vYg==", buf);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 4u);
    EXPECT_EQ(sealed::as_string_view({buf.data(), *n}), "foob");

    std::array<sealed::byte, 2> small{};
    EXPECT_EQ(crypto::base64_decode("Zm9v", small).error(), errc::invalid_argument);
}

TEST(Base64, RoundTripsEveryLengthAndByte) {
    const auto all = all_byte_values();
    for (std::size_t len = 0; len <= all.size(); ++len) {
        const sealed::const_bytes in(all.data() + (256 - len), len);
        const std::string enc = crypto::base64_encode(in);
        EXPECT_EQ(enc.size(), crypto::base64_encoded_size(len));
        const auto dec = crypto::base64_decode(enc);
        ASSERT_TRUE(dec) << enc;
        EXPECT_TRUE(std::equal(dec->begin(), dec->end(), in.begin(), in.end()));
    }
}

TEST(Base64, RefusesNonCanonicalAndMalformedInput) {
    EXPECT_EQ(decoded_text(crypto::base64_decode("QQ==")), "A");
    for (const std::string_view bad : {
             "QR==",       // nonzero unused bits after one byte
             "Zm9=",       // nonzero unused bits after two bytes
             "Zm8",        // missing padding
             "Zg=",        // short padding
             "Zg===",      // length not a multiple of 4
             "Zm9v====",   // a whole quantum of padding
             "Z===",       // three '=' (less than one byte)
             "=Zg=",       // padding at the start
             "Zg==Zg==",   // padding in the middle
             "Zm9v\n",     // whitespace
             " Zm9v",      // whitespace
             "Zm 9v",      // whitespace
             "Zm9\tv",     // whitespace
             "-_8=",       // base64url alphabet
             "Zm9v*A==",   // stray character
         }) {
        EXPECT_EQ(crypto::base64_decode(bad).error(), errc::invalid_encoding) << bad;
    }
}

TEST(Base64Url, RoundTripsAndUsesUrlAlphabet) {
    const sealed::bytes b = {0xfb, 0xff};
    EXPECT_EQ(crypto::base64_encode(b), "+/8=");
    EXPECT_EQ(crypto::base64url_encode(b), "-_8");
    EXPECT_EQ(crypto::base64url_encode(as_bytes("f")), "Zg");
    EXPECT_EQ(crypto::base64url_encode(as_bytes("foobar")), "Zm9vYmFy");

    const auto all = all_byte_values();
    for (std::size_t len = 0; len <= all.size(); ++len) {
        const sealed::const_bytes in(all.data(), len);
        const std::string enc = crypto::base64url_encode(in);
        EXPECT_EQ(enc.find_first_of("+/="), std::string::npos);
        const auto dec = crypto::base64url_decode(enc);
        ASSERT_TRUE(dec) << enc;
        EXPECT_TRUE(std::equal(dec->begin(), dec->end(), in.begin(), in.end()));
    }
}

TEST(Base64Url, RefusesPaddingStandardAlphabetAndNonCanonicalInput) {
    EXPECT_EQ(decoded_text(crypto::base64url_decode("Zg")), "f");
    EXPECT_EQ(decoded_text(crypto::base64url_decode("")), "");
    for (const std::string_view bad : {
             "Zg==",  // padding
             "Zg=",   // padding
             "+/8",   // standard alphabet
             "Z",     // a lone character carries no byte
             "Zh",    // nonzero unused bits
             "Zm9",   // nonzero unused bits
             "Zm9v ", // whitespace
             "Zm\n9v",
         }) {
        EXPECT_EQ(crypto::base64url_decode(bad).error(), errc::invalid_encoding) << bad;
    }
}

TEST(Hex, Rfc4648Vectors) {
    for (const auto& [plain, encoded] : rfc4648_base16) {
        std::string lower(encoded);
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        EXPECT_EQ(crypto::hex_encode(as_bytes(plain)), lower);
        EXPECT_EQ(decoded_text(crypto::hex_decode(encoded)), plain);
        EXPECT_EQ(decoded_text(crypto::hex_decode(lower)), plain);
    }
}

TEST(Hex, RoundTripsAndRefusesMalformedInput) {
    const auto all = all_byte_values();
    const auto dec = crypto::hex_decode(crypto::hex_encode(all));
    ASSERT_TRUE(dec);
    EXPECT_EQ(*dec, all);
    EXPECT_EQ(decoded_text(crypto::hex_decode("aBcD")), "\xab\xcd");
    for (const std::string_view bad : {"0", "abc", "0g", "zz", " 00", "00 ", "0x00", "0-"}) {
        EXPECT_EQ(crypto::hex_decode(bad).error(), errc::invalid_encoding) << bad;
    }
}
