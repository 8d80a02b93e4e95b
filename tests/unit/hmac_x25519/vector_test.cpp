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

// The real handshake, both roles (plain Go: no ephemeral), with the vector's identities and
// challenge put in through the randomness seam: the hello carries the vector's challenge, the
// ack its challenge response, and the session both sides end with opens the vector's frame.
boost::json::object payload_of(const bytes& envelope) {
    return boost::json::parse(std::string(envelope.begin(), envelope.end())).as_object().at("payload").as_object();
}

TEST(hmac_x25519_vector, both_roles_reproduce_the_vector_through_the_randomness_seam) {
    vector_fields f;
    options initiator_options, responder_options;
    initiator_options.identity = std::make_shared<node_identity>(
        node_identity::from_private_key(f.hex("initiator_private_key"), "alice").value());
    responder_options.identity = std::make_shared<node_identity>(
        node_identity::from_private_key(f.hex("responder_private_key"), "bob").value());
    handshake_randomness fixed;
    const auto challenge = f.hex("challenge");
    ASSERT_EQ(challenge.size(), challenge_size);
    fixed.challenge.emplace();
    std::copy(challenge.begin(), challenge.end(), fixed.challenge->begin());
    handshake initiator(role::client, initiator_options, std::move(fixed));
    handshake responder(role::server, responder_options);

    auto hello = initiator.start();
    ASSERT_EQ(hello.out.size(), 1u);
    EXPECT_EQ(crypto::base64_decode(payload_of(hello.out[0].data).at("challenge").as_string()).value(), challenge);
    ASSERT_EQ(responder.start().then, next_action<cipher>::state::read);
    auto acked = responder.resume(hello.out[0].data);
    ASSERT_EQ(acked.then, next_action<cipher>::state::done);
    ASSERT_EQ(acked.out.size(), 1u);
    EXPECT_EQ(crypto::base64_decode(payload_of(acked.out[0].data).at("challengeResponse").as_string()).value(),
              f.hex("challenge_response"));
    auto joined = initiator.resume(acked.out[0].data);
    ASSERT_EQ(joined.then, next_action<cipher>::state::done);
    EXPECT_EQ(joined.session->peer_id, f.text("responder_id"));
    EXPECT_EQ(acked.session->peer_id, f.text("initiator_id"));
    for (auto* session : {&*acked.session, &*joined.session}) {
        message_buffer plain;
        ASSERT_FALSE(session->cipher.open(f.hex("smsg_frame"), plain));
        EXPECT_EQ(plain.text(), f.text("smsg_body"));
    }
}

}  // namespace
