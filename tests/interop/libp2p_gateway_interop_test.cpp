// The gateway as a libp2p peer under pressure, with real js-libp2p 3 nodes (libp2p_node.mjs)
// around it: peers that forge their identity, publish unsigned or mis-signed messages, overrun a
// yamux window or flood streams are each refused while the real nodes keep pinging and hearing
// their tenant; nodes see a killed gateway go and reconnect when it is back; and wss.
#include "libp2p_gateway.hpp"

#include <sealed/client.hpp>
#include <sealed/libp2p/error.hpp>
#include <sealed/pnet/scheme.hpp>
#include <sealed/transport/websocket.hpp>

#include <sealed_test/http.hpp>
#include <sealed_test/libp2p_link.hpp>
#include <sealed_test/run.hpp>
#include <sealed_test/tls.hpp>

#include <csignal>
#include <cstdlib>

namespace {

using namespace sealed;
using namespace pnet_interop;
using kind = libp2p::stream_event::kind;
using pnet_client = client<ws, pnet::scheme>;
using link_type = sealed_test::libp2p_link<pnet_client::channel_type>;

// A started swarm_gateway (gateway_argv's three stdout lines read).
struct gateway_process {
    sealed_test::child_process process;
    unsigned short ws_port = 0;
    std::string peer_id;

