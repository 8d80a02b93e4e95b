// The ECDH-GCM server over real loopback WebSockets: each bad input named in the issue gets its
// documented error event and close code, and a well-behaved client on the same server keeps
// being served; plus rooms, the 4001/4002 timeouts and the key map's wipe on disconnect.
#include <sealed/client.hpp>
#include <sealed/crypto/encoding.hpp>
#include <sealed/ecdh_gcm/scheme.hpp>
#include <sealed/server.hpp>

#include <sealed_test/raw_client.hpp>
#include <sealed_test/run.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace {

using namespace sealed;
using namespace std::chrono_literals;
using sealed_test::run;
using sealed_test::sleep_for;
using stream_server = server<ws, ecdh_gcm::scheme>;
using connection_t = stream_server::connection_type;
constexpr auto nothrow = net::as_tuple(net::use_awaitable);

// The app: echoes every inner event back to its sender.
awaitable<void> echo(connection_t& c) { return sealed_test::echo(c, message_kind::text); }

using raw_client = sealed_test::raw_client<ecdh_gcm::cipher>;

std::string error_code_of(const std::string& frame) {
    boost::system::error_code ec;
    auto v = boost::json::parse(frame, ec);
    if (ec || !v.is_object() || v.as_object()["event"] != "error") return "<not an error event: " + frame + ">";
    return std::string(v.at("data").at("code").as_string());
}

struct fixture {
    net::io_context io;
    server_config cfg;
    ecdh_gcm::options opts;
    std::unique_ptr<stream_server> srv;
    std::uint16_t port = 0;

    fixture() {
        cfg.listen = "127.0.0.1:0";
        cfg.ws_path = "/stream";
    }
    void start() {
        srv = std::make_unique<stream_server>(io, cfg, opts);
        srv->on_session([](connection_t& c) { return echo(c); });
        port = srv->start().value().port();
    }
    awaitable<std::optional<raw_client>> open() {
        const auto target = url::parse("ws://127.0.0.1:" + std::to_string(port) + "/stream").value();
        const transport::websocket_options ws_opts;
        auto stream = co_await transport::async_connect_ws(io.get_executor(), target, ws_opts);
        if (!stream) co_return std::nullopt;
        co_return raw_client{std::move(*stream), std::nullopt, {}};
    }
    // Connected and authenticated with an ephemeral key, as a real client would be.
    awaitable<std::optional<raw_client>> authenticated(std::string token = "alice") {
        auto c = co_await open();
        if (!c) co_return std::nullopt;
        ecdh_gcm::options client_opts;
        client_opts.token = std::move(token);
        ecdh_gcm::handshake h(role::client, client_opts);
        auto done = co_await run_handshake(c->stream, h, 5s);
        if (!done) co_return std::nullopt;
        c->cipher.emplace(std::move(done->cipher));
        c->id = done->session_id;
        co_return c;
    }
    // The well-behaved client's check: an echo round trip.
    static awaitable<bool> echoes(raw_client& c, const std::string& text) {
        const auto inner = R"({"event":"say","data":{"text":")" + text + R"("}})";
        if (co_await c.write_sealed(inner)) co_return false;
        co_return co_await c.read_opened() == inner;
    }
    ~fixture() {
        if (srv) srv->stop();
        sealed_test::drain(io);
    }
};

TEST(ecdh_gcm_server, frames_before_authenticate_get_error_events_and_the_connection_stays) {
    fixture f;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto c = co_await f.open();
        CO_ASSERT_TRUE(c);
        for (std::string bad : {"not json", R"({"data":{}})"}) {
            CO_ASSERT_FALSE(co_await c->write(bad));
            EXPECT_EQ(error_code_of(co_await c->read()), "invalid_message_format") << bad;
        }
        CO_ASSERT_FALSE(co_await c->write(R"({"event":"say","data":{}})"));
        EXPECT_EQ(error_code_of(co_await c->read()), "not_authenticated");
        // Still open: authenticating on the same connection works.
        ecdh_gcm::handshake h(role::client, {});
        auto done = co_await run_handshake(c->stream, h, 5s);
        CO_ASSERT_TRUE(done);
        c->cipher.emplace(std::move(done->cipher));
        EXPECT_TRUE(co_await fixture::echoes(*c, "after errors"));
    });
}

