// The envelope's wire forms and seal/open, both sides: the committed vector
// (tests/vectors/envelope.json, made by node:crypto alone) reproduced byte for byte, and every
// refusal in the documented order (docs/schemes/envelope.md).
#include <sealed/crypto/encoding.hpp>
#include <sealed/envelope/seal.hpp>

#include <sealed_test/paths.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace {

using namespace sealed;
using namespace sealed::envelope;

boost::json::object load_vector() {
    std::ifstream in(sealed_test::source_dir() + "/tests/vectors/envelope.json");
    std::stringstream text;
    text << in.rdbuf();
    return boost::json::parse(text.str()).as_object();
}

std::string str(const boost::json::value& v) { return std::string(v.as_string()); }

bytes hex(std::string_view h) { return crypto::hex_decode(h).value(); }

template <std::size_t N>
std::array<byte, N> hex_array(std::string_view h) {
    auto b = hex(h);
    std::array<byte, N> a{};
    EXPECT_EQ(b.size(), N);
    std::copy_n(b.begin(), std::min(N, b.size()), a.begin());
    return a;
}

struct vector_fixture : ::testing::Test {
    boost::json::object vec = load_vector();
    const boost::json::object& inputs = vec.at("inputs").as_object();
    std::shared_ptr<const server_key> key =
        make_server_key(crypto::p256_private_key::from_scalar(hex(str(inputs.at("server_private_hex")))).value());
    const crypto::p256_private_key& server = key->key;
    keyring ring{key};
    wall_clock::time_point at_ts = wall_clock::time_point(std::chrono::milliseconds(inputs.at("ts").as_int64()));

    server_public_key public_key() const { return {key->kid, server.public_key()}; }
    std::string request_json() const { return str(vec.at("request").at("envelope")); }
};

TEST_F(vector_fixture, the_server_key_has_the_vectors_kid_jwks_and_pem) {
    const auto& sk = vec.at("server_key").as_object();
    EXPECT_EQ(key->kid, str(sk.at("kid")));
    EXPECT_EQ(ring.jwks(), str(sk.at("jwks")));
    // The PEM writer is a fixed template: the same bytes as node:crypto's export.
    EXPECT_EQ(to_pkcs8_pem(server), str(sk.at("pkcs8_pem")));
    auto read = from_pem(str(sk.at("pkcs8_pem")));
    ASSERT_TRUE(read) << read.error().message();
    EXPECT_EQ(jwk_thumbprint(read->public_key()), key->kid);
    auto published = parse_jwks(str(sk.at("jwks")));
    ASSERT_TRUE(published);
    ASSERT_EQ(published->size(), 1u);
    EXPECT_EQ((*published)[0].kid, key->kid);
}

TEST_F(vector_fixture, sealing_with_the_vectors_inputs_gives_its_request_and_response) {
    auto ephemeral = crypto::p256_private_key::from_scalar(hex(str(inputs.at("ephemeral_private_hex")))).value();
    seal_overrides fixed;
    fixed.ephemeral = &ephemeral;
    fixed.iv = hex_array<iv_size>(str(inputs.at("request_iv_hex")));
    fixed.nonce = hex_array<nonce_size>(str(inputs.at("nonce_hex")));
    fixed.ts = static_cast<std::uint64_t>(inputs.at("ts").as_int64());
    const std::string plaintext = str(inputs.at("request_plaintext"));
    auto pending = seal_request(public_key(), as_bytes(plaintext), fixed);
    ASSERT_TRUE(pending) << pending.error().message();
    EXPECT_EQ(pending->body(), request_json());

    auto opened = open_request(request_json(), ring, at_ts);
    ASSERT_TRUE(opened) << opened.error().message();
    EXPECT_EQ(as_string_view(opened->plaintext()), plaintext);
    const std::string reply = str(inputs.at("response_plaintext"));
    const auto response = opened->seal_response(as_bytes(reply), hex_array<iv_size>(str(inputs.at("response_iv_hex"))));
    EXPECT_EQ(response, str(vec.at("response").at("body")));

    auto back = pending->open_response(response);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(as_string_view(*back), reply);
}

// The vector's request with one field replaced (a JSON value, as text).
std::string with_field(const std::string& json, std::string_view field, std::string_view value) {
    auto o = boost::json::parse(json).as_object();
    o[field] = boost::json::parse(value);
    return boost::json::serialize(o);
}

error refusal_for(const std::string& json, const keyring& ring, wall_clock::time_point now) {
    auto opened = open_request(json, ring, now);
    EXPECT_FALSE(opened) << json;
    return opened ? error::not_found : refusal_of(opened.error());
}

