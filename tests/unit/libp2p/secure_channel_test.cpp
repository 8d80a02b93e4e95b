// libp2p's /noise: the handshake payload against js-libp2p 3's bytes, and two secure_handshakes
// (initiator and responder) talking through byte streams cut into pieces.
#include <sealed/crypto/encoding.hpp>
#include <sealed/libp2p/error.hpp>
#include <sealed/libp2p/secure_channel.hpp>

#include <sealed_test/js_libp2p.hpp>

#include <gtest/gtest.h>


namespace {

using namespace sealed;
using libp2p::secure_handshake;

TEST(libp2p_noise_payload, is_byte_for_byte_what_js_libp2p_sends) {
    const libp2p::identity host(crypto::ed25519_private_key::from_seed(sealed_test::js_libp2p_hex("peer_id", "ed25519_seed_hex")).value());
    const auto noise_static = crypto::x25519_private_key::from_bytes(sealed_test::js_libp2p_hex("noise", "static_private_hex")).value();
    auto plain = libp2p::make_noise_payload(host, noise_static.public_key());
    EXPECT_EQ(plain.identity_sig, sealed_test::js_libp2p_hex("noise", "identity_sig_hex"));
    EXPECT_EQ(libp2p::encode_noise_payload(plain), sealed_test::js_libp2p_hex("noise", "payload_no_extensions_hex"));
    auto with_muxers = libp2p::make_noise_payload(host, noise_static.public_key(), {"/yamux/1.0.0"});
    EXPECT_EQ(libp2p::encode_noise_payload(with_muxers), sealed_test::js_libp2p_hex("noise", "payload_with_stream_muxers_hex"));

    auto parsed = libp2p::parse_noise_payload(sealed_test::js_libp2p_hex("noise", "payload_with_stream_muxers_hex"));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->stream_muxers, std::vector<std::string>{"/yamux/1.0.0"});
    auto peer = libp2p::verify_noise_payload(*parsed, noise_static.public_key());
    ASSERT_TRUE(peer);
    EXPECT_EQ(*peer, host.id());
    // The same signature does not prove another static key.
    const auto other = crypto::x25519_private_key::generate();
    EXPECT_EQ(libp2p::verify_noise_payload(*parsed, other.public_key()).error(), libp2p::error::bad_signature);
    EXPECT_EQ(libp2p::parse_noise_payload(bytes{0x0a, 0x05, 0x01}).error(), libp2p::error::malformed_protobuf);
}

secure_handshake::options side(std::shared_ptr<const libp2p::identity> host, std::vector<std::string> muxers = {}) {
    secure_handshake::options o;
    o.host = std::move(host);
    o.stream_muxers = std::move(muxers);
    return o;
}

// Runs both sides to the end, handing bytes over `piece` at a time; the error either side hit.
error_code run(secure_handshake& initiator, secure_handshake& responder, std::size_t piece, bytes extra = {}) {
    bytes to_responder = initiator.start(), to_initiator;
    bool initiator_done = false, responder_done = false;
    for (int round = 0; round < 64 && !(initiator_done && responder_done); ++round) {
        for (std::size_t at = 0; at < to_responder.size(); at += piece) {
            auto step = responder.on_bytes(const_bytes(to_responder).subspan(at, std::min(piece, to_responder.size() - at)));
            if (step.error) return step.error;
            to_initiator.insert(to_initiator.end(), step.to_write.begin(), step.to_write.end());
            responder_done = step.done;
        }
        to_responder.clear();
        for (std::size_t at = 0; at < to_initiator.size(); at += piece) {
            auto step = initiator.on_bytes(const_bytes(to_initiator).subspan(at, std::min(piece, to_initiator.size() - at)));
            if (step.error) return step.error;
            to_responder.insert(to_responder.end(), step.to_write.begin(), step.to_write.end());
            if (step.done && !initiator_done) to_responder.insert(to_responder.end(), extra.begin(), extra.end());
            initiator_done = step.done;
        }
        to_initiator.clear();
    }
    return initiator_done && responder_done ? error_code{} : make_error_code(errc::timeout);
}

