// yamux against js-libp2p 3's frames (../shared/vectors/libp2p/js-libp2p-3.json) and its rules:
// windows both ways, the stream limit, parity, pings, FIN/RST/GoAway.
#include <sealed/crypto/encoding.hpp>
#include <sealed/libp2p/yamux.hpp>

#include <sealed_test/js_libp2p.hpp>

#include <gtest/gtest.h>


namespace {

using namespace sealed;
namespace yamux = sealed::libp2p::yamux;
using kind = yamux::event::kind;

bytes js_frame(const char* name) { return sealed_test::js_libp2p_hex("yamux", name); }

TEST(libp2p_yamux, speaks_js_libp2p_frames) {
    yamux::session listener(false);
    bytes out;
    std::vector<yamux::event> events;
    ASSERT_FALSE(listener.on_bytes(js_frame("open_stream_1_window_update_syn"), out, events));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].what, kind::opened);
    EXPECT_EQ(events[0].stream, 1u);
    EXPECT_EQ(out, js_frame("ack_stream_1_window_update"));
    out.clear();
    ASSERT_FALSE(listener.on_bytes(js_frame("ping_request_opaque_7"), out, events));
    EXPECT_EQ(out, js_frame("ping_response_opaque_7"));
    // Our own streams are even; data and FIN as js writes them.
    out.clear();
    const auto id = listener.open_stream(out);
    EXPECT_EQ(id, 2u);
    out.clear();
    const bytes hello{'h', 'e', 'l', 'l', 'o'};
    ASSERT_FALSE(listener.write(id, hello, out));
    auto expected = js_frame("data_stream_2_len_5");
    expected.insert(expected.end(), hello.begin(), hello.end());
    EXPECT_EQ(out, expected);
    out.clear();
    listener.close(id, out);
    EXPECT_EQ(out, js_frame("fin_stream_2"));
    out.clear();
    listener.go_away(yamux::go_away_code::normal, out);
    EXPECT_EQ(out, js_frame("go_away_normal"));
    EXPECT_EQ(yamux::initial_window, static_cast<std::uint32_t>(sealed_test::js_libp2p().at("yamux").at("initial_window").to_number<std::int64_t>()));
}

// Frames a dialer sends: SYN on stream `id`, then `n` bytes of data without waiting.
bytes dialer_flood(std::uint32_t id, std::size_t n) {
    bytes wire;
    yamux::append_header({yamux::frame_type::window_update, yamux::flags::syn, id, 0}, wire);
    for (std::size_t sent = 0; sent < n; sent += 64 * 1024) {
        const auto chunk = std::min<std::size_t>(64 * 1024, n - sent);
        yamux::append_header({yamux::frame_type::data, 0, id, static_cast<std::uint32_t>(chunk)}, wire);
        wire.resize(wire.size() + chunk, 0x61);
    }
    return wire;
}

TEST(libp2p_yamux, a_peer_that_overruns_its_window_gets_go_away) {
    yamux::session listener(false);
    bytes out;
    std::vector<yamux::event> events;
    EXPECT_FALSE(listener.on_bytes(dialer_flood(1, yamux::initial_window), out, events)) << "exactly the window is fine";
    out.clear();
    EXPECT_EQ(listener.on_bytes(dialer_flood(3, yamux::initial_window + 1), out, events), errc::protocol_violation);
    bytes go_away;
    yamux::append_header({yamux::frame_type::go_away, 0, 0, 1}, go_away);
    ASSERT_GE(out.size(), go_away.size());
    EXPECT_TRUE(std::equal(go_away.begin(), go_away.end(), out.end() - static_cast<std::ptrdiff_t>(go_away.size())));
    EXPECT_TRUE(listener.ended());
}

TEST(libp2p_yamux, two_sessions_respect_each_others_windows) {
    yamux::session dialer(true), listener(false);
    bytes to_listener, to_dialer;
    std::vector<yamux::event> at_listener, at_dialer;
    const auto id = dialer.open_stream(to_listener);
    EXPECT_EQ(id, 1u);
    bytes big(600 * 1024, 0x42);
    ASSERT_FALSE(dialer.write(id, big, to_listener));
    EXPECT_LT(to_listener.size(), big.size()) << "the dialer stopped at the listener's window";
    std::size_t received = 0;
    for (int round = 0; round < 16 && received < big.size(); ++round) {
        // Cut the stream into odd pieces, as a transport would.
        for (std::size_t at = 0; at < to_listener.size(); at += 4999) {
            const auto piece = const_bytes(to_listener).subspan(at, std::min<std::size_t>(4999, to_listener.size() - at));
            ASSERT_FALSE(listener.on_bytes(piece, to_dialer, at_listener));
        }
        to_listener.clear();
        for (auto& e : at_listener)
            if (e.what == kind::data) {
                received += e.data.size();
                listener.consumed(e.stream, e.data.size(), to_dialer);
            }
        at_listener.clear();
        ASSERT_FALSE(dialer.on_bytes(to_dialer, to_listener, at_dialer));
        to_dialer.clear();
    }
    EXPECT_EQ(received, big.size()) << "window updates let the rest through";
    // FIN both ways ends the stream on both sides.
    dialer.close(id, to_listener);
    ASSERT_FALSE(listener.on_bytes(to_listener, to_dialer, at_listener));
    ASSERT_FALSE(at_listener.empty());
    EXPECT_EQ(at_listener.back().what, kind::remote_closed);
    listener.close(id, to_dialer);
    ASSERT_FALSE(dialer.on_bytes(to_dialer, to_listener, at_dialer));
    EXPECT_EQ(listener.stream_count(), 0u);
    EXPECT_EQ(dialer.stream_count(), 0u);
}

TEST(libp2p_yamux, limits_parity_and_reset) {
    yamux::limits two;
    two.max_streams = 2;
    yamux::session listener(false, two);
    bytes out, wire;
    std::vector<yamux::event> events;
    for (std::uint32_t id : {1u, 3u, 5u}) yamux::append_header({yamux::frame_type::window_update, yamux::flags::syn, id, 0}, wire);
    ASSERT_FALSE(listener.on_bytes(wire, out, events));
    EXPECT_EQ(listener.stream_count(), 2u);
    bytes reset_5;
    yamux::append_header({yamux::frame_type::window_update, yamux::flags::rst, 5, 0}, reset_5);
    EXPECT_TRUE(std::equal(reset_5.begin(), reset_5.end(), out.end() - 12)) << "the third stream is reset";
    // The peer resets one of its streams: gone here too.
    wire.clear();
    yamux::append_header({yamux::frame_type::window_update, yamux::flags::rst, 1, 0}, wire);
    ASSERT_FALSE(listener.on_bytes(wire, out, events));
    EXPECT_EQ(events.back().what, kind::reset);
    EXPECT_EQ(listener.stream_count(), 1u);
    EXPECT_EQ(listener.write(1, bytes{1}, out), errc::transport_closed);
    // A dialer may not open even streams.
    wire.clear();
    yamux::append_header({yamux::frame_type::window_update, yamux::flags::syn, 4, 0}, wire);
    EXPECT_EQ(listener.on_bytes(wire, out, events), errc::protocol_violation);
    // Nor may anyone send version 1.
    yamux::session fresh(false);
    const bytes version_1{1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
    EXPECT_EQ(fresh.on_bytes(version_1, out, events), errc::protocol_violation);
}

}  // namespace