TEST_F(vector_fixture, malformed_bodies_are_malformed_envelope) {
    const std::string good = request_json();
    std::vector<std::string> bad = {
        "", "not json", "[]", "1", "null", "{}", "{\"v\":1}", "\xEF\xBB\xBF" + good, good + "x", good + "{}",
        with_field(good, "ts", "1.767225600e12"), with_field(good, "ts", "1767225600000.0"),
        with_field(good, "ts", "\"1767225600000\""), with_field(good, "ts", "-1"),
        with_field(good, "ts", "1e400"), with_field(good, "ts", "123456789012345678901234567890"),
        with_field(good, "ts", "9007199254740992"),  // 2^53: not a JS safe integer
        with_field(good, "v", "\"1\""), with_field(good, "v", "1.0"), with_field(good, "kid", "7"),
        with_field(good, "kid", "\"\""), with_field(good, "epk", "\"not base64!\""),
        with_field(good, "epk", "\"BAAA\""),  // decodes, but not 65 bytes
        with_field(good, "iv", "\"AAAA\""), with_field(good, "iv", "null"), with_field(good, "nonce", "\"AAAA\""),
        with_field(good, "nonce", "[]"), with_field(good, "ct", "\"AAAA\""),  // shorter than a tag
        with_field(good, "ct", "{}"),
    };
    for (const char* field : {"v", "kid", "epk", "iv", "ct", "ts", "nonce"}) {
        auto o = boost::json::parse(good).as_object();
        o.erase(field);
        bad.push_back(boost::json::serialize(o));
    }
    bad.push_back(std::string("{\"v\":1,\"kid\":\"a\xff\"}"));  // invalid UTF-8
    for (const auto& body : bad) EXPECT_EQ(refusal_for(body, ring, at_ts), error::malformed_envelope) << body;
    EXPECT_FALSE(parse_request("{\"v\":1,\"v\":1}"));  // duplicate key
    // A complete envelope with one field twice: refused whichever copy a parser would keep.
    ASSERT_TRUE(parse_request(good));
    const std::string unclosed = good.substr(0, good.rfind('}'));  // more members go here
    for (const char* field : {"kid", "ts", "nonce", "ct"}) {
        auto o = boost::json::parse(good).as_object();
        const std::string again = ",\"" + std::string(field) + "\":" + boost::json::serialize(o[field]) + "}";
        const std::string twice = unclosed + again;
        EXPECT_EQ(refusal_for(twice, ring, at_ts), error::malformed_envelope) << twice;
    }
    // An escaped spelling of the same key is the same key; the same key in a nested object is not.
    const std::string escaped = unclosed + ",\"\\u006bid\":\"x\"}";
    EXPECT_EQ(refusal_for(escaped, ring, at_ts), error::malformed_envelope) << escaped;
    EXPECT_TRUE(parse_request(unclosed + ",\"extra\":{\"kid\":1}}"));
}

