// HMAC-X25519 against an outside implementation over real loopback WebSockets: the Node peer
// (bench/peers/hmac_x25519: ws + node:crypto + @noble/ciphers, written from the Go transport's
// format) handshakes with our node in both roles and messages flow both ways.
#include <sealed/client.hpp>
#include <sealed/hmac_x25519/scheme.hpp>
#include <sealed/server.hpp>

#include <sealed_test/paths.hpp>
#include <sealed_test/process.hpp>
#include <sealed_test/run.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <thread>

namespace {

using namespace sealed;
using namespace sealed::hmac_x25519;
using namespace std::chrono_literals;
namespace json = boost::json;

const std::string source = sealed_test::source_dir();
const std::string node = sealed_test::node();
const std::string peer_script = source + "/bench/peers/hmac_x25519/node.mjs";

options identity_options(std::string_view name) {
    options o;
    o.identity = std::make_shared<node_identity>(node_identity::generate(name));
    return o;
}

// Our responder app: ping → pong, anything else → a reply with the same type and payload.
template <class Connection>
awaitable<void> answer(Connection& c, const node_identity& me, std::vector<std::string>& seen) {
    message_buffer in;
    while (!co_await c.async_receive(in)) {
        auto message = wire::parse(in.text());
        if (!message) continue;
        seen.push_back(message->type);
        const auto reply = message->type == wire::type::ping
                               ? wire::make_pong(*message)
                               : wire::make_envelope(message->type, me.id(), message->from, message->payload, message->id);
        const auto text = wire::serialize(reply);
        if (co_await c.async_send(as_bytes(text))) break;
    }
}

TEST(interop_hmac_x25519, node_initiator_against_our_responder) {
    net::io_context io;
    server_config cfg;
    cfg.listen = "127.0.0.1:0";
    cfg.ws_path = "/ws";
    auto opts = identity_options("sealed");
    server<ws, scheme> srv(io, cfg, opts);
    std::vector<std::string> seen;
    srv.on_session([&](auto& c) { return answer(c, *opts.identity, seen); });
    const auto port = srv.start().value().port();
    std::thread loop([&] { io.run_for(20s); });

    const auto url = "ws://127.0.0.1:" + std::to_string(port) + "/ws";
    sealed_test::child_process peer({node, peer_script, "--dial", url, "--count", "4", "--expect-id", opts.identity->id()});
    auto line = peer.read_line(15000);
    const auto exit_code = peer.wait(5000);
    io.stop();
    loop.join();
    ASSERT_TRUE(line) << "the Node peer printed nothing";
    auto summary = json::parse(*line).as_object();
    EXPECT_EQ(summary.at("ok"), true) << *line;
    EXPECT_EQ(summary.at("pong"), true) << *line;
    EXPECT_EQ(summary.at("replies"), 4) << *line;
    EXPECT_EQ(summary.at("peer").as_string(), opts.identity->id());
    EXPECT_EQ(exit_code, 0);
    EXPECT_EQ(seen, (std::vector<std::string>{"ping", "chat", "chat", "chat", "chat"}));
}

TEST(interop_hmac_x25519, our_initiator_against_the_node_responder) {
    sealed_test::child_process peer({node, peer_script, "--listen", "127.0.0.1:0"});
    auto listening = peer.read_line(15000);
    auto id_line = peer.read_line(5000);
    ASSERT_TRUE(listening && id_line) << "the Node peer did not start";
    const auto port = sealed_test::port_from_listening_line(*listening);
    const auto peer_id = id_line->substr(std::string("node id ").size());

    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        auto opts = identity_options("sealed");
        opts.expected_peer_id = peer_id;
        const auto url = "ws://127.0.0.1:" + std::to_string(port) + "/ws";
        const client_config cfg;
        auto channel = co_await client<ws, scheme>::connect(io.get_executor(), std::string_view(url), cfg, opts);
        CO_ASSERT_TRUE(channel);
        EXPECT_EQ(channel->peer_id(), peer_id);

        const auto ping = wire::make_envelope(wire::type::ping, opts.identity->id(), peer_id,
                                              json::object{{"sentAt", wire::unix_millis_now()}});
        const auto ping_text = wire::serialize(ping);
        CO_ASSERT_FALSE(co_await channel->async_send(as_bytes(ping_text)));
        message_buffer in;
        CO_ASSERT_FALSE(co_await channel->async_receive(in));
        auto pong = wire::parse(in.text()).value();
        EXPECT_EQ(pong.type, "pong");
        EXPECT_EQ(pong.reply_to, ping.id);

        // Non-ASCII, HTML characters (escaped inside SMSG by Go's rules) and 64 KiB.
        for (std::string text : {std::string("hello"), std::string("grüße <&> ✓ 你好"), std::string(64 * 1024, 'z')}) {
            const auto chat = wire::make_envelope("chat", opts.identity->id(), peer_id, json::object{{"text", text}});
            const auto chat_text = wire::serialize(chat);
            CO_ASSERT_FALSE(co_await channel->async_send(as_bytes(chat_text)));
            CO_ASSERT_FALSE(co_await channel->async_receive(in));
            auto reply = wire::parse(in.text()).value();
            EXPECT_EQ(reply.reply_to, chat.id);
            EXPECT_EQ(reply.from, peer_id);
            EXPECT_EQ(reply.payload.at("text").as_string(), text);
        }
        const close_reason bye{close_code::normal, "bye"};
        co_await channel->async_close(bye);
    }());
    peer.signal(SIGTERM);
    peer.wait();
}

}  // namespace