TEST(ecdh_gcm_server, refused_authentications_close_with_the_ignis_codes) {
    fixture f;
    f.start();
    auto key = crypto::p256_private_key::generate();
    bytes off_curve(key.public_key().bytes().begin(), key.public_key().bytes().end());
    off_curve[64] ^= 1;
    const bytes infinity(65, 0), short_key(33, 4);  // 0x04-prefixed: neither form
    auto b64 = [](const_bytes b) { return crypto::base64_encode(b); };
    const struct {
        std::string data, code;
        std::uint16_t close;
    } cases[] = {
        {R"({"type":"Bearer","token":"u"})", "encryption_required", 4004},
        {R"({"type":"Bearer","token":"","clientPublicKey":")" + b64(key.public_key().bytes()) + "\"}",
         "authentication_failed", 4003},
        {R"({"type":"Bearer","token":"u","clientPublicKey":"%%%not base64"})", "invalid_public_key", 4003},
        {R"({"type":"Bearer","token":"u","clientPublicKey":")" + b64(short_key) + "\"}", "invalid_public_key", 4003},
        {R"({"type":"Bearer","token":"u","clientPublicKey":")" + b64(off_curve) + "\"}", "invalid_public_key", 4003},
        {R"({"type":"Bearer","token":"u","clientPublicKey":")" + b64(infinity) + "\"}", "invalid_public_key", 4003},
    };
    run(f.io, [&]() -> awaitable<void> {
        auto good = co_await f.authenticated("good");
        CO_ASSERT_TRUE(good);
        for (const auto& c : cases) {
            auto bad = co_await f.open();
            CO_ASSERT_TRUE(bad);
            const auto frame = R"({"event":"authenticate","data":)" + c.data + "}";
            CO_ASSERT_FALSE(co_await bad->write(frame));
            EXPECT_EQ(error_code_of(co_await bad->read()), c.code) << c.data;
            EXPECT_EQ(co_await bad->close_code(), c.close) << c.data;
            EXPECT_TRUE(co_await fixture::echoes(*good, "still served")) << c.data;
        }
    });
}

TEST(ecdh_gcm_server, encrypted_frames_that_do_not_open_close_the_offender_only) {
    fixture f;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto good = co_await f.authenticated("good");
        CO_ASSERT_TRUE(good);
        enum class tamper { short_iv, truncated_tag, flipped_bit, plaintext };
        for (auto how : {tamper::short_iv, tamper::truncated_tag, tamper::flipped_bit, tamper::plaintext}) {
            auto bad = co_await f.authenticated("mallory");
            CO_ASSERT_TRUE(bad);
            message_buffer wire;
            CO_ASSERT_FALSE(bad->cipher->seal(as_bytes(std::string(R"({"event":"say","data":{}})")), wire));
            auto v = boost::json::parse(wire.text()).as_object();
            std::string iv(v["data"].at("iv").as_string());
            auto ct = crypto::base64_decode(std::string_view(v["data"].at("ct").as_string())).value();
            if (how == tamper::short_iv) iv = "AAAA";
            if (how == tamper::truncated_tag) ct.resize(ct.size() - 1);
            if (how == tamper::flipped_bit) ct[3] ^= 0x10;
            const auto frame = how == tamper::plaintext
                                   ? std::string(R"({"event":"say","data":{"text":"in clear"}})")
                                   : R"({"event":"encrypted","data":{"iv":")" + iv + R"(","ct":")" +
                                         crypto::base64_encode(ct) + R"("}})";
            CO_ASSERT_FALSE(co_await bad->write(frame));
            const bool clear = how == tamper::plaintext;
            EXPECT_EQ(error_code_of(co_await bad->read()), clear ? "encryption_required" : "decrypt_failed");
            EXPECT_EQ(co_await bad->close_code(), clear ? 4004 : 4003);
            EXPECT_TRUE(co_await fixture::echoes(*good, "still served"));
        }
    });
}

TEST(ecdh_gcm_server, frames_that_are_not_events_get_an_error_event_and_the_connection_stays) {
    fixture f;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto c = co_await f.authenticated();
        CO_ASSERT_TRUE(c);
        CO_ASSERT_FALSE(co_await c->write("garbage"));  // the outer frame is not JSON
        EXPECT_EQ(error_code_of(co_await c->read()), "invalid_message_format");
        for (std::string inner : {"not json", R"({"data":{}})"}) {  // the inner event is not one
            CO_ASSERT_FALSE(co_await c->write_sealed(inner));
            EXPECT_EQ(error_code_of(co_await c->read()), "invalid_message_format") << inner;
        }
        CO_ASSERT_FALSE(co_await c->write_sealed(R"({"event":"authenticate","data":{"token":"x"}})"));
        EXPECT_EQ(error_code_of(co_await c->read()), "already_authenticated");
        EXPECT_TRUE(co_await fixture::echoes(*c, "still open"));
        EXPECT_EQ(f.srv->stats().dropped_failed_open + f.srv->stats().dropped_invalid, 4u);
    });
}