TEST(libp2p_noise, two_peers_learn_each_others_ids_and_talk) {
    const auto alice = std::make_shared<const libp2p::identity>(libp2p::identity::generate());
    const auto gateway = std::make_shared<const libp2p::identity>(libp2p::identity::generate());
    for (std::size_t piece : {1u, 7u, 4096u}) {
        secure_handshake initiator(role::client, side(alice, {"/yamux/1.0.0"}));
        secure_handshake responder(role::server, side(gateway));
        // What the initiator sends right after its last handshake message stays for the next layer.
        const bytes early{'/', 'y', 'a'};
        ASSERT_FALSE(run(initiator, responder, piece, early)) << "piece " << piece;
        EXPECT_EQ(initiator.remote_peer(), gateway->id());
        EXPECT_EQ(responder.remote_peer(), alice->id());
        EXPECT_EQ(responder.remote_stream_muxers(), std::vector<std::string>{"/yamux/1.0.0"});
        EXPECT_TRUE(initiator.remote_stream_muxers().empty());
        EXPECT_EQ(responder.take_leftover(), early);

        auto to_gateway = initiator.take_stream().value();
        auto from_alice = responder.take_stream().value();
        bytes big(150'000);
        for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<byte>(i);
        bytes wire, opened;
        ASSERT_FALSE(to_gateway.seal(big, wire));
        EXPECT_EQ(wire.size(), big.size() + 3 * 18) << "three frames";
        for (std::size_t at = 0; at < wire.size(); at += 1000)
            ASSERT_FALSE(from_alice.open(const_bytes(wire).subspan(at, std::min<std::size_t>(1000, wire.size() - at)), opened));
        EXPECT_EQ(opened, big);
        EXPECT_EQ(from_alice.buffered(), 0u);
        // A flipped bit is refused, and the stream stays refused.
        wire.clear();
        opened.clear();
        const bytes hello{'h', 'i'};
        ASSERT_FALSE(from_alice.seal(hello, wire));
        wire[3] ^= 1;
        EXPECT_EQ(to_gateway.open(wire, opened), errc::decrypt_failed);
        EXPECT_TRUE(opened.empty());
    }
}

TEST(libp2p_noise, the_initiator_refuses_a_peer_it_did_not_dial) {
    const auto alice = std::make_shared<const libp2p::identity>(libp2p::identity::generate());
    const auto gateway = std::make_shared<const libp2p::identity>(libp2p::identity::generate());
    auto expecting = side(alice);
    expecting.expected_peer = libp2p::identity::generate().id();
    secure_handshake initiator(role::client, std::move(expecting));
    secure_handshake responder(role::server, side(gateway));
    EXPECT_EQ(run(initiator, responder, 64), libp2p::error::peer_id_mismatch);
}

// A host that signs its per-start static key once: its peers learn the same id as from a payload
// signed per handshake; a payload made for another static key is refused by the peer.
TEST(libp2p_noise, a_payload_signed_once_serves_many_handshakes) {
    const auto alice = std::make_shared<const libp2p::identity>(libp2p::identity::generate());
    const auto gateway = std::make_shared<const libp2p::identity>(libp2p::identity::generate());
    auto responder_side = side(gateway);
    responder_side.noise_static = std::make_shared<const crypto::x25519_private_key>(crypto::x25519_private_key::generate());
    responder_side.signed_payload = libp2p::signed_noise_payload(*gateway, *responder_side.noise_static);
    for (int i = 0; i < 3; ++i) {
        secure_handshake initiator(role::client, side(alice));
        secure_handshake responder(role::server, responder_side);
        ASSERT_FALSE(run(initiator, responder, 4096));
        EXPECT_EQ(initiator.remote_peer(), gateway->id());
    }
    responder_side.signed_payload =
        libp2p::signed_noise_payload(*gateway, crypto::x25519_private_key::generate());  // not its key
    secure_handshake initiator(role::client, side(alice));
    secure_handshake responder(role::server, responder_side);
    EXPECT_EQ(run(initiator, responder, 4096), libp2p::error::bad_signature);
}

}  // namespace
