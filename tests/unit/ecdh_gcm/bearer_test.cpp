// The bearer subprotocol (issue 31), over real loopback WebSockets: a browser cannot set
// Authorization on a WebSocket, so it offers ["sealed.v1", "sealed.bearer.<token>"]; with
// server_config::bearer_subprotocol the server answers sealed.v1 only and ECDH-GCM
// authenticates with the token. Offered wrongly it is HTTP 400; with the option off nothing is
// negotiated and the authenticate frame's token counts, as before.
#include <sealed/ecdh_gcm/scheme.hpp>
#include <sealed/server.hpp>
#include <sealed/session.hpp>

#include <sealed_test/run.hpp>

#include <boost/beast/websocket/stream.hpp>
#include <gtest/gtest.h>

#include <mutex>

namespace {

using namespace sealed;
using namespace std::chrono_literals;
using sealed_test::run;
using stream_server = server<ws, ecdh_gcm::scheme>;
using connection_t = stream_server::connection_type;
constexpr auto nothrow = net::as_tuple(net::use_awaitable);

struct fixture {
    net::io_context io;
    server_config cfg;
    ecdh_gcm::options opts;
    std::unique_ptr<stream_server> srv;
    std::uint16_t port = 0;
    std::vector<std::string> tokens_seen;  // what authenticate() was given

    fixture() {
        cfg.listen = "127.0.0.1:0";
        cfg.ws_path = "/stream";
        opts.authenticate = [this](std::string_view token) -> std::optional<std::string> {
            tokens_seen.emplace_back(token);
            if (token.empty()) return std::nullopt;
            return "user-" + std::string(token);
        };
    }
    void start() {
        srv = std::make_unique<stream_server>(io, cfg, opts);
        srv->on_session([](connection_t& c) { return sealed_test::echo(c, message_kind::text); });
        port = srv->start().value().port();
    }
    ~fixture() {
        if (srv) srv->stop();
        sealed_test::drain(io);
    }
};

struct outcome {
    unsigned status = 0;              // of the upgrade (101, or the refusal)
    std::string answered_protocol;    // Sec-WebSocket-Protocol of the 101
    result<established<ecdh_gcm::cipher>> session = errc::handshake_failed;
};

// Upgrades with `protocols` offered (and an Authorization header, if given), then runs the
// ECDH-GCM client handshake with `inband` as the authenticate frame's token.
awaitable<outcome> attempt(fixture& f, std::string_view protocols, std::string_view inband,
                           std::string_view authorization = {}) {
    outcome out;
    beast::tcp_stream tcp(f.io);
    co_await tcp.async_connect(tcp_endpoint{net::ip::make_address("127.0.0.1"), f.port}, net::use_awaitable);
    websocket::stream<transport::draining_tcp_stream> ws(transport::draining_tcp_stream(std::move(tcp)));
    const std::string offered(protocols), auth(authorization);
    ws.set_option(websocket::stream_base::decorator([offered, auth](websocket::request_type& req) {
        if (!offered.empty()) req.set(http::field::sec_websocket_protocol, offered);
        if (!auth.empty()) req.set(http::field::authorization, auth);
    }));
    websocket::response_type res;
    auto [ec] = co_await ws.async_handshake(res, "127.0.0.1", "/stream", nothrow);
    out.status = res.result_int();
    out.answered_protocol = std::string(res[http::field::sec_websocket_protocol]);
    if (ec) co_return out;
    transport::ws_stream stream(std::move(ws), "server");
    ecdh_gcm::options client_opts;
    client_opts.token = std::string(inband);
    ecdh_gcm::handshake hs(role::client, client_opts);
    out.session = co_await run_handshake(stream, hs, std::chrono::seconds(5));
    co_return out;
}

TEST(bearer_subprotocol, the_token_offered_as_a_subprotocol_authenticates_and_only_sealed_v1_is_answered) {
    fixture f;
    f.cfg.bearer_subprotocol = true;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto ok = co_await attempt(f, "sealed.v1, sealed.bearer.tok-123", "");
        EXPECT_EQ(ok.status, 101u);
        EXPECT_EQ(ok.answered_protocol, "sealed.v1");
        CO_ASSERT_OK(ok.session);
        EXPECT_EQ(ok.session->peer_id, "user-tok-123");
        // The same token in the authenticate frame as well is fine; a different one is refused.
        auto same = co_await attempt(f, "sealed.v1, sealed.bearer.tok-123", "tok-123");
        EXPECT_TRUE(same.session);
        auto other = co_await attempt(f, "sealed.v1, sealed.bearer.tok-123", "someone-else");
        EXPECT_FALSE(other.session);
        // A client that names no subprotocol is served as before, with its in-band token.
        auto plain = co_await attempt(f, "", "inband");
        EXPECT_EQ(plain.answered_protocol, "");
        CO_ASSERT_OK(plain.session);
        EXPECT_EQ(plain.session->peer_id, "user-inband");
        // Non-browser clients may send the header itself.
        auto header = co_await attempt(f, "", "", "Bearer from-header");
        CO_ASSERT_OK(header.session);
        EXPECT_EQ(header.session->peer_id, "user-from-header");
        EXPECT_EQ(f.tokens_seen, (std::vector<std::string>{"tok-123", "tok-123", "inband", "from-header"}));
    }());
}

TEST(bearer_subprotocol, a_bearer_offered_wrongly_is_http_400) {
    fixture f;
    f.cfg.bearer_subprotocol = true;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        for (const char* offered : {"sealed.bearer.tok", "sealed.v1, sealed.bearer.a, sealed.bearer.b", "sealed.v1, sealed.bearer."}) {
            auto refused = co_await attempt(f, offered, "");
            EXPECT_EQ(refused.status, 400u) << offered;
        }
        auto both = co_await attempt(f, "sealed.v1, sealed.bearer.tok", "", "Bearer other");
        EXPECT_EQ(both.status, 400u);
        EXPECT_TRUE(f.tokens_seen.empty());
    }());
}

TEST(bearer_subprotocol, is_off_by_default_and_nothing_is_negotiated) {
    fixture f;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto r = co_await attempt(f, "sealed.v1, sealed.bearer.tok-123", "inband");
        EXPECT_EQ(r.status, 101u);
        EXPECT_EQ(r.answered_protocol, "");
        CO_ASSERT_OK(r.session);
        EXPECT_EQ(r.session->peer_id, "user-inband");
    }());
}

}  // namespace