    explicit gateway_process(std::vector<std::string> argv) : process(std::move(argv)) {
        auto ws_line = process.read_line(20000);
        auto tcp_line = process.read_line();
        auto id_line = process.read_line();
        if (!ws_line || !tcp_line || !id_line || !id_line->starts_with("peer id ")) return;
        ws_port = sealed_test::port_from_listening_line(*ws_line);
        peer_id = id_line->substr(std::string("peer id ").size());
    }
    std::string url(const char* did, const char* scheme = "ws") const {
        return std::string(scheme) + "://127.0.0.1:" + std::to_string(ws_port) + "/swarm/" + did;
    }
    long metric(const char* name) const {
        net::io_context io;
        long value = -1;
        sealed_test::run(io, [&]() -> awaitable<void> { value = co_await sealed_test::node_metric(ws_port, name); }());
        return value;
    }
};

std::vector<std::string> node_argv(const gateway_process& g, const key_files& keys, const char* did, const char* key,
                                   std::vector<std::string> more) {
    std::vector<std::string> argv{node, libp2p_node_script, "--ws", g.url(did), "--psk-file", keys(key)};
    argv.insert(argv.end(), more.begin(), more.end());
    return argv;
}

json::object finish(sealed_test::child_process& p, int limit_ms = 30000) {
    std::vector<std::string> lines;
    while (auto line = p.read_line(limit_ms)) lines.push_back(*line);
    return report_of(lines);
}

// A C++ libp2p peer of `did` over ws: pnet with the tenant's key, then noise and yamux.
awaitable<std::optional<link_type>> dial(const gateway_process& g, const key_files& keys, const char* did) {
    pnet::options o;
    o.key = pnet::tenant_psk(keys.secret, did);
    const client_config cfg;
    const auto url = g.url(did);
    auto channel = co_await pnet_client::connect(co_await net::this_coro::executor, std::string_view(url), cfg, o);
    if (!channel) co_return std::nullopt;
    std::optional<link_type> link(std::in_place, std::move(*channel));
    if (auto ec = co_await link->connect()) {
        ADD_FAILURE() << "libp2p dial: " << ec.message();
        co_return std::nullopt;
    }
    co_return link;
}

// A frame past the stream's receive window: the gateway answers GoAway and closes the socket.
awaitable<void> overrun_a_window(const gateway_process& g, const key_files& keys) {
    auto link = co_await dial(g, keys, "did:example:alice");
    if (!link) co_return;
    bytes frames;
    libp2p::yamux::append_header({libp2p::yamux::frame_type::data, libp2p::yamux::flags::syn, 1,
                                  libp2p::yamux::initial_window + 1}, frames);
    frames.resize(frames.size() + libp2p::yamux::initial_window + 1, 0);
    bytes wire;
    EXPECT_FALSE(link->dialer().write_below_muxer(frames, wire));
    EXPECT_FALSE(co_await link->send(wire));
    error_code end;
    while (!end) end = co_await link->receive();
    EXPECT_EQ(end, errc::transport_closed) << "expected the gateway's GoAway, got " << end.message();
}

// 200 streams at once: the gateway takes 128 and resets the rest, and the connection goes on.
awaitable<void> flood_streams(const gateway_process& g, const key_files& keys) {
    auto link = co_await dial(g, keys, "did:example:bob");
    if (!link) co_return;
    constexpr std::size_t opened = 200;
    bytes wire;
    for (std::size_t i = 0; i < opened; ++i) link->dialer().open_stream("/ipfs/ping/1.0.0", {}, wire);
    EXPECT_FALSE(co_await link->send(wire));
    auto settled = [&] { return link->count(kind::selected) + link->count(kind::reset) >= opened; };
    EXPECT_FALSE(co_await link->receive_until(settled));
    EXPECT_EQ(link->count(kind::selected), libp2p::yamux::limits{}.max_streams);
    EXPECT_EQ(link->count(kind::reset), opened - libp2p::yamux::limits{}.max_streams);
    // The first stream still pings.
    const bytes ping(32, 0x7e);
    wire.clear();
    EXPECT_FALSE(link->dialer().write(1, ping, wire));
    EXPECT_FALSE(co_await link->send(wire));
    auto echoed = [&] {
        return std::any_of(link->events.begin(), link->events.end(),
                           [&](const auto& e) { return e.what == kind::data && e.stream == 1 && e.data == ping; });
    };
    EXPECT_FALSE(co_await link->receive_until(echoed));
}

TEST(interop_libp2p_gateway, misbehaving_peers_are_refused_while_real_nodes_keep_working) {
    key_files keys;
    gateway_process g(gateway_argv(keys));
    ASSERT_NE(g.ws_port, 0);
    const std::string topic = "swarm/did:example:alice";
    // Alice's node pings all along, Bob's holds, Alice's receiver waits for the one good message.
    sealed_test::child_process alice(node_argv(g, keys, "did:example:alice", "alice.key",
                                               {"--hold-ms", "9000", "--ping-every-ms", "300"}));
    sealed_test::child_process bob(node_argv(g, keys, "did:example:bob", "bob.key", {"--hold-ms", "9000"}));
    sealed_test::child_process receiver(node_argv(g, keys, "did:example:alice", "alice.key",
                                                  {"--pubsub", "gossipsub", "--subscribe", topic, "--expect-messages",
                                                   "1", "--listen-ms", "1500", "--timeout-ms", "25000"}));
    for (int i = 0; i < 200 && g.metric("sealed_swarm_pubsub_subscribed_peers") < 1; ++i) usleep(50000);
    ASSERT_GE(g.metric("sealed_swarm_pubsub_subscribed_peers"), 1);

    // A node whose Noise identity signature is forged does not get in.
    auto forged = sealed_test::run_to_end(node_argv(g, keys, "did:example:alice", "alice.key",
                                                    {"--forge", "identity", "--timeout-ms", "5000"}), 30000);
    EXPECT_NE(forged.exit_code, 0) << forged.output();
    EXPECT_NE(forged.output().find("\"stage\":\"dial\""), std::string::npos) << forged.output();
    // Unsigned and mis-signed messages reach the gateway and go no further.
    for (std::vector<std::string> how : {std::vector<std::string>{"--unsigned"}, {"--forge", "pubsub"}}) {
        auto argv = how;
        argv.insert(argv.end(), {"--pubsub", "gossipsub", "--subscribe", topic, "--publish", topic + "=refused"});
        auto r = sealed_test::run_to_end(node_argv(g, keys, "did:example:alice", "alice.key", argv), 30000);
        EXPECT_EQ(report_of(r.lines).at("ok"), true) << r.output();
    }
    net::io_context io;
    sealed_test::run(io, overrun_a_window(g, keys));
    sealed_test::run(io, flood_streams(g, keys));
    auto good = sealed_test::run_to_end(node_argv(g, keys, "did:example:alice", "alice.key",
                                                  {"--pubsub", "gossipsub", "--subscribe", topic, "--publish",
                                                   topic + "=signed"}), 30000);
    EXPECT_EQ(report_of(good.lines).at("ok"), true) << good.output();

    const auto heard = finish(receiver);
    ASSERT_EQ(heard.at("ok"), true) << json::serialize(heard);
    ASSERT_EQ(heard.at("received").as_array().size(), 1u) << json::serialize(heard);
    EXPECT_EQ(heard.at("received").as_array()[0].at("data"), "signed");
    for (auto* p : {&alice, &bob}) {
        const auto held = finish(*p);
        EXPECT_EQ(held.at("ok"), true) << json::serialize(held);
    }
    EXPECT_GE(g.metric("sealed_swarm_pubsub_refused_total{reason=\"bad_signature\"}"), 2);
    EXPECT_EQ(g.metric("sealed_swarm_libp2p_streams_refused_total"), 72);
    EXPECT_EQ(g.metric("sealed_swarm_libp2p_closed_total{reason=\"handshake_failed\"}"), 1);  // the forged identity
    EXPECT_EQ(g.metric("sealed_swarm_libp2p_closed_total{reason=\"protocol_error\"}"), 1);   // the overrun
    g.process.signal(SIGTERM);
    EXPECT_EQ(g.process.wait(), 0);
}

// Kill the gateway mid-run: the nodes see their connections drop, dial again, and are served by
// the gateway started again on the same port with the same identity.
TEST(interop_libp2p_gateway, nodes_reconnect_when_a_killed_gateway_is_back) {
    key_files keys;
    auto first = std::make_unique<gateway_process>(gateway_argv(keys));
    ASSERT_NE(first->ws_port, 0);
    const auto port = first->ws_port;
    std::vector<std::unique_ptr<sealed_test::child_process>> nodes;
    for (const auto& [did, key] : {std::pair{"did:example:alice", "alice.key"}, std::pair{"did:example:bob", "bob.key"}})
        nodes.push_back(std::make_unique<sealed_test::child_process>(node_argv(
            *first, keys, did, key, {"--expect-peer", first->peer_id, "--hold-ms", "20000", "--redial-ms", "15000"})));
    for (auto& n : nodes) {
        const auto holding = n->read_line(20000);
        ASSERT_TRUE(holding && holding->find(first->peer_id) != std::string::npos) << holding.value_or("no line");
    }
    first->process.signal(SIGKILL);
    first->process.wait();
    usleep(500000);
    auto argv = gateway_argv(keys);
    argv[2] = "127.0.0.1:" + std::to_string(port);
    gateway_process again(argv);
    ASSERT_EQ(again.ws_port, port);
    EXPECT_EQ(again.peer_id, first->peer_id);
    for (auto& n : nodes) {
        const auto report = finish(*n);
        EXPECT_EQ(report.at("ok"), true) << json::serialize(report);
        EXPECT_EQ(report.at("dropped"), true) << json::serialize(report);
        EXPECT_EQ(report.at("pingsAfterRedial").as_array().size(), 1u) << json::serialize(report);
    }
    again.process.signal(SIGTERM);
    EXPECT_EQ(again.process.wait(), 0);
}

// Over wss, with a certificate the node trusts through NODE_EXTRA_CA_CERTS.
TEST(interop_libp2p_gateway, real_nodes_dial_over_wss) {
    key_files keys;
    const auto& tls = sealed_test::shared_tls();
    std::ofstream(keys.dir / "cert.pem") << tls.pair.cert_pem;
    std::ofstream(keys.dir / "key.pem") << tls.pair.key_pem;
    ::setenv("NODE_EXTRA_CA_CERTS", keys("cert.pem").c_str(), 1);
    auto argv = gateway_argv(keys);
    argv.insert(argv.end(), {"--tls-cert", keys("cert.pem"), "--tls-key", keys("key.pem")});
    gateway_process g(argv);
    ASSERT_NE(g.ws_port, 0);
    for (const auto& [did, key] : {std::pair{"did:example:alice", "alice.key"}, std::pair{"did:example:bob", "bob.key"}}) {
        const auto url = g.url(did, "wss");  // the certificate names 127.0.0.1
        EXPECT_TRUE(libp2p_peer_served(sealed_test::run_to_end({node, libp2p_node_script, "--ws", url, "--psk-file",
                                                                keys(key), "--expect-peer", g.peer_id}, 30000),
                                       g.peer_id, "/wss"))
            << did;
    }
    g.process.signal(SIGTERM);
    EXPECT_EQ(g.process.wait(), 0);
}

}  // namespace