TEST(ecdh_gcm_server, an_oversized_frame_closes_with_1009) {
    fixture f;
    f.cfg.max_message_size = 1024;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto good = co_await f.authenticated("good");
        auto big = co_await f.authenticated("big");
        CO_ASSERT_TRUE(good && big);
        const auto huge = R"({"event":"say","data":")" + std::string(64 * 1024, 'x') + "\"}";
        CO_ASSERT_FALSE(co_await big->write_sealed(huge));
        EXPECT_EQ(co_await big->close_code(), 1009);
        EXPECT_TRUE(co_await fixture::echoes(*good, "still served"));
    });
}

// A session key that has sealed its last message: the server cannot answer, so it closes with
// 1008 and says why (the client reconnects for a new key); other connections are not affected.
TEST(ecdh_gcm_server, a_spent_session_key_closes_1008_with_the_reason_and_others_go_on) {
    fixture f;
    f.opts.max_messages_per_key = 2;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto good = co_await f.authenticated("good");
        auto spent = co_await f.authenticated("spent");
        CO_ASSERT_TRUE(good && spent);
        EXPECT_TRUE(co_await fixture::echoes(*spent, "one"));
        EXPECT_TRUE(co_await fixture::echoes(*spent, "two"));
        EXPECT_FALSE(co_await fixture::echoes(*spent, "three")) << "a third message sealed with a spent key";
        EXPECT_EQ(co_await spent->close_code(), 1008);
        const auto reason = spent->stream.peer_close_reason();
        CO_ASSERT_TRUE(reason);
        EXPECT_EQ(reason->reason, make_error_code(errc::nonce_exhausted).message());
        EXPECT_TRUE(co_await fixture::echoes(*good, "still served"));
    });
}

TEST(ecdh_gcm_server, a_client_that_never_authenticates_is_closed_with_4001) {
    fixture f;
    f.opts.authentication_timeout = 300ms;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto silent = co_await f.open();
        auto good = co_await f.authenticated("good");
        CO_ASSERT_TRUE(silent && good);
        const auto started = std::chrono::steady_clock::now();
        EXPECT_EQ(co_await silent->close_code(), 4001);
        EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
        EXPECT_TRUE(co_await fixture::echoes(*good, "still served"));
    });
}

TEST(ecdh_gcm_server, a_client_that_stops_heartbeating_is_closed_with_4002) {
    fixture f;
    f.opts.heartbeat_timeout = 600ms;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto beating = co_await f.authenticated("beating");
        auto silent = co_await f.authenticated("silent");
        CO_ASSERT_TRUE(beating && silent);
        auto heartbeats = [&]() -> awaitable<void> {
            for (int i = 0; i < 10; ++i) {  // 1.5 s: well past the timeout
                if (co_await beating->write_sealed(R"({"event":"heartbeat"})")) co_return;
                co_await sleep_for(150ms);
            }
        };
        using namespace net::experimental::awaitable_operators;
        const std::uint16_t code = co_await (silent->close_code(5s) && heartbeats());
        EXPECT_EQ(code, 4002);
        EXPECT_TRUE(co_await fixture::echoes(*beating, "alive")) << "heartbeats keep a client";
        EXPECT_EQ(f.srv->stats().closed_liveness, 1u);
    });
}

