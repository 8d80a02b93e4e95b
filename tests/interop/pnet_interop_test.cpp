// PSK-pnet against outside implementations over real loopback sockets, byte for byte:
// - js-libp2p's own @libp2p/pnet (preSharedKey().protect()) dials our gateway over raw TCP and
//   over WebSocket, then multistream-select and /ipfs/ping/1.0.0;
// - a Node peer written from the spec with the `xsalsa20` package (bench/peers/pnet) dials it,
//   with its writes cut at random boundaries; a wrong master secret and a bad DID are refused;
// - our C++ dialer against that Node peer's own gateway;
// - real js-libp2p 3 nodes (libp2p_node.mjs: pnet, noise, yamux, identify, ping, gossipsub and
//   floodsub) dial the gateway, and tenant pubsub stays inside the tenant.
#include <sealed/crypto/encoding.hpp>
#include <sealed/pnet/swarm_client.hpp>

#include "libp2p_gateway.hpp"

#include <sealed_test/http.hpp>
#include <sealed_test/paths.hpp>
#include <sealed_test/process.hpp>
#include <sealed_test/redis_server.hpp>
#include <sealed_test/run.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace {

using namespace sealed;
using namespace pnet_interop;
namespace json = boost::json;

const std::string source = sealed_test::source_dir();
const std::string peer_script = source + "/bench/peers/pnet/peer.mjs";
const std::string libp2p_script = source + "/tests/interop/pnet_libp2p_dial.mjs";

// One JSON line from a Node dialer: whether it pinged `count` times.
::testing::AssertionResult pinged(const sealed_test::script_result& r, int count) {
    if (r.lines.empty()) return ::testing::AssertionFailure() << "no output; exit " << r.exit_code.value_or(-1);
    auto v = json::parse(r.lines.back()).as_object();
    if (v.at("ok") != true || v.at("pings") != count || r.exit_code != 0)
        return ::testing::AssertionFailure() << r.output();
    return ::testing::AssertionSuccess();
}

TEST(interop_pnet, outside_dialers_against_our_gateway) {
    key_files keys;
    sealed_test::child_process gateway(gateway_argv(keys));
    auto ws_line = gateway.read_line();
    auto tcp_line = gateway.read_line();
    ASSERT_TRUE(ws_line && tcp_line);
    const auto ws_port = std::to_string(sealed_test::port_from_listening_line(*ws_line));
    const auto tcp_endpoint = tcp_line->substr(std::string("tcp listening on ").size());
    const auto alice = "ws://127.0.0.1:" + ws_port + "/swarm/did:example:alice";

    // js-libp2p's own pnet layer, both transports.
    EXPECT_TRUE(pinged(sealed_test::run_to_end({node, libp2p_script, "--tcp", tcp_endpoint, "--psk-file",
                                                keys("network.key"), "--count", "5"}, 20000), 5));
    EXPECT_TRUE(pinged(sealed_test::run_to_end({node, libp2p_script, "--ws", alice, "--psk-file", keys("alice.key"),
                                                "--count", "5"}, 20000), 5));
    // The spec-written peer, every write cut at random points.
    EXPECT_TRUE(pinged(sealed_test::run_to_end({node, peer_script, "--dial", alice, "--master-secret-file",
                                                keys("secret.hex"), "--count", "5", "--chunk"}, 20000), 5));
    EXPECT_TRUE(pinged(sealed_test::run_to_end({node, peer_script, "--dial", "tcp://" + tcp_endpoint, "--psk-file",
                                                keys("network.key"), "--count", "5", "--chunk"}, 20000), 5));
    // A wrong key is refused within the negotiation limit; a bad DID gets HTTP 400.
    auto wrong = sealed_test::run_to_end({node, peer_script, "--dial", alice, "--master-secret-file", keys("wrong.hex")},
                                         20000);
    EXPECT_NE(wrong.exit_code, 0);
    EXPECT_NE(wrong.output().find("\"ok\":false"), std::string::npos) << wrong.output();
    auto libp2p_wrong = sealed_test::run_to_end({node, libp2p_script, "--tcp", tcp_endpoint, "--psk-file",
                                                 keys("alice.key")}, 20000);
    EXPECT_NE(libp2p_wrong.exit_code, 0) << libp2p_wrong.output();
    auto bad_did = sealed_test::run_to_end({node, peer_script, "--dial", "ws://127.0.0.1:" + ws_port + "/swarm/alice",
                                            "--master-secret-file", keys("secret.hex")}, 20000);
    EXPECT_NE(bad_did.output().find("HTTP 400"), std::string::npos) << bad_did.output();
    // And the gateway served the right key afterwards.
    EXPECT_TRUE(pinged(sealed_test::run_to_end({node, libp2p_script, "--ws", alice, "--psk-file", keys("alice.key")},
                                               20000), 3));
    gateway.signal(SIGTERM);
    EXPECT_EQ(gateway.wait(), 0);
}


