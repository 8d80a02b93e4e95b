// ECDH-GCM against outside code over real loopback sockets:
// - a Node client whose crypto is IGNIS's own ECDH helper, against our stream_chat server;
// - our C++ client against the Node reference server (ws + node:crypto, bench/peers/ecdh_gcm);
// - the chat page in headless Chromium, two tabs, against our server.
// The Node scripts and packages come from tests/interop (installed by scripts/setup).
#include <sealed/ecdh_gcm/client.hpp>

#include <sealed_test/paths.hpp>
#include <sealed_test/process.hpp>
#include <sealed_test/run.hpp>
#include <sealed_test/stream_events.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace {

using namespace sealed;
using namespace std::chrono_literals;
using stream_client = ecdh_gcm::stream_client<ws>;
namespace json = boost::json;
using sealed_test::next_named;

const std::string source = sealed_test::source_dir();
const std::string node = sealed_test::node();

using sealed_test::server_process;

server_process our_chat_server() {
    return server_process({sealed_test::bin_dir() + "/stream_chat", "--listen", "127.0.0.1:0", "--log-level",
                           "warn"});
}

sealed_test::script_result run_script(std::vector<std::string> argv, int limit_ms) {
    argv.insert(argv.begin(), node);
    return sealed_test::run_to_end(std::move(argv), limit_ms);
}

TEST(interop, ignis_ecdh_helper_client_against_our_server) {
    auto server = our_chat_server();
    ASSERT_NE(server.port, 0);
    const auto url = "ws://127.0.0.1:" + std::to_string(server.port) + "/stream";
    auto r = run_script({source + "/tests/interop/ignis_client.mjs", url, "6"}, 30000);
    ASSERT_EQ(r.exit_code, 0) << r.output();
    ASSERT_FALSE(r.lines.empty());
    auto summary = json::parse(r.lines.back()).as_object();
    EXPECT_EQ(summary.at("ok"), true) << r.output();
    EXPECT_EQ(summary.at("echoed"), 6) << r.output();
}

TEST(interop, our_client_against_the_node_reference_server) {
    server_process peer({node, source + "/bench/peers/ecdh_gcm/server.mjs", "--listen", "127.0.0.1:0"});
    ASSERT_NE(peer.port, 0) << "the Node reference server did not start";
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        const auto url = "ws://127.0.0.1:" + std::to_string(peer.port) + "/stream";
        const client_config cfg;
        ecdh_gcm::options as_alice, as_bob;
        as_alice.token = "alice";
        as_bob.token = "bob";
        auto alice = co_await stream_client::connect(io.get_executor(), url, cfg, as_alice);
        auto bob = co_await stream_client::connect(io.get_executor(), url, cfg, as_bob);
        CO_ASSERT_TRUE(alice && bob);
        EXPECT_TRUE(alice->encrypted());
        EXPECT_EQ(alice->user_id(), "alice");
        EXPECT_EQ(alice->id().size(), 32u);

        // Echo round trips: small, non-ASCII, 16 KiB — the Node server decrypts and re-encrypts.
        const std::vector<json::value> payloads = {json::value("hi"), json::value("grüße ✓ 你好"),
                                                   json::value(std::string(16 * 1024, 'z'))};
        for (const auto& payload : payloads) {
            CO_ASSERT_FALSE(co_await alice->emit("echo", payload));
            auto back = co_await next_named(*alice, "echo");
            CO_ASSERT_TRUE(back);
            EXPECT_EQ(*back, payload);
        }

        // Rooms and relay through the Node server.
        const std::vector<std::string> lobby{"lobby"};
        CO_ASSERT_FALSE(co_await alice->join(lobby));
        CO_ASSERT_FALSE(co_await bob->join(lobby));
        CO_ASSERT_TRUE(co_await next_named(*alice, "joined"));
        CO_ASSERT_TRUE(co_await next_named(*bob, "joined"));
        const json::value chat = {{"room", "lobby"}, {"name", "alice"}, {"text", "from C++"}};
        CO_ASSERT_FALSE(co_await alice->emit("chat", chat));
        auto got = co_await next_named(*bob, "chat");
        CO_ASSERT_TRUE(got);
        EXPECT_EQ(got->at("text").as_string(), "from C++");
        EXPECT_EQ(got->at("from").as_string(), alice->id());
        co_await alice->close();
        co_await bob->close();
    }());
}

TEST(interop, chat_page_in_headless_chromium_two_tabs) {
    auto server = our_chat_server();
    ASSERT_NE(server.port, 0);
    const auto base = "http://127.0.0.1:" + std::to_string(server.port) + "/";
    auto r = run_script({source + "/tests/browser/stream_chat.mjs", base}, 90000);
    EXPECT_EQ(r.exit_code, 0) << r.output();
}

// The chat page under server restarts: the script starts stream_chat itself (it restarts it on
// the same port), stops it with SIGTERM and later SIGKILL under two open tabs, and checks that
// both show reconnecting (with the policy's backoff) then reconnected, rejoin their room, and
// chat both ways again without a reload; every new connection a new handshake, all encrypted.
// The JS client's bearer option against stream_chat with and without --bearer-subprotocol.
TEST(interop, sealed_stream_js_bearer_subprotocol_against_our_server) {
    server_process with({sealed_test::bin_dir() + "/stream_chat", "--listen", "127.0.0.1:0", "--log-level", "warn",
                         "--bearer-subprotocol"});
    auto without = our_chat_server();
    ASSERT_NE(with.port, 0);
    ASSERT_NE(without.port, 0);
    auto r = run_script({source + "/tests/interop/stream_bearer.mjs",
                         "ws://127.0.0.1:" + std::to_string(with.port) + "/stream",
                         "ws://127.0.0.1:" + std::to_string(without.port) + "/stream"},
                        30000);
    EXPECT_EQ(r.exit_code, 0) << r.output();
    EXPECT_NE(r.output().find("\"ok\":true"), std::string::npos) << r.output();
}

TEST(interop, chat_page_in_headless_chromium_survives_server_restarts) {
    auto r = run_script({source + "/tests/browser/stream_chat_restart.mjs", sealed_test::bin_dir() + "/stream_chat",
                         "--log-level", "warn"},
                        90000);
    EXPECT_EQ(r.exit_code, 0) << r.output();
    EXPECT_NE(r.output().find("\"ok\":true"), std::string::npos) << r.output();
}

// The real peerjs client in two Chromium pages, signaling through peer_broker: both register,
// A opens a DataConnection to B, a message goes each way, and OFFER/ANSWER/CANDIDATE crossed
// the broker (the script checks the pages' WebSocket frames).
TEST(interop, peerjs_datachannel_in_headless_chromium_via_peer_broker) {
    server_process broker({sealed_test::bin_dir() + "/peer_broker", "--listen", "127.0.0.1:0", "--path", "/myapp",
                           "--log-level", "warn"});
    ASSERT_NE(broker.port, 0);
    auto r = run_script({source + "/tests/browser/peerjs_datachannel.mjs", "127.0.0.1", std::to_string(broker.port),
                         "/myapp"},
                        90000);
    EXPECT_EQ(r.exit_code, 0) << r.output();
    EXPECT_NE(r.output().find("\"ok\":true"), std::string::npos) << r.output();
}

}  // namespace
