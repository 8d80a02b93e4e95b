// A libp2p host connection driven by a dialer written from the same pieces, the way js dials:
// header + /noise in one write, Noise XX, /yamux/1.0.0, then streams for identify and ping. And
// Identify's bytes against js-libp2p 3's.
#include <sealed/crypto/encoding.hpp>
#include <sealed/libp2p/host.hpp>
#include <sealed/libp2p/varint.hpp>

#include <sealed_test/js_libp2p.hpp>

#include <gtest/gtest.h>


namespace {

using namespace sealed;
namespace ms = sealed::libp2p::multistream;
using libp2p::host_connection;

TEST(libp2p_identify, is_byte_for_byte_what_js_libp2p_reads) {
    const libp2p::identity host(crypto::ed25519_private_key::from_seed(sealed_test::js_libp2p_hex("peer_id", "ed25519_seed_hex")).value());
    libp2p::identify_info info;
    info.agent_version = "sealed-swarm-gateway/0.1";
    info.public_key = libp2p::public_key_protobuf(host.key().public_key());
    info.observed_addr = libp2p::endpoint_multiaddr(net::ip::make_address("127.0.0.1"), 8080, libp2p::multiaddr_transport::ws);
    info.protocols = {"/ipfs/id/1.0.0", "/ipfs/ping/1.0.0", "/meshsub/1.1.0", "/meshsub/1.0.0", "/floodsub/1.0.0"};
    EXPECT_EQ(libp2p::encode_identify(info), sealed_test::js_libp2p_hex("identify", "message_hex"));
    auto parsed = libp2p::parse_identify(sealed_test::js_libp2p_hex("identify", "message_hex"));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->protocols, info.protocols);
    EXPECT_EQ(parsed->public_key, info.public_key);
}

// The dialer's side: what js does, from sealed's own pieces.
struct dialer {
    std::shared_ptr<const libp2p::identity> me = std::make_shared<const libp2p::identity>(libp2p::identity::generate());
    std::optional<libp2p::secure_handshake> noise;
    std::optional<libp2p::secure_stream> secure;
    libp2p::yamux::session muxer{true};
    bytes to_host;

    void start() {
        ms::append_message(ms::protocol_id, to_host);
        ms::append_message("/noise\n", to_host);
        libp2p::secure_handshake::options o;
        o.host = me;
        noise.emplace(role::client, std::move(o));
        const auto first = noise->start();
        to_host.insert(to_host.end(), first.begin(), first.end());  // sent before the answer, as rust does
    }
    // What the host wrote: until noise is done the raw stream, then plaintext after the muxer
    // header. Returns the plaintext seen after noise.
    bytes on_host_bytes(const_bytes in, std::size_t& skip_before_noise) {
        bytes plaintext;
        if (!secure) {
            // The host's header and its echo of /noise precede its first handshake message.
            const auto raw = in.subspan(std::min(skip_before_noise, in.size()));
            skip_before_noise -= std::min(skip_before_noise, in.size());
            auto step = noise->on_bytes(raw);
            EXPECT_FALSE(step.error) << step.error.message();
            to_host.insert(to_host.end(), step.to_write.begin(), step.to_write.end());
            if (step.done) {
                secure.emplace(noise->take_stream().value());
                bytes select;
                ms::append_message(ms::protocol_id, select);
                ms::append_message("/yamux/1.0.0\n", select);
                EXPECT_FALSE(secure->seal(select, to_host));
            }
            return plaintext;
        }
        EXPECT_FALSE(secure->open(in, plaintext));
        return plaintext;
    }
    void send_plain(const bytes& plain) { ASSERT_FALSE(secure->seal(plain, to_host)); }
};

// Drives host and dialer through pnet's inside up to yamux; the plaintext the dialer saw after
// noise (the host's header, its /yamux/1.0.0 echo may come later).
bytes connect(host_connection& host, dialer& d) {
    d.start();
    bytes from_host = host_connection::greeting();
    std::size_t skip = from_host.size();  // the host's header
    bytes plaintext;
    for (int round = 0; round < 8 && host.current() != host_connection::phase::streams; ++round) {
        auto out = host.on_bytes(d.to_host);
        d.to_host.clear();
        EXPECT_FALSE(out.error) << out.error.message();
        if (out.authenticated) {
            EXPECT_EQ(*out.authenticated, d.me->id());
        }
        from_host.insert(from_host.end(), out.to_write.begin(), out.to_write.end());
        if (round == 0) skip += 8;  // the echo of "/noise\n"
        auto more = d.on_host_bytes(from_host, skip);
        plaintext.insert(plaintext.end(), more.begin(), more.end());
        from_host.clear();
    }
    return plaintext;
}

libp2p::host_options test_host(bool pubsub = false) {
    libp2p::host_options options;
    options.host = std::make_shared<const libp2p::identity>(libp2p::identity::generate());
    options.noise_static = std::make_shared<const crypto::x25519_private_key>(crypto::x25519_private_key::generate());
    options.pubsub = pubsub;
    return options;
}