// Issue 28's headline: a real js-libp2p 3 node (pnet + noise + yamux) dials the gateway over ws and
// raw TCP and gets ping and identify; a wrong PSK is refused and the gateway goes on.
TEST(interop_pnet, real_libp2p_nodes_get_noise_yamux_identify_and_ping) {
    key_files keys;
    sealed_test::child_process gateway(gateway_argv(keys));
    auto ws_line = gateway.read_line();
    auto tcp_line = gateway.read_line();
    auto id_line = gateway.read_line();
    ASSERT_TRUE(ws_line && tcp_line && id_line);
    ASSERT_TRUE(id_line->starts_with("peer id 12D3KooW")) << *id_line;
    const auto gateway_id = id_line->substr(std::string("peer id ").size());
    const auto ws_port = std::to_string(sealed_test::port_from_listening_line(*ws_line));
    const auto tcp_endpoint = tcp_line->substr(std::string("tcp listening on ").size());
    const auto url = [&](const char* did) { return "ws://127.0.0.1:" + ws_port + "/swarm/" + did; };

    EXPECT_TRUE(libp2p_peer_served(sealed_test::run_to_end({node, libp2p_node_script, "--ws", url("did:example:alice"),
                                                            "--psk-file", keys("alice.key"), "--expect-peer", gateway_id},
                                                           30000), gateway_id, "/ws"));
    EXPECT_TRUE(libp2p_peer_served(sealed_test::run_to_end({node, libp2p_node_script, "--ws", url("did:example:bob"),
                                                            "--psk-file", keys("bob.key")}, 30000), gateway_id, "/ws"));
    EXPECT_TRUE(libp2p_peer_served(sealed_test::run_to_end({node, libp2p_node_script, "--tcp", tcp_endpoint,
                                                            "--psk-file", keys("network.key"), "--expect-peer", gateway_id},
                                                           30000), gateway_id, ""));
    // Bob's key on Alice's path: refused in the dial, and the gateway serves Alice right after.
    auto wrong = sealed_test::run_to_end({node, libp2p_node_script, "--ws", url("did:example:alice"), "--psk-file",
                                          keys("bob.key"), "--timeout-ms", "5000"}, 30000);
    EXPECT_NE(wrong.exit_code, 0) << wrong.output();
    EXPECT_NE(wrong.output().find("\"stage\":\"dial\""), std::string::npos) << wrong.output();
    EXPECT_TRUE(libp2p_peer_served(sealed_test::run_to_end({node, libp2p_node_script, "--ws", url("did:example:alice"),
                                                            "--psk-file", keys("alice.key")}, 30000), gateway_id, "/ws"));
    // The identity survives a restart: the same key file gives the same peer id.
    gateway.signal(SIGTERM);
    EXPECT_EQ(gateway.wait(), 0);
    sealed_test::child_process again({sealed_test::bin_dir() + "/swarm_gateway", "--listen", "127.0.0.1:0",
                                      "--master-secret-file", keys("secret.hex"), "--identity-key",
                                      keys("identity.key"), "--log-level", "warn"});
    ASSERT_TRUE(again.read_line());
    auto id_again = again.read_line();
    ASSERT_TRUE(id_again);
    EXPECT_EQ(*id_again, *id_line);
    again.signal(SIGTERM);
    again.wait();
}


