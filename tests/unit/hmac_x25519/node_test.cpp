// An HMAC-X25519 node over real loopback WebSockets: refusals reach the initiator as Go's
// handshake_ack {accepted:false, reason} and a close; every bad frame after the handshake closes
// only the offending connection (1002 / 1008) while a well-behaved node on the same server keeps
// being served; a replayed message id is dropped by the runtime's dedup.
#include <sealed/hmac_x25519/scheme.hpp>
#include <sealed/server.hpp>

#include <sealed_test/raw_client.hpp>
#include <sealed_test/run.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace {

using namespace sealed;
using namespace sealed::hmac_x25519;
using namespace std::chrono_literals;
using sealed_test::run;
using node_server = server<ws, scheme>;
using connection_t = node_server::connection_type;
using raw_client = sealed_test::raw_client<cipher>;
namespace json = boost::json;

options node(std::string_view name) {
    options o;
    o.identity = std::make_shared<node_identity>(node_identity::generate(name));
    return o;
}

struct fixture {
    net::io_context io;
    server_config cfg;
    options opts = node("server");
    std::unique_ptr<node_server> srv;
    std::uint16_t port = 0;
    std::vector<std::string> received;  // app messages, in order

    fixture() {
        cfg.listen = "127.0.0.1:0";
        cfg.ws_path = "/ws";
    }
    void start() {
        srv = std::make_unique<node_server>(io, cfg, opts);
        srv->on_session([this](connection_t& c) -> awaitable<void> {
            message_buffer in;
            while (!co_await c.async_receive(in)) {
                received.emplace_back(in.text());
                if (co_await c.async_send(in.bytes())) break;
            }
        });
        port = srv->start().value().port();
    }
    awaitable<std::optional<raw_client>> open() {
        const auto target = url::parse("ws://127.0.0.1:" + std::to_string(port) + "/ws").value();
        const transport::websocket_options ws_opts;
        auto stream = co_await transport::async_connect_ws(io.get_executor(), target, ws_opts);
        if (!stream) co_return std::nullopt;
        co_return raw_client{std::move(*stream), std::nullopt, {}};
    }
    // Handshaken with `who`'s identity, as a real node would be.
    awaitable<std::optional<raw_client>> joined(const options& who) {
        auto c = co_await open();
        if (!c) co_return std::nullopt;
        handshake h(role::client, who);
        auto done = co_await run_handshake(c->stream, h, 5s);
        if (!done) co_return std::nullopt;
        c->cipher.emplace(std::move(done->cipher));
        c->id = done->peer_id;
        co_return c;
    }
    static std::string chat(const options& from, std::string_view text) {
        return wire::serialize(wire::make_envelope("chat", from.identity->id(), "", json::object{{"text", text}}));
    }
    static awaitable<bool> echoes(raw_client& c, const options& from, std::string_view text) {
        const auto message = chat(from, text);
        if (co_await c.write_sealed(message)) co_return false;
        co_return co_await c.read_opened() == message;
    }
    ~fixture() {
        if (srv) srv->stop();
        sealed_test::drain(io);
    }
};

// A hello from `who`, with `edit` applied to its JSON.
std::string hello_from(const options& who, const std::function<void(json::object&)>& edit) {
    handshake h(role::client, who);
    auto out = h.start().out.front().data;
    auto hello = json::parse(std::string(out.begin(), out.end())).as_object();
    edit(hello);
    return json::serialize(hello);
}

TEST(hmac_x25519_node, refusals_reach_the_initiator_with_their_reason_and_a_close) {
    fixture f;
    f.opts.mode = auth_mode::allowlist;
    auto list = std::make_shared<allowlist>();
    const auto friendly = node("friend");
    list->allow_id(friendly.identity->id());
    f.opts.peers = list;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto bystander = co_await f.joined(friendly);
        CO_ASSERT_TRUE(bystander);
        struct refusal {
            std::string hello;
            std::string reason;
        } cases[] = {
            {hello_from(friendly, [](json::object& m) { m["payload"].as_object()["version"] = "2.0"; }),
             "incompatible protocol version 2.0, supported: [1.0]"},
            {hello_from(node("stranger"), [](json::object&) {}), "peer not authorized"},
            {hello_from(friendly, [](json::object& m) {
                 m["payload"].as_object()["identity"].as_object()["publicKey"] = "AAAA";
             }),
             "invalid identity public key"},
        };
        for (const auto& c : cases) {
            auto raw = co_await f.open();
            CO_ASSERT_TRUE(raw);
            CO_ASSERT_FALSE(co_await raw->write(c.hello));
            auto ack = json::parse(co_await raw->read()).as_object();
            EXPECT_EQ(ack.at("type"), "handshake_ack");
            EXPECT_EQ(ack.at("payload").at("accepted"), false);
            EXPECT_EQ(ack.at("payload").at("reason").as_string(), c.reason);
            EXPECT_EQ(co_await raw->close_code(), close_code::policy_violation) << c.reason;
            EXPECT_TRUE(co_await fixture::echoes(*bystander, friendly, "still served")) << c.reason;
        }
        // The initiator's side of a refusal: a clean error, with the condition apps test.
        auto stranger = node("stranger");
        auto c = co_await f.open();
        CO_ASSERT_TRUE(c);
        handshake h(role::client, stranger);
        auto refused = co_await run_handshake(c->stream, h, 5s);
        CO_ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error(), error::handshake_refused);
        EXPECT_EQ(refused.error(), condition::handshake_failed);
    });
}