TEST(ecdh_gcm_server, rooms_default_joined_and_left) {
    fixture f;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto a = co_await f.authenticated("a");
        auto b = co_await f.authenticated("b");
        CO_ASSERT_TRUE(a && b);
        auto conn_a = f.srv->get_session(a->id);
        CO_ASSERT_TRUE(conn_a);
        auto rooms = conn_a->rooms();
        std::sort(rooms.begin(), rooms.end());
        EXPECT_EQ(rooms, (std::vector<std::string>{a->id, "ws-default", "ws-notification"}));  // IGNIS's defaults

        CO_ASSERT_FALSE(co_await a->write_sealed(R"({"event":"join","data":{"rooms":["lobby","ws:internal",""]}})"));
        EXPECT_TRUE(co_await fixture::echoes(*a, "joined"));  // the join was handled before this
        EXPECT_EQ(f.srv->rooms().members("lobby"), (std::vector<std::uint64_t>{conn_a->id()}));
        EXPECT_TRUE(f.srv->rooms().members("ws:internal").empty()) << "IGNIS's internal prefix is refused";

        const std::string news = R"({"event":"news","data":"for the lobby"})";
        EXPECT_EQ(f.srv->send_to_room("lobby", as_bytes(news), message_kind::text), 1u);
        EXPECT_EQ(co_await a->read_opened(), news);
        EXPECT_TRUE(co_await fixture::echoes(*b, "nothing else came first")) << "b is not in the lobby";
        EXPECT_EQ(f.srv->send_to_room("ws-default", as_bytes(news), message_kind::text), 2u);
        EXPECT_EQ(co_await a->read_opened(), news);
        EXPECT_EQ(co_await b->read_opened(), news);

        CO_ASSERT_FALSE(co_await a->write_sealed(R"({"event":"leave","data":{"rooms":["lobby"]}})"));
        CO_ASSERT_TRUE(co_await fixture::echoes(*a, "left"));
        EXPECT_TRUE(f.srv->rooms().members("lobby").empty());

        // IGNIS's room names: non-empty, at most 256 characters.
        const std::string longest(256, 'r'), too_long(257, 'r');
        const std::string join_long = R"({"event":"join","data":{"rooms":[")" + longest + R"(",")" + too_long + R"("]}})";
        CO_ASSERT_FALSE(co_await a->write_sealed(join_long));
        CO_ASSERT_TRUE(co_await fixture::echoes(*a, "joined long"));
        EXPECT_EQ(f.srv->rooms().members(longest).size(), 1u);
        EXPECT_TRUE(f.srv->rooms().members(too_long).empty());
        EXPECT_TRUE(f.srv->rooms().members("").empty());

        // max_rooms (64 by default) bounds what one connection can make the server hold.
        std::string many = R"({"event":"join","data":{"rooms":[)";
        for (int i = 0; i < 100; ++i) many += (i ? ",\"r" : "\"r") + std::to_string(i) + "\"";
        many += "]}}";
        CO_ASSERT_FALSE(co_await a->write_sealed(many));
        CO_ASSERT_TRUE(co_await fixture::echoes(*a, "joined many"));
        EXPECT_EQ(conn_a->rooms().size(), server_config{}.max_rooms);
        // The connection is still served.
        EXPECT_EQ(f.srv->send_to_room("ws-default", as_bytes(news), message_kind::text), 2u);
        EXPECT_EQ(co_await a->read_opened(), news);
    });
}

TEST(ecdh_gcm_server, join_filter_decides_and_rooms_go_with_the_connection) {
    fixture f;
    f.start();
    f.srv->on_join([](connection_t&, std::vector<std::string> rooms) {
        std::erase(rooms, "secret");
        return rooms;
    });
    run(f.io, [&]() -> awaitable<void> {
        auto a = co_await f.authenticated("a");
        CO_ASSERT_TRUE(a);
        CO_ASSERT_FALSE(co_await a->write_sealed(R"({"event":"join","data":{"rooms":["open","secret"]}})"));
        CO_ASSERT_TRUE(co_await fixture::echoes(*a, "joined"));
        EXPECT_EQ(f.srv->rooms().members("open").size(), 1u);
        EXPECT_TRUE(f.srv->rooms().members("secret").empty());
        const close_reason bye{close_code::normal, "bye"};
        co_await a->stream.async_close(bye);
        for (int i = 0; i < 100 && f.srv->rooms().room_count() > 0; ++i) co_await sleep_for(10ms);
        EXPECT_EQ(f.srv->rooms().room_count(), 0u) << "a closed connection leaves every room";
    });
}

TEST(ecdh_gcm_server, a_quiet_connection_gives_back_its_aes_context_until_the_next_message) {
    fixture f;
    f.cfg.ping_interval = 100ms;  // the keepalive's tick
    f.srv = std::make_unique<stream_server>(f.io, f.cfg, f.opts);
    connection_t* conn = nullptr;
    f.srv->on_session([&](connection_t& c) {
        conn = &c;
        return echo(c);
    });
    f.port = f.srv->start().value().port();
    run(f.io, [&]() -> awaitable<void> {
        auto a = co_await f.authenticated("a");
        CO_ASSERT_TRUE(a);
        EXPECT_TRUE(co_await fixture::echoes(*a, "first"));
        CO_ASSERT_TRUE(conn != nullptr);
        EXPECT_TRUE(conn->channel().cipher().holds_context());
        for (int i = 0; i < 100 && conn->channel().cipher().holds_context(); ++i) co_await sleep_for(10ms);
        EXPECT_FALSE(conn->channel().cipher().holds_context()) << "a quiet connection kept its AES-GCM context";
        EXPECT_TRUE(co_await fixture::echoes(*a, "after a quiet while")) << "the context was not rebuilt from the key";
        EXPECT_TRUE(conn->channel().cipher().holds_context());
    });
}