// Tenant pubsub through the gateway, with real js-libp2p 3 gossipsub and floodsub nodes: Alice's
// message reaches Alice's other node and never Bob's, even though Bob's node subscribes to
// Alice's topic; the gateway counts the refusal.
TEST(interop_pnet, tenant_pubsub_reaches_the_tenant_only) {
    key_files keys;
    sealed_test::child_process gateway({sealed_test::bin_dir() + "/swarm_gateway", "--listen", "127.0.0.1:0",
                                        "--master-secret-file", keys("secret.hex"), "--identity-key",
                                        keys("identity.key"), "--log-level", "warn"});
    auto ws_line = gateway.read_line();
    ASSERT_TRUE(ws_line && gateway.read_line());
    const auto port = sealed_test::port_from_listening_line(*ws_line);
    const auto url = [&](const char* did) { return "ws://127.0.0.1:" + std::to_string(port) + "/swarm/" + did; };
    for (const char* kind : {"gossipsub", "floodsub"}) {
        SCOPED_TRACE(kind);
        const auto topic = std::string("swarm/did:example:alice");
        sealed_test::child_process receiver({node, libp2p_node_script, "--ws", url("did:example:alice"), "--psk-file",
                                             keys("alice.key"), "--pings", "1", "--pubsub", kind, "--subscribe", topic,
                                             "--expect-messages", "1", "--timeout-ms", "20000"});
        sealed_test::child_process bob({node, libp2p_node_script, "--ws", url("did:example:bob"), "--psk-file",
                                        keys("bob.key"), "--pings", "1", "--pubsub", kind, "--subscribe", topic,
                                        "--subscribe", "swarm/did:example:bob", "--listen-ms", "3000"});
        // Both subscribed (each holds a topic in the gateway) before Alice's other node publishes.
        net::io_context io;
        bool ready = false;
        sealed_test::run(io, [&]() -> awaitable<void> {
            for (int i = 0; i < 200 && !ready; ++i) {
                ready = co_await sealed_test::node_metric(port, "sealed_swarm_pubsub_subscribed_peers") >= 2;
                if (!ready) co_await sealed_test::sleep_for(std::chrono::milliseconds(50));
            }
        }());
        ASSERT_TRUE(ready) << "the two listening nodes did not subscribe";
        auto publisher = sealed_test::run_to_end({node, libp2p_node_script, "--ws", url("did:example:alice"), "--psk-file",
                                                  keys("alice.key"), "--pings", "1", "--pubsub", kind, "--subscribe",
                                                  topic, "--publish", topic + "=hello " + kind}, 30000);
        EXPECT_EQ(report_of(publisher.lines).at("ok"), true) << publisher.output();
        std::vector<std::string> lines;
        while (auto line = receiver.read_line(25000)) lines.push_back(*line);
        const auto heard = report_of(lines);
        ASSERT_EQ(heard.at("ok"), true) << json::serialize(heard);
        const auto& received = heard.at("received").as_array();
        ASSERT_EQ(received.size(), 1u);
        EXPECT_EQ(received[0].at("data").as_string(), std::string("hello ") + kind);
        lines.clear();
        while (auto line = bob.read_line(25000)) lines.push_back(*line);
        const auto bobs = report_of(lines);
        EXPECT_EQ(bobs.at("ok"), true) << json::serialize(bobs);
        EXPECT_TRUE(bobs.at("received").as_array().empty()) << "Bob's node heard Alice's tenant: " << json::serialize(bobs);
    }
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        auto metrics = co_await sealed_test::http_get(port, "/metrics");
        EXPECT_NE(metrics.body().find("sealed_swarm_pubsub_refused_total{reason=\"topic_not_allowed\"}"), std::string::npos)
            << metrics.body();
        EXPECT_EQ(co_await sealed_test::node_metric(port, "sealed_swarm_pubsub_forwarded_total"), 2);
    }());
    gateway.signal(SIGTERM);
    EXPECT_EQ(gateway.wait(), 0);
}

// Two gateways sharing a redis-server are one swarm per tenant for pubsub too: a gossipsub
// message published on one reaches the tenant's subscriber on the other, and no other tenant's.
TEST(interop_pnet, tenant_pubsub_crosses_gateways_sharing_redis) {
    sealed_test::redis_server redis;
    if (!redis.running()) GTEST_SKIP() << "redis-server is not installed";
    key_files keys;
    auto start = [&](const char* identity) {
        return std::make_unique<sealed_test::child_process>(std::vector<std::string>{
            sealed_test::bin_dir() + "/swarm_gateway", "--listen", "127.0.0.1:0", "--master-secret-file",
            keys("secret.hex"), "--identity-key", keys(identity), "--redis", redis.url(), "--log-level", "warn"});
    };
    auto a = start("a.key"), b = start("b.key");
    auto a_line = a->read_line(), b_line = b->read_line();
    ASSERT_TRUE(a_line && b_line && a->read_line() && b->read_line());
    const auto a_port = sealed_test::port_from_listening_line(*a_line), b_port = sealed_test::port_from_listening_line(*b_line);
    const auto url = [](unsigned short port, const char* did) { return "ws://127.0.0.1:" + std::to_string(port) + "/swarm/" + did; };
    const std::string topic = "swarm/did:example:alice";
    sealed_test::child_process receiver({node, libp2p_node_script, "--ws", url(b_port, "did:example:alice"), "--psk-file",
                                         keys("alice.key"), "--pings", "1", "--pubsub", "gossipsub", "--subscribe", topic,
                                         "--expect-messages", "1", "--timeout-ms", "20000"});
    sealed_test::child_process bob({node, libp2p_node_script, "--ws", url(b_port, "did:example:bob"), "--psk-file",
                                    keys("bob.key"), "--pings", "1", "--pubsub", "gossipsub", "--subscribe",
                                    "swarm/did:example:bob", "--listen-ms", "3000"});
    net::io_context io;
    bool ready = false;
    sealed_test::run(io, [&]() -> awaitable<void> {
        const std::vector<unsigned short> ports{a_port, b_port};  // named: ADR-0001
        CO_ASSERT_TRUE(co_await sealed_test::all_subscribed(ports));
        for (int i = 0; i < 200 && !ready; ++i) {
            ready = co_await sealed_test::node_metric(b_port, "sealed_swarm_pubsub_subscribed_peers") >= 2;
            if (!ready) co_await sealed_test::sleep_for(std::chrono::milliseconds(50));
        }
    }());
    ASSERT_TRUE(ready) << "the nodes on gateway b did not subscribe";
    auto publisher = sealed_test::run_to_end({node, libp2p_node_script, "--ws", url(a_port, "did:example:alice"),
                                              "--psk-file", keys("alice.key"), "--pings", "1", "--pubsub", "gossipsub",
                                              "--publish", topic + "=across gateways"}, 30000);
    EXPECT_EQ(report_of(publisher.lines).at("ok"), true) << publisher.output();
    std::vector<std::string> lines;
    while (auto line = receiver.read_line(25000)) lines.push_back(*line);
    const auto heard = report_of(lines);
    ASSERT_EQ(heard.at("ok"), true) << json::serialize(heard);
    ASSERT_EQ(heard.at("received").as_array().size(), 1u);
    EXPECT_EQ(heard.at("received").as_array()[0].at("data").as_string(), "across gateways");
    lines.clear();
    while (auto line = bob.read_line(25000)) lines.push_back(*line);
    EXPECT_TRUE(report_of(lines).at("received").as_array().empty());
    sealed_test::run(io, [&]() -> awaitable<void> {
        EXPECT_EQ(co_await sealed_test::node_metric(b_port, "sealed_swarm_pubsub_from_bus_total"), 1);
    }());
    for (auto* g : {a.get(), b.get()}) {
        g->signal(SIGTERM);
        EXPECT_EQ(g->wait(), 0);
    }
}