TEST(libp2p_host, a_dialer_gets_noise_yamux_identify_and_ping) {
    const auto options = test_host();
    const auto observed = libp2p::endpoint_multiaddr(net::ip::make_address("127.0.0.1"), 4001, libp2p::multiaddr_transport::tcp);
    host_connection host(options, observed);
    dialer d;
    auto plaintext = connect(host, d);
    ASSERT_EQ(host.current(), host_connection::phase::streams);
    EXPECT_EQ(d.noise->remote_peer(), options.host->id());

    // Identify and ping on two streams, header and proposal in one write each.
    bytes frames;
    std::vector<libp2p::yamux::event> events;
    const auto id_stream = d.muxer.open_stream(frames);
    bytes propose;
    ms::append_message(ms::protocol_id, propose);
    ms::append_message("/ipfs/id/1.0.0\n", propose);
    ASSERT_FALSE(d.muxer.write(id_stream, propose, frames));
    const auto ping_stream = d.muxer.open_stream(frames);
    propose.clear();
    ms::append_message(ms::protocol_id, propose);
    ms::append_message("/ipfs/ping/1.0.0\n", propose);
    propose.resize(propose.size() + 32, 0x5a);  // the ping right behind the proposal
    ASSERT_FALSE(d.muxer.write(ping_stream, propose, frames));
    d.send_plain(frames);
    auto out = host.on_bytes(d.to_host);
    ASSERT_FALSE(out.error) << out.error.message();
    d.to_host.clear();
    std::size_t none = 0;
    auto answer = d.on_host_bytes(out.to_write, none);
    // The host's header (sent as noise ended) and its echo of /yamux/1.0.0 come first, then frames.
    bytes muxer_answer;
    ms::append_message(ms::protocol_id, muxer_answer);
    ms::append_message("/yamux/1.0.0\n", muxer_answer);
    plaintext.insert(plaintext.end(), answer.begin(), answer.end());
    ASSERT_GE(plaintext.size(), muxer_answer.size());
    ASSERT_TRUE(std::equal(muxer_answer.begin(), muxer_answer.end(), plaintext.begin()));
    bytes reply_frames;
    ASSERT_FALSE(d.muxer.on_bytes(const_bytes(plaintext).subspan(muxer_answer.size()), reply_frames, events));
    std::map<std::uint32_t, bytes> received;
    bool identify_finished = false;
    for (auto& e : events) {
        if (e.what == libp2p::yamux::event::kind::data) received[e.stream].insert(received[e.stream].end(), e.data.begin(), e.data.end());
        if (e.what == libp2p::yamux::event::kind::remote_closed && e.stream == id_stream) identify_finished = true;
    }
    EXPECT_TRUE(identify_finished) << "identify ends with FIN";
    // Identify: header, echo, then uvarint length and the message, whose key is the host's.
    auto& id_bytes = received[id_stream];
    bytes expected_prefix;
    ms::append_message(ms::protocol_id, expected_prefix);
    ms::append_message("/ipfs/id/1.0.0\n", expected_prefix);
    ASSERT_GT(id_bytes.size(), expected_prefix.size() + 2);
    ASSERT_TRUE(std::equal(expected_prefix.begin(), expected_prefix.end(), id_bytes.begin()));
    std::size_t at = expected_prefix.size();
    const auto length = libp2p::read_uvarint(id_bytes, at).value().value();
    ASSERT_EQ(id_bytes.size() - at, length);
    auto info = libp2p::parse_identify(const_bytes(id_bytes).subspan(at));
    ASSERT_TRUE(info);
    EXPECT_EQ(info->public_key, libp2p::public_key_protobuf(options.host->key().public_key()));
    EXPECT_EQ(info->observed_addr, observed);
    EXPECT_EQ(info->protocols, (std::vector<std::string>{"/ipfs/id/1.0.0", "/ipfs/ping/1.0.0"}));
    // Ping: the 32 bytes come back after the echo.
    auto& ping_bytes = received[ping_stream];
    ASSERT_GE(ping_bytes.size(), 32u);
    EXPECT_TRUE(std::all_of(ping_bytes.end() - 32, ping_bytes.end(), [](byte b) { return b == 0x5a; }));
}

TEST(libp2p_host, unknown_security_gets_na_and_garbage_an_error) {
    const auto options = test_host();
    host_connection host(options, {});
    bytes in;
    ms::append_message(ms::protocol_id, in);
    ms::append_message("/tls/1.0.0\n", in);
    auto out = host.on_bytes(in);
    EXPECT_FALSE(out.error);
    bytes na;
    ms::append_message(ms::not_available, na);
    EXPECT_EQ(out.to_write, na);
    host_connection other(options, {});
    const bytes garbage{0x13, 'n', 'o', 't', ' ', 'm', 's', 's', '!', '!', '!', '!', '!', '!', '!', '!', '!', '!', '!', '!'};
    EXPECT_EQ(other.on_bytes(garbage).error, errc::protocol_violation);
}

