// dialer_connection against host_connection, both sans-I/O, bytes cut into small chunks: the
// whole stack up to streams, identify, ping, pubsub both ways, a refused protocol, and a host
// that is not the one expected.
#include <sealed/libp2p/dialer.hpp>
#include <sealed/libp2p/error.hpp>
#include <sealed/libp2p/host.hpp>
#include <sealed/libp2p/varint.hpp>

#include <gtest/gtest.h>

namespace {

using namespace sealed;
using libp2p::dialer_connection;
using libp2p::host_connection;
using kind = libp2p::stream_event::kind;

libp2p::host_options host_options(bool pubsub) {
    libp2p::host_options o;
    o.host = std::make_shared<const libp2p::identity>(libp2p::identity::generate());
    o.noise_static = std::make_shared<const crypto::x25519_private_key>(crypto::x25519_private_key::generate());
    o.pubsub = pubsub;
    return o;
}

// Carries bytes both ways in chunks of `cut` until neither side has anything to say; collects
// what each side reported.
struct wire {
    host_connection& host;
    dialer_connection& dialer;
    std::size_t cut = 7;
    bytes to_host, to_dialer;
    std::vector<libp2p::stream_event> events;
    std::vector<libp2p::pubsub_event> pubsub;
    error_code host_error, dialer_error;