TEST(ecdh_gcm_server, session_keys_are_listed_by_client_id_and_wiped_on_disconnect) {
    fixture f;
    std::vector<bytes> wiped;
    f.opts.keys->on_wiped([&](const_bytes key) { wiped.emplace_back(key.begin(), key.end()); });
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto a = co_await f.authenticated("a");
        CO_ASSERT_TRUE(a);
        EXPECT_TRUE(f.opts.keys->contains(a->id));
        EXPECT_EQ(f.opts.keys->size(), 1u);
        const close_reason bye{close_code::normal, "bye"};
        co_await a->stream.async_close(bye);
        for (int i = 0; i < 100 && f.opts.keys->contains(a->id); ++i) co_await sleep_for(10ms);
        EXPECT_FALSE(f.opts.keys->contains(a->id)) << "the key outlived its connection";
        EXPECT_EQ(f.opts.keys->size(), 0u);
        CO_ASSERT_TRUE(wiped.size() == 1u);
        EXPECT_EQ(wiped[0].size(), 32u);
        EXPECT_EQ(wiped[0], bytes(32, 0)) << "the key bytes were not zeroed";
    });
}

}  // namespace

namespace {

// Issue 29 item 8: IGNIS's behaviour as explicit options. Off (the default) the same frames get
// 4004 and a clear error, as the tests above check.
TEST(ecdh_gcm_server, ignis_compatibility_serves_clear_events_and_seals_errors_when_asked) {
    fixture f;
    f.opts.ignis.clear_events_after_key = true;
    f.opts.ignis.sealed_errors = true;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto c = co_await f.authenticated();
        CO_ASSERT_TRUE(c);
        const std::string clear = R"({"event":"say","data":{"text":"in clear"}})";
        CO_ASSERT_FALSE(co_await c->write(clear));
        EXPECT_EQ(co_await c->read_opened(), clear);  // served; the answer is sealed
        CO_ASSERT_FALSE(co_await c->write("garbage"));
        const auto frame = co_await c->read();
        const auto outer = boost::json::parse(frame).as_object();
        EXPECT_EQ(outer.at("event"), "encrypted") << frame;
        message_buffer plain;
        CO_ASSERT_FALSE(c->cipher->open(as_bytes(frame), plain));
        EXPECT_EQ(error_code_of(std::string(plain.text())), "invalid_message_format");
        EXPECT_TRUE(co_await fixture::echoes(*c, "still served"));
    });
}

TEST(ecdh_gcm_server, without_ignis_compatibility_errors_stay_clear) {
    fixture f;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto c = co_await f.authenticated();
        CO_ASSERT_TRUE(c);
        CO_ASSERT_FALSE(co_await c->write("garbage"));
        EXPECT_EQ(error_code_of(co_await c->read()), "invalid_message_format");  // in clear
    });
}

}  // namespace

namespace {

// A join filter's answer (stream_chat's `joined`) must not reach the socket before the rooms are
// joined: a client that read it and got a room message delivered from another thread in the gap
// would miss it (seen as a 1-in-12 loss in stream_chat_cluster under load). The filter looks at
// the client's socket right after sending: nothing may have arrived yet.
TEST(ecdh_gcm_server, a_join_answer_is_written_only_once_the_rooms_are_joined) {
    fixture f;
    f.start();
    int client_fd = -1;
    int arrived_early = -1;
    f.srv->on_join([&](connection_t& c, std::vector<std::string> rooms) {
        const auto frame = ecdh_gcm::wire::make_frame("joined", boost::json::value{{"n", rooms.size()}});
        c.send(bytes(frame.begin(), frame.end()), message_kind::text);
        char byte = 0;
        arrived_early = static_cast<int>(::recv(client_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT));
        return rooms;
    });
    run(f.io, [&]() -> awaitable<void> {
        auto c = co_await f.authenticated();
        CO_ASSERT_TRUE(c);
        client_fd = beast::get_lowest_layer(c->stream.native()).socket().native_handle();
        CO_ASSERT_FALSE(co_await c->write_sealed(R"({"event":"join","data":{"rooms":["r1"]}})"));
        EXPECT_EQ(co_await c->read_opened(), R"({"event":"joined","data":{"n":1}})");
        EXPECT_EQ(arrived_early, -1) << "the answer was on the wire while the filter still ran";
        EXPECT_EQ(f.srv->rooms().members("r1").size(), 1u);
    });
}

}  // namespace