// Pubsub as js drives it: the peer opens a meshsub stream, subscribes and publishes; the host
// opens its own stream for its SUBSCRIBEs, keeps the peer to its topic scope, verifies the
// message's signature, and delivers another peer's message to a subscriber.
TEST(libp2p_host, pubsub_within_the_topic_scope) {
    const auto options = test_host(true);
    host_connection host(options, {}, "swarm/did:example:alice");
    dialer d;
    auto plaintext = connect(host, d);
    ASSERT_EQ(host.current(), host_connection::phase::streams);

    // The js-libp2p vector's message: signed by the shared seed's key, topic swarm/did:example:alice.
    const auto signed_message = sealed_test::js_libp2p_hex("pubsub", "signed_message_hex");
    bytes frames;
    std::vector<libp2p::yamux::event> events;
    const auto stream = d.muxer.open_stream(frames);
    bytes rpcs;
    ms::append_message(ms::protocol_id, rpcs);
    ms::append_message("/meshsub/1.1.0\n", rpcs);
    auto subs = libp2p::pubsub::frame_subscriptions({{true, "swarm/did:example:alice"}, {true, "swarm/did:example:bob"}});
    rpcs.insert(rpcs.end(), subs.begin(), subs.end());
    auto publish = libp2p::pubsub::frame_publish(signed_message);
    rpcs.insert(rpcs.end(), publish.begin(), publish.end());
    auto forged = signed_message;
    forged.back() ^= 1;
    auto forged_rpc = libp2p::pubsub::frame_publish(forged);
    rpcs.insert(rpcs.end(), forged_rpc.begin(), forged_rpc.end());
    ASSERT_FALSE(d.muxer.write(stream, rpcs, frames));
    d.send_plain(frames);
    auto out = host.on_bytes(d.to_host);
    d.to_host.clear();
    ASSERT_FALSE(out.error) << out.error.message();
    using kind = libp2p::pubsub_event::kind;
    std::vector<std::pair<kind, std::string>> seen;
    for (const auto& e : out.pubsub) seen.emplace_back(e.what, e.topic + ":" + std::string(e.reason));
    const std::vector<std::pair<kind, std::string>> expected{{kind::subscribed, "swarm/did:example:alice:"},
                                                             {kind::refused, "swarm/did:example:bob:topic_not_allowed"},
                                                             {kind::message, "swarm/did:example:alice:"},
                                                             {kind::refused, "swarm/did:example:alice:bad_signature"}};
    EXPECT_EQ(seen, expected);
    EXPECT_TRUE(host.subscribed("swarm/did:example:alice"));
    EXPECT_FALSE(host.subscribed("swarm/did:example:bob"));

    // The host opened stream 2 with the same protocol; the dialer accepts it, then reads the
    // host's SUBSCRIBE for its scope and a delivered message.
    std::size_t none = 0;
    auto answer = d.on_host_bytes(out.to_write, none);
    plaintext.insert(plaintext.end(), answer.begin(), answer.end());
    bytes muxer_answer;
    ms::append_message(ms::protocol_id, muxer_answer);
    ms::append_message("/yamux/1.0.0\n", muxer_answer);
    ASSERT_FALSE(d.muxer.on_bytes(const_bytes(plaintext).subspan(muxer_answer.size()), frames, events));
    bytes on_stream_2;
    auto collect = [&] {
        for (auto& e : events)
            if (e.what == libp2p::yamux::event::kind::data && e.stream == 2)
                on_stream_2.insert(on_stream_2.end(), e.data.begin(), e.data.end());
        events.clear();
    };
    collect();
    frames.clear();
    bytes accept;
    ms::append_message(ms::protocol_id, accept);
    ms::append_message("/meshsub/1.1.0\n", accept);
    ASSERT_FALSE(d.muxer.write(2, accept, frames));
    d.send_plain(frames);
    out = host.on_bytes(d.to_host);
    d.to_host.clear();
    ASSERT_FALSE(out.error);
    auto delivered = host.deliver("swarm/did:example:alice", signed_message);
    auto not_subscribed = host.deliver("swarm/did:example:alice/other", signed_message);
    EXPECT_TRUE(not_subscribed.to_write.empty());
    bytes wire = out.to_write;
    wire.insert(wire.end(), delivered.to_write.begin(), delivered.to_write.end());
    ASSERT_FALSE(d.muxer.on_bytes(d.on_host_bytes(wire, none), frames, events));
    collect();
    // header ‖ proposal ‖ SUBSCRIBE(scope) [‖ SUBSCRIBE mirrored, same topic: not repeated] ‖ publish
    bytes expected_stream;
    ms::append_message(ms::protocol_id, expected_stream);
    ms::append_message("/meshsub/1.1.0\n", expected_stream);
    auto scope = libp2p::pubsub::frame_subscriptions({{true, "swarm/did:example:alice"}});
    expected_stream.insert(expected_stream.end(), scope.begin(), scope.end());
    expected_stream.insert(expected_stream.end(), publish.begin(), publish.end());
    EXPECT_EQ(on_stream_2, expected_stream);
}

}  // namespace