    void pump() {
        for (int round = 0; round < 1000 && (!to_host.empty() || !to_dialer.empty()); ++round) {
            const auto h = std::exchange(to_host, {});
            for (std::size_t at = 0; at < h.size() && !host_error; at += cut) {
                auto out = host.on_bytes(const_bytes(h).subspan(at, std::min(cut, h.size() - at)));
                host_error = out.error;
                to_dialer.insert(to_dialer.end(), out.to_write.begin(), out.to_write.end());
                for (auto& e : out.pubsub) pubsub.push_back(std::move(e));
            }
            const auto d = std::exchange(to_dialer, {});
            for (std::size_t at = 0; at < d.size() && !dialer_error; at += cut) {
                auto out = dialer.on_bytes(const_bytes(d).subspan(at, std::min(cut, d.size() - at)));
                dialer_error = out.error;
                to_host.insert(to_host.end(), out.to_write.begin(), out.to_write.end());
                for (auto& e : out.events) events.push_back(std::move(e));
            }
        }
    }
    void connect() {
        to_dialer = host_connection::greeting();
        to_host = dialer.start();
        pump();
    }
    bytes data_of(std::uint32_t stream) const {
        bytes all;
        for (const auto& e : events)
            if (e.stream == stream && e.what == kind::data) all.insert(all.end(), e.data.begin(), e.data.end());
        return all;
    }
    bool saw(kind what, std::uint32_t stream) const {
        return std::any_of(events.begin(), events.end(), [&](const auto& e) { return e.what == what && e.stream == stream; });
    }
};

TEST(libp2p_dialer, reaches_streams_identify_and_ping_on_a_host) {
    const auto options = host_options(false);
    host_connection host(options, {});
    libp2p::dialer_options d;
    d.expected_peer = options.host->id();
    dialer_connection dialer(d);
    wire w{host, dialer};
    w.connect();
    ASSERT_FALSE(w.host_error) << w.host_error.message();
    ASSERT_FALSE(w.dialer_error) << w.dialer_error.message();
    ASSERT_TRUE(dialer.ready());
    EXPECT_EQ(dialer.remote_peer(), options.host->id());
    EXPECT_EQ(host.remote_peer(), dialer.self().id());

    const auto id_stream = dialer.open_stream("/ipfs/id/1.0.0", {}, w.to_host);
    const bytes ping(32, 0x42);
    const auto ping_stream = dialer.open_stream("/ipfs/ping/1.0.0", ping, w.to_host);
    const auto unknown = dialer.open_stream("/no/such/1.0.0", {}, w.to_host);
    w.pump();
    EXPECT_TRUE(w.saw(kind::selected, id_stream));
    EXPECT_TRUE(w.saw(kind::closed, id_stream));  // identify ends with FIN
    auto id_bytes = w.data_of(id_stream);
    std::size_t at = 0;
    const auto length = libp2p::read_uvarint(id_bytes, at).value();
    ASSERT_TRUE(length);
    ASSERT_EQ(id_bytes.size() - at, *length);
    auto info = libp2p::parse_identify(const_bytes(id_bytes).subspan(at));
    ASSERT_TRUE(info);
    EXPECT_EQ(info->public_key, libp2p::public_key_protobuf(options.host->key().public_key()));
    EXPECT_TRUE(w.saw(kind::selected, ping_stream));
    EXPECT_EQ(w.data_of(ping_stream), ping);
    EXPECT_TRUE(w.saw(kind::refused, unknown));
    EXPECT_FALSE(w.saw(kind::selected, unknown));
}

TEST(libp2p_dialer, publishes_signed_messages_and_accepts_the_hosts_pubsub_stream) {
    const auto options = host_options(true);
    host_connection host(options, {}, "swarm/did:example:alice");
    libp2p::dialer_options d;
    d.accept = {"/meshsub/1.1.0"};
    dialer_connection dialer(d);
    wire w{host, dialer, 13};
    w.connect();
    ASSERT_TRUE(dialer.ready());
    const auto topic = std::string("swarm/did:example:alice");
    auto rpcs = libp2p::pubsub::frame_subscriptions({{true, topic}});
    const auto message = libp2p::pubsub::sign_message(dialer.self(), topic, bytes{'h', 'i'}, 7);
    const auto published = libp2p::pubsub::frame_publish(message);
    rpcs.insert(rpcs.end(), published.begin(), published.end());
    const auto ours = dialer.open_stream("/meshsub/1.1.0", rpcs, w.to_host);
    w.pump();
    ASSERT_FALSE(w.host_error) << w.host_error.message();
    EXPECT_TRUE(w.saw(kind::selected, ours));
    // The host opened its own stream with our protocol, and we accepted it.
    ASSERT_TRUE(w.saw(kind::accepted, 2));
    ASSERT_EQ(w.pubsub.size(), 2u);
    EXPECT_EQ(w.pubsub[0].what, libp2p::pubsub_event::kind::subscribed);
    EXPECT_EQ(w.pubsub[1].what, libp2p::pubsub_event::kind::message);
    EXPECT_EQ(w.pubsub[1].raw, message);
    auto parsed = libp2p::pubsub::parse_message(message);
    ASSERT_TRUE(parsed);
    EXPECT_FALSE(libp2p::pubsub::verify_strict_sign(*parsed));

    // Another peer's message reaches us on the host's stream, after its SUBSCRIBE.
    const libp2p::identity other = libp2p::identity::generate();
    const auto theirs = libp2p::pubsub::sign_message(other, topic, bytes{'y', 'o'}, 1);
    auto delivered = host.deliver(topic, theirs);
    w.to_dialer = delivered.to_write;
    w.pump();
    auto on_host_stream = w.data_of(2);
    auto expected = libp2p::pubsub::frame_subscriptions({{true, topic}});
    const auto framed = libp2p::pubsub::frame_publish(theirs);
    expected.insert(expected.end(), framed.begin(), framed.end());
    EXPECT_EQ(on_host_stream, expected);
}

TEST(libp2p_dialer, refuses_a_host_that_is_not_the_one_expected) {
    const auto options = host_options(false);
    host_connection host(options, {});
    libp2p::dialer_options d;
    d.expected_peer = libp2p::identity::generate().id();
    dialer_connection dialer(d);
    wire w{host, dialer};
    w.connect();
    EXPECT_EQ(w.dialer_error, libp2p::error::peer_id_mismatch);
    EXPECT_FALSE(dialer.ready());
}

// A window overrun written below the muxer ends the host's session with a GoAway.
TEST(libp2p_dialer, a_window_overrun_ends_the_hosts_session) {
    const auto options = host_options(false);
    host_connection host(options, {});
    dialer_connection dialer;
    wire w{host, dialer, 4096};
    w.connect();
    ASSERT_TRUE(dialer.ready());
    bytes frames;
    libp2p::yamux::append_header({libp2p::yamux::frame_type::data, libp2p::yamux::flags::syn, 1, libp2p::yamux::initial_window + 1}, frames);
    frames.resize(frames.size() + libp2p::yamux::initial_window + 1, 0);
    ASSERT_FALSE(dialer.write_below_muxer(frames, w.to_host));
    w.pump();
    EXPECT_EQ(w.host_error, errc::protocol_violation);
    EXPECT_EQ(w.dialer_error, errc::transport_closed);  // the host's GoAway reached us
}

}  // namespace