TEST_F(vector_fixture, semantic_checks_answer_in_order) {
    const std::string good = request_json();
    EXPECT_EQ(refusal_for(with_field(good, "v", "2"), ring, at_ts), error::unsupported_version);
    EXPECT_EQ(refusal_for(with_field(good, "v", "1152921504606846976"), ring, at_ts), error::unsupported_version);
    EXPECT_EQ(refusal_for(with_field(good, "kid", "\"someone-else\""), ring, at_ts), error::unknown_kid);
    // Version comes before kid, kid before time.
    EXPECT_EQ(refusal_for(with_field(with_field(good, "v", "2"), "kid", "\"x\""), ring, at_ts), error::unsupported_version);
    EXPECT_EQ(refusal_for(with_field(good, "kid", "\"x\""), ring, at_ts + std::chrono::hours(1)), error::unknown_kid);

    // The window is inclusive: ±60 000 ms passes the time check (and then decrypts), 60 001 does not.
    EXPECT_TRUE(open_request(good, ring, at_ts + std::chrono::milliseconds(60'000)));
    EXPECT_TRUE(open_request(good, ring, at_ts - std::chrono::milliseconds(60'000)));
    EXPECT_EQ(refusal_for(good, ring, at_ts + std::chrono::milliseconds(60'001)), error::stale_timestamp);
    EXPECT_EQ(refusal_for(good, ring, at_ts - std::chrono::milliseconds(60'001)), error::stale_timestamp);
    EXPECT_EQ(refusal_for(with_field(good, "ts", "0"), ring, at_ts), error::stale_timestamp);
    EXPECT_EQ(refusal_for(with_field(good, "ts", "9007199254740991"), ring, at_ts), error::stale_timestamp);

    // Points: a wrong prefix, off the curve, x ≥ p: refused before any decryption.
    auto epk = crypto::base64_decode(str(boost::json::parse(good).at("epk"))).value();
    auto with_epk = [&](bytes e) { return with_field(good, "epk", "\"" + crypto::base64_encode(e) + "\""); };
    auto off_curve = epk;
    off_curve[64] ^= 1;
    EXPECT_EQ(refusal_for(with_epk(off_curve), ring, at_ts), error::invalid_public_key);
    auto compressed_prefix = epk;
    compressed_prefix[0] = 0x02;
    EXPECT_EQ(refusal_for(with_epk(compressed_prefix), ring, at_ts), error::invalid_public_key);
    bytes all_ff(65, 0xff);
    all_ff[0] = 0x04;
    EXPECT_EQ(refusal_for(with_epk(all_ff), ring, at_ts), error::invalid_public_key);
    bytes zero(65, 0);
    zero[0] = 0x04;
    EXPECT_EQ(refusal_for(with_epk(zero), ring, at_ts), error::invalid_public_key);
}

TEST_F(vector_fixture, tampering_with_any_bound_field_fails_the_tag_and_never_yields_plaintext) {
    const std::string good = request_json();
    const auto o = boost::json::parse(good).as_object();
    auto flip_b64 = [&](std::string_view field) {
        auto raw = crypto::base64_decode(str(o.at(field))).value();
        raw[raw.size() / 2] ^= 0x01;
        return with_field(good, field, "\"" + crypto::base64_encode(raw) + "\"");
    };
    EXPECT_EQ(refusal_for(flip_b64("iv"), ring, at_ts), error::decrypt_failed);
    EXPECT_EQ(refusal_for(flip_b64("ct"), ring, at_ts), error::decrypt_failed);
    EXPECT_EQ(refusal_for(flip_b64("nonce"), ring, at_ts), error::decrypt_failed);
    EXPECT_EQ(refusal_for(with_field(good, "ts", "1767225600001"), ring, at_ts), error::decrypt_failed);
    // A different, valid epk: another shared secret, so the tag fails.
    auto other = crypto::p256_private_key::generate();
    std::string other_epk = crypto::base64_encode(other.public_key().sec1());
    EXPECT_EQ(refusal_for(with_field(good, "epk", "\"" + other_epk + "\""), ring, at_ts), error::decrypt_failed);
    // The kid is in the AAD: the same key published under another kid does not open it.
    auto alias = std::make_shared<const server_key>(
        server_key{"alias", crypto::p256_private_key::from_scalar(hex(str(inputs.at("server_private_hex")))).value()});
    keyring aliased{alias};
    EXPECT_EQ(refusal_for(with_field(good, "kid", "\"alias\""), aliased, at_ts), error::decrypt_failed);
    // And the original still opens.
    EXPECT_TRUE(open_request(good, ring, at_ts));
}

TEST_F(vector_fixture, a_response_opens_only_for_its_own_request) {
    auto a = seal_request(public_key(), as_bytes(std::string_view("a"))).value();
    auto b = seal_request(public_key(), as_bytes(std::string_view("b"))).value();
    auto opened_a = open_request(a.body(), ring, wall_clock::now()).value();
    const auto reply_a = opened_a.seal_response(as_bytes(std::string_view("reply to a")));
    EXPECT_TRUE(a.open_response(reply_a));
    auto cross = b.open_response(reply_a);
    ASSERT_FALSE(cross);
    EXPECT_EQ(cross.error(), error::decrypt_failed);
    // A response is never mistaken for a request: different info, different AAD.
    EXPECT_FALSE(open_request(reply_a, ring, wall_clock::now()));
    auto garbage = a.open_response("{\"v\":1,\"iv\":\"AAAAAAAAAAAAAAAA\",\"ct\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}");
    ASSERT_FALSE(garbage);
    EXPECT_EQ(garbage.error(), error::decrypt_failed);
    EXPECT_FALSE(a.open_response("{\"error\":\"replayed_nonce\",\"message\":\"x\"}"));
}

TEST(envelope_wire, refusal_bodies_round_trip_their_codes) {
    for (auto e : {error::body_too_large, error::malformed_envelope, error::unsupported_version, error::unknown_kid,
                   error::stale_timestamp, error::invalid_public_key, error::decrypt_failed, error::replayed_nonce,
                   error::replay_store_unavailable, error::not_found, error::method_not_allowed}) {
        const auto body = refusal_body(e);
        EXPECT_EQ(refusal_code(body), std::string(code_of(e)));
        EXPECT_EQ(error_from_code(code_of(e)), e);
        auto parsed = boost::json::parse(body).as_object();
        EXPECT_EQ(parsed.size(), 2u);
        EXPECT_TRUE(parsed.at("message").is_string());
    }
    EXPECT_EQ(http_status_of(error::body_too_large), 413u);
    EXPECT_EQ(http_status_of(error::stale_timestamp), 401u);
    EXPECT_EQ(http_status_of(error::replayed_nonce), 409u);
    EXPECT_EQ(http_status_of(error::replay_store_unavailable), 503u);
    EXPECT_FALSE(refusal_code("{\"v\":1,\"iv\":\"x\",\"ct\":\"y\"}"));
    EXPECT_EQ(request_aad("k", 12, "n"), "v1|k|12|n");
    EXPECT_EQ(response_aad("k", 12, "n"), "v1|k|12|n|response");
}

}  // namespace
