// pubsub's messages against js-libp2p 3's bytes: SUBSCRIBE and publish RPCs, a StrictSign
// message, its signature and id; and what a forged or unsigned message gets.
#include <sealed/crypto/encoding.hpp>
#include <sealed/libp2p/error.hpp>
#include <sealed/libp2p/identity.hpp>
#include <sealed/libp2p/pubsub.hpp>

#include <sealed_test/js_libp2p.hpp>

#include <gtest/gtest.h>


namespace {

using namespace sealed;
namespace ps = sealed::libp2p::pubsub;

bytes to_bytes(const_bytes b) { return bytes(b.begin(), b.end()); }

TEST(libp2p_pubsub, rpcs_are_js_libp2ps_bytes) {
    EXPECT_EQ(ps::frame_subscriptions({{true, "swarm/did:example:alice"}}), sealed_test::js_libp2p_hex("pubsub", "subscribe_on_wire_hex"));
    const auto signed_message = sealed_test::js_libp2p_hex("pubsub", "signed_message_hex");
    EXPECT_EQ(ps::frame_publish(signed_message), sealed_test::js_libp2p_hex("pubsub", "publish_on_wire_hex"));

    const auto rpc_bytes = sealed_test::js_libp2p_hex("pubsub", "publish_rpc_hex");
    auto rpc = ps::parse_rpc(rpc_bytes);
    ASSERT_TRUE(rpc);
    ASSERT_EQ(rpc->publish.size(), 1u);
    const auto& m = rpc->publish[0];
    EXPECT_EQ(m.topic, "swarm/did:example:alice");
    EXPECT_EQ(to_bytes(m.raw), signed_message) << "the raw view is what gets forwarded";
    EXPECT_EQ(ps::signed_bytes(m), sealed_test::js_libp2p_hex("pubsub", "signed_data_hex"));
    EXPECT_FALSE(ps::verify_strict_sign(m));
    // The spec's id: from ‖ seqno (js keys on PublicKey ‖ seqno; ids only meet in IHAVE/IWANT).
    bytes id = libp2p::peer_id::parse("12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB").value().to_bytes();
    id.insert(id.end(), {0, 0, 0, 0, 0, 0, 0, 1});
    EXPECT_EQ(ps::message_id(m), id);

    auto subs = ps::parse_rpc(sealed_test::js_libp2p_hex("pubsub", "subscribe_rpc_hex"));
    ASSERT_TRUE(subs);
    ASSERT_EQ(subs->subscriptions.size(), 1u);
    EXPECT_TRUE(subs->subscriptions[0].subscribe);
    EXPECT_EQ(subs->subscriptions[0].topic, "swarm/did:example:alice");
}

TEST(libp2p_pubsub, forged_unsigned_and_reauthored_messages_are_refused) {
    // A signature over other data.
    auto forged = sealed_test::js_libp2p_hex("pubsub", "signed_message_hex");
    forged[forged.size() - 1] ^= 1;
    auto m = ps::parse_message(forged).value();
    EXPECT_EQ(ps::verify_strict_sign(m), libp2p::error::bad_signature);
    // Data changed under the original signature.
    auto tampered = sealed_test::js_libp2p_hex("pubsub", "signed_message_hex");
    const auto hello = std::string("hello");
    const auto at = std::search(tampered.begin(), tampered.end(), hello.begin(), hello.end());
    ASSERT_NE(at, tampered.end());
    *at = 'j';
    EXPECT_EQ(ps::verify_strict_sign(ps::parse_message(tampered).value()), libp2p::error::bad_signature);
    // The same message without its signature.
    EXPECT_EQ(ps::verify_strict_sign(ps::parse_message(sealed_test::js_libp2p_hex("pubsub", "unsigned_message_hex")).value()),
              libp2p::error::bad_signature);
    // Another author's key in field 6 for this `from`.
    auto other = libp2p::identity::generate();
    auto reauthored = sealed_test::js_libp2p_hex("pubsub", "signed_message_hex");
    const auto key = libp2p::public_key_protobuf(other.key().public_key());
    reauthored.push_back(0x32);
    reauthored.push_back(static_cast<byte>(key.size()));
    reauthored.insert(reauthored.end(), key.begin(), key.end());
    EXPECT_EQ(ps::verify_strict_sign(ps::parse_message(reauthored).value()), libp2p::error::peer_id_mismatch);
    // Not a Message at all.
    EXPECT_EQ(ps::parse_rpc(bytes{0x12, 0x05, 0x01}).error(), libp2p::error::malformed_protobuf);
    EXPECT_EQ(ps::parse_message(bytes{0x0a, 0x00}).error(), libp2p::error::malformed_protobuf) << "no topic";
}

TEST(libp2p_pubsub, a_message_signed_here_verifies) {
    const auto author = libp2p::identity::generate();
    // from, data, seqno, topic — encoded as js does — then the signature appended as field 5.
    bytes unsigned_message;
    auto field = [&](byte tag, const_bytes value) {
        unsigned_message.push_back(tag);
        unsigned_message.push_back(static_cast<byte>(value.size()));
        unsigned_message.insert(unsigned_message.end(), value.begin(), value.end());
    };
    field(0x0a, author.id().to_bytes());
    field(0x12, as_bytes("tenant news"));
    field(0x1a, bytes{0, 0, 0, 0, 0, 0, 0, 42});
    field(0x22, as_bytes("swarm/did:example:alice/news"));
    const auto m = ps::parse_message(unsigned_message).value();
    const auto signature = author.key().sign(ps::signed_bytes(m));
    auto signed_message = unsigned_message;
    signed_message.push_back(0x2a);
    signed_message.push_back(64);
    signed_message.insert(signed_message.end(), signature.begin(), signature.end());
    EXPECT_FALSE(ps::verify_strict_sign(ps::parse_message(signed_message).value()));
    EXPECT_EQ(ps::sign_message(author, "swarm/did:example:alice/news", as_bytes("tenant news"), 42), signed_message);
}

// What a js-libp2p 3 publisher writes, byte for byte: Ed25519 signatures are deterministic.
TEST(libp2p_pubsub, messages_signed_here_are_js_libp2ps_bytes) {
    const libp2p::identity author(
        crypto::ed25519_private_key::from_seed(sealed_test::js_libp2p_hex("peer_id", "ed25519_seed_hex")).value());
    EXPECT_EQ(ps::sign_message(author, "swarm/did:example:alice", as_bytes("hello"), 1),
              sealed_test::js_libp2p_hex("pubsub", "signed_message_hex"));
}

}  // namespace
