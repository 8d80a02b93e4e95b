// The fixed-input vector shared with the Node implementation (tests/vectors/hmac_x25519.json,
// made by make_hmac_x25519_vector.mjs with node:crypto and @noble/ciphers): identities, the
// shared secret, the challenge response and one SMSG frame, byte for byte.
#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/hash.hpp>
#include <sealed/hmac_x25519/scheme.hpp>

#include <sealed_test/paths.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

using namespace sealed;
using namespace sealed::hmac_x25519;

struct vector_fields {
    boost::json::object v = [] {
        std::ifstream file(std::filesystem::path(sealed_test::source_dir()) / "tests/vectors/hmac_x25519.json");
        std::stringstream text;
        text << file.rdbuf();
        return boost::json::parse(text.str()).as_object();
    }();
    std::string text(const char* name) const { return std::string(v.at(name).as_string()); }
    bytes hex(const char* name) const { return crypto::hex_decode(text(name)).value(); }
};

bytes to_bytes(const_bytes b) { return bytes(b.begin(), b.end()); }

TEST(hmac_x25519_vector, identities_shared_secret_and_challenge_response) {
    vector_fields f;
    auto initiator = node_identity::from_private_key(f.hex("initiator_private_key"), "alice").value();
    auto responder = node_identity::from_private_key(f.hex("responder_private_key"), "bob").value();
    EXPECT_EQ(to_bytes(initiator.public_key().bytes()), f.hex("initiator_public_key"));
    EXPECT_EQ(to_bytes(responder.public_key().bytes()), f.hex("responder_public_key"));
    EXPECT_EQ(initiator.id(), f.text("initiator_id"));
    EXPECT_EQ(responder.id(), f.text("responder_id"));

    auto agreed = initiator.key().agree(responder.public_key()).value();
    const auto shared = crypto::sha256(agreed);
    EXPECT_EQ(to_bytes(shared), f.hex("shared"));
    const auto response = crypto::hmac_sha256(shared, f.hex("challenge"));
    EXPECT_EQ(to_bytes(response), f.hex("challenge_response"));
    EXPECT_TRUE(crypto::hmac_sha256_verify(shared, f.hex("challenge"), f.hex("challenge_response")));
}

TEST(hmac_x25519_vector, smsg_frame_is_reproduced_byte_for_byte_and_opens) {
    vector_fields f;
    const auto shared = f.hex("shared");
    EXPECT_EQ(to_bytes(smsg::derive_key(shared)), f.hex("smsg_key"));
    const auto timestamp = f.v.at("smsg_timestamp").to_number<std::int64_t>();
    std::string inner;
    smsg::make_inner(f.text("smsg_body"), timestamp, inner);
    EXPECT_EQ(inner, f.text("smsg_inner"));  // Go's escaping of <, > and & inside the body

    auto codec = smsg::codec::create(shared).value();
    message_buffer frame;
    ASSERT_FALSE(codec.seal(f.text("smsg_body"), f.hex("smsg_nonce"), timestamp, frame));
    EXPECT_EQ(crypto::hex_encode(frame.bytes()), f.text("smsg_frame"));

    std::string body;
    ASSERT_FALSE(codec.open(f.hex("smsg_frame"), body));
    EXPECT_EQ(body, f.text("smsg_body"));

    // What a quiet connection gives back is rebuilt from the key: the same bytes again.
    codec.release_idle_memory();
    body.clear();
    ASSERT_FALSE(codec.open(f.hex("smsg_frame"), body));
    EXPECT_EQ(body, f.text("smsg_body"));
    codec.release_idle_memory();
    frame.clear();
    ASSERT_FALSE(codec.seal(f.text("smsg_body"), f.hex("smsg_nonce"), timestamp, frame));
    EXPECT_EQ(crypto::hex_encode(frame.bytes()), f.text("smsg_frame"));
}

}  // namespace