// During a key rotation real js-libp2p nodes on either generation of Alice's PSK are served; a
// key of neither generation is not.
TEST(interop_pnet, a_rotating_gateway_serves_libp2p_nodes_on_both_key_generations) {
    key_files keys;
    auto argv = gateway_argv(keys);
    argv.insert(argv.end(), {"--next-master-secret-file", keys("next.hex")});
    sealed_test::child_process gateway(argv);
    auto ws_line = gateway.read_line();
    ASSERT_TRUE(ws_line && gateway.read_line());
    auto id_line = gateway.read_line();
    ASSERT_TRUE(id_line);
    const auto gateway_id = id_line->substr(std::string("peer id ").size());
    const auto url = "ws://127.0.0.1:" + std::to_string(sealed_test::port_from_listening_line(*ws_line)) +
                     "/swarm/did:example:alice";
    for (const char* key : {"alice.key", "alice-next.key"})
        EXPECT_TRUE(libp2p_peer_served(sealed_test::run_to_end({node, libp2p_node_script, "--ws", url, "--psk-file",
                                                                keys(key)}, 30000), gateway_id, "/ws"))
            << key;
    auto neither = sealed_test::run_to_end({node, libp2p_node_script, "--ws", url, "--psk-file", keys("bob.key"),
                                            "--timeout-ms", "5000"}, 30000);
    EXPECT_NE(neither.exit_code, 0) << neither.output();
    gateway.signal(SIGTERM);
    EXPECT_EQ(gateway.wait(), 0);
}

TEST(interop_pnet, our_dialer_against_the_node_gateway) {
    key_files keys;
    sealed_test::server_process peer({node, peer_script, "--listen", "127.0.0.1:0", "--master-secret-file",
                                      keys("secret.hex")});
    ASSERT_NE(peer.port, 0) << "the Node peer did not start";
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        using client_t = sealed::pnet::swarm_client<ws>;
        const auto url = "ws://127.0.0.1:" + std::to_string(peer.port) + "/swarm/did:example:alice";
        const auto key = pnet::tenant_psk(keys.secret, "did:example:alice");
        auto pinger = co_await client_t::connect(io.get_executor(), url, key);
        CO_ASSERT_TRUE(pinger);
        CO_ASSERT_FALSE(co_await pinger->select(pnet::ping_protocol));
        for (int i = 0; i < 5; ++i) EXPECT_FALSE(co_await pinger->ping());
        auto a = co_await client_t::connect(io.get_executor(), url, key);
        auto b = co_await client_t::connect(io.get_executor(), url, key);
        CO_ASSERT_TRUE(a && b);
        CO_ASSERT_FALSE(co_await a->select(pnet::broadcast_protocol));
        CO_ASSERT_FALSE(co_await b->select(pnet::broadcast_protocol));
        CO_ASSERT_FALSE(co_await a->say("relayed by node"));
        auto heard = co_await b->hear();
        CO_ASSERT_TRUE(heard);
        EXPECT_EQ(*heard, "relayed by node");
    }());
}

}  // namespace