TEST(hmac_x25519_node, bad_frames_after_the_handshake_close_only_that_connection) {
    fixture f;
    f.start();
    const auto alice = node("alice");
    run(f.io, [&]() -> awaitable<void> {
        auto bystander = co_await f.joined(alice);
        CO_ASSERT_TRUE(bystander);
        // A real frame to cut and bend.
        message_buffer good;
        auto keyed = cipher(smsg::codec::create(bytes(32, 1)).value());
        const auto message = fixture::chat(alice, "x");
        CO_ASSERT_FALSE(keyed.seal(as_bytes(message), good));
        const bytes frame(good.bytes().begin(), good.bytes().end());
        auto edited = [&](auto edit) {
            bytes b = frame;
            edit(b);
            return b;
        };
        struct bad {
            std::string what;
            bytes wire;
            bool sealed_with_session_key;
            std::uint16_t close;
        } cases[] = {
            {"not SMSG", bytes{'h', 'e', 'l', 'l', 'o'}, false, close_code::protocol_error},
            {"wrong magic", edited([](bytes& b) { b[0] = 'X'; }), false, close_code::protocol_error},
            {"truncated", edited([](bytes& b) { b.resize(30); }), false, close_code::protocol_error},
            {"header length past the end", edited([](bytes& b) { b[5] = 0x7f; }), false, close_code::protocol_error},
            {"tag mismatch (another key)", frame, false, close_code::policy_violation},
            {"tag mismatch (flipped bit)", {}, true, close_code::policy_violation},
        };
        for (auto& c : cases) {
            auto conn = co_await f.joined(node("mallory"));
            CO_ASSERT_TRUE(conn);
            if (c.sealed_with_session_key) {
                message_buffer wire;
                CO_ASSERT_FALSE(conn->cipher->seal(as_bytes(message), wire));
                c.wire.assign(wire.bytes().begin(), wire.bytes().end());
                c.wire.back() ^= 0x01;
            }
            CO_ASSERT_FALSE(co_await conn->stream.async_write(c.wire, message_kind::binary));
            EXPECT_EQ(co_await conn->close_code(), c.close) << c.what;
            EXPECT_TRUE(co_await fixture::echoes(*bystander, alice, c.what)) << c.what;
        }
        EXPECT_EQ(f.received.size(), std::size(cases)) << "only the bystander's messages reached the app";
    });
}

TEST(hmac_x25519_node, a_replayed_message_id_is_dropped_by_dedup) {
    fixture f;
    f.start();
    const auto alice = node("alice");
    run(f.io, [&]() -> awaitable<void> {
        auto c = co_await f.joined(alice);
        CO_ASSERT_TRUE(c);
        const auto first = fixture::chat(alice, "once");
        // Sealed twice: two different frames (fresh nonces) carrying one message id.
        CO_ASSERT_FALSE(co_await c->write_sealed(first));
        CO_ASSERT_FALSE(co_await c->write_sealed(first));
        const auto second = fixture::chat(alice, "next");
        CO_ASSERT_FALSE(co_await c->write_sealed(second));
        EXPECT_EQ(co_await c->read_opened(), first);
        EXPECT_EQ(co_await c->read_opened(), second);
        EXPECT_EQ(f.received, (std::vector<std::string>{first, second}));
        EXPECT_EQ(f.srv->stats().dropped_duplicate.load(), 1u);
    });
}

}  // namespace

namespace {

// A connection that never says hello is closed at the scheme's handshake_timeout with 1008,
// and a node that joins meanwhile is served.
TEST(hmac_x25519_node, a_silent_connection_is_closed_at_the_handshake_timeout) {
    fixture f;
    f.opts.handshake_timeout = 300ms;
    f.start();
    const options good = node("good");
    run(f.io, [&]() -> awaitable<void> {
        auto silent = co_await f.open();
        CO_ASSERT_TRUE(silent);
        const auto opened = std::chrono::steady_clock::now();
        auto peer = co_await f.joined(good);
        CO_ASSERT_TRUE(peer);
        CO_ASSERT_TRUE(co_await fixture::echoes(*peer, good, "still served"));
        EXPECT_EQ(co_await silent->close_code(3s), 1008);
        const auto waited = std::chrono::steady_clock::now() - opened;
        EXPECT_GE(waited, 250ms);
        EXPECT_LT(waited, 2s);
        CO_ASSERT_TRUE(co_await fixture::echoes(*peer, good, "and after"));
    }());
}

}  // namespace
