// The peer_broker example as a user runs it, with the `peer` CLI's flags and the C++ signaling
// client: --path/--key/--concurrent_limit/--expire_timeout shape what clients see; --sslkey and
// --sslcert serve wss; --sslca asks clients for a certificate (mutual TLS); --api-token guards
// sockets and HTTP routes; --jwt-* bind ids to signed grants; an incomplete TLS flag pair stops
// with the reference's warning.
#include <sealed/signaling/client.hpp>

#include <sealed_test/paths.hpp>
#include <sealed_test/http.hpp>
#include <sealed_test/jwt.hpp>
#include <sealed_test/process.hpp>
#include <sealed_test/run.hpp>
#include <sealed_test/temp_dir.hpp>
#include <sealed_test/tls.hpp>

#include <gtest/gtest.h>


namespace {

using namespace sealed;
namespace sig = sealed::signaling;

const std::string binary = sealed_test::bin_dir() + "/peer_broker";

struct broker_process {
    sealed_test::server_process server;
    explicit broker_process(const std::vector<std::string>& extra) : server(argv(extra)) {}
    static std::vector<std::string> argv(const std::vector<std::string>& extra) {
        std::vector<std::string> a{binary, "-H", "127.0.0.1", "-p", "0", "--log-level", "warn"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
    std::uint16_t port() const { return server.port; }
};

// PEM files for the broker's certificate and for client certificates, made at test time.
struct pem_files : sealed_test::temp_dir {
    pem_files() : temp_dir("sealed-peer-broker-test-") {}
};

sig::client_options options_for(std::uint16_t port, std::string id, std::string path = sig::client_options{}.path,
                               std::string key = sig::client_options{}.key) {
    sig::client_options o;
    o.port = port;
    o.path = std::move(path);
    o.key = std::move(key);
    o.id = std::move(id);
    o.token = "token-" + o.id;
    return o;
}

// A client TLS context that trusts `server`'s certificate and, when given, presents `client`.
std::shared_ptr<net::ssl::context> client_tls(const sealed_test::test_tls& server, const tls::self_signed* client) {
    auto ctx = server.client();
    if (client) {
        ctx->use_certificate_chain(net::buffer(client->cert_pem));
        ctx->use_private_key(net::buffer(client->key_pem), net::ssl::context::pem);
    }
    return ctx;
}

TEST(peer_broker_example, peer_cli_flags_shape_what_clients_see) {
    broker_process broker({"--path", "/myapp", "--key", "app-key", "--concurrent_limit", "2",
                           "--expire_timeout", "300", "--allow_discovery"});
    ASSERT_NE(broker.port(), 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        auto ex = io.get_executor();
        const auto a_options = options_for(broker.port(), "alice", "/myapp", "app-key");
        auto alice = co_await sig::client::connect(ex, a_options);
        CO_ASSERT_OK(alice);

        const auto wrong_key = options_for(broker.port(), "bob", "/myapp");  // key "peerjs"
        auto refused = co_await sig::client::connect(ex, wrong_key);
        CO_ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error(), sig::error::invalid_key);

        const auto b_options = options_for(broker.port(), "bob", "/myapp", "app-key");
        auto bob = co_await sig::client::connect(ex, b_options);
        CO_ASSERT_OK(bob);
        auto c_options = b_options;
        c_options.id = "carol";
        auto over = co_await sig::client::connect(ex, c_options);
        CO_ASSERT_FALSE(over);
        EXPECT_EQ(over.error(), sig::error::concurrent_limit);

        // Relay under the custom path, src forced to the sender's id.
        const sig::message offer{"OFFER", "mallory", "bob", boost::json::parse(R"({"sdp":"v=0"})")};
        EXPECT_FALSE(co_await alice->async_send(offer));
        auto got = co_await bob->async_receive();
        CO_ASSERT_OK(got);
        EXPECT_EQ(got->type, "OFFER");
        EXPECT_EQ(got->src, "alice");

        // --expire_timeout 300: a frame to an id nobody holds comes back as EXPIRE.
        const sig::message to_nobody{"OFFER", {}, "nobody", boost::json::parse(R"({"sdp":"v=0"})")};
        EXPECT_FALSE(co_await alice->async_send(to_nobody));
        auto expired = co_await alice->async_receive();
        CO_ASSERT_OK(expired);
        EXPECT_EQ(expired->type, "EXPIRE");
        EXPECT_EQ(expired->src, "nobody");

        // HTTP routes under --path, with discovery on.
        auto banner = co_await sealed_test::http_get(broker.port(), "/myapp");
        EXPECT_EQ(banner.result_int(), 200);
        EXPECT_NE(banner.body().find("PeerJS"), std::string::npos) << banner.body();
        auto id = co_await sealed_test::http_get(broker.port(), "/myapp/app-key/id");
        EXPECT_EQ(id.result_int(), 200);
        EXPECT_FALSE(id.body().empty());
        auto peers = co_await sealed_test::http_get(broker.port(), "/myapp/app-key/peers");
        EXPECT_EQ(peers.result_int(), 200);
        EXPECT_NE(peers.body().find("\"alice\""), std::string::npos) << peers.body();
        EXPECT_NE(peers.body().find("\"bob\""), std::string::npos) << peers.body();
        co_await alice->async_close();
        co_await bob->async_close();
    }());
}

TEST(peer_broker_example, sslkey_and_sslcert_serve_wss) {
    pem_files files;
    const sealed_test::test_tls server_tls;
    const auto& server_pair = server_tls.pair;
    broker_process broker({"--sslkey", files.write("key.pem", server_pair.key_pem),
                           "--sslcert", files.write("cert.pem", server_pair.cert_pem)});
    ASSERT_NE(broker.port(), 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        auto ex = io.get_executor();
        auto o = options_for(broker.port(), "alice");
        o.config.tls_context = client_tls(server_tls, nullptr);
        auto alice = co_await sig::basic_client<wss>::connect(ex, o);
        CO_ASSERT_OK(alice);
        // A plain ws client gets no WebSocket from a wss broker.
        auto plain_options = options_for(broker.port(), "bob");
        plain_options.config.handshake_timeout = std::chrono::seconds(2);
        auto plain = co_await sig::client::connect(ex, plain_options);
        EXPECT_FALSE(plain);
        co_await alice->async_close();
    }());
}

TEST(peer_broker_example, sslca_admits_only_clients_with_a_certificate_it_signed) {
    pem_files files;
    const sealed_test::test_tls server_tls;
    const auto& server_pair = server_tls.pair;
    const auto trusted_client = tls::make_self_signed("trusted-client");
    const auto other_client = tls::make_self_signed("other-client");
    broker_process broker({"--sslkey", files.write("key.pem", server_pair.key_pem),
                           "--sslcert", files.write("cert.pem", server_pair.cert_pem),
                           "--sslca", files.write("clients.pem", trusted_client.cert_pem)});
    ASSERT_NE(broker.port(), 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        auto ex = io.get_executor();
        auto trusted = options_for(broker.port(), "alice");
        trusted.config.tls_context = client_tls(server_tls, &trusted_client);
        auto alice = co_await sig::basic_client<wss>::connect(ex, trusted);
        CO_ASSERT_OK(alice);

        auto no_certificate = options_for(broker.port(), "bob");
        no_certificate.config.tls_context = client_tls(server_tls, nullptr);
        EXPECT_FALSE(co_await sig::basic_client<wss>::connect(ex, no_certificate));
        auto wrong_certificate = options_for(broker.port(), "carol");
        wrong_certificate.config.tls_context = client_tls(server_tls, &other_client);
        EXPECT_FALSE(co_await sig::basic_client<wss>::connect(ex, wrong_certificate));

        // The refused clients did not disturb the admitted one.
        auto again = options_for(broker.port(), "dave");
        again.config.tls_context = client_tls(server_tls, &trusted_client);
        auto dave = co_await sig::basic_client<wss>::connect(ex, again);
        CO_ASSERT_OK(dave);
        const sig::message hello{"OFFER", {}, "dave", boost::json::parse(R"({"sdp":"v=0"})")};
        EXPECT_FALSE(co_await alice->async_send(hello));
        auto got = co_await dave->async_receive();
        CO_ASSERT_OK(got);
        EXPECT_EQ(got->src, "alice");
        co_await alice->async_close();
        co_await dave->async_close();
    }());
}

// Issue 31: the client CA bundle is reloaded on SIGHUP like the certificate. After the bundle
// names another client's certificate, that client is admitted, the first one's new connections
// are refused, and its established connection still relays.
TEST(peer_broker_example, sslca_is_reloaded_on_sighup_and_established_clients_stay) {
    pem_files files;
    const sealed_test::test_tls server_tls;
    const auto first = tls::make_self_signed("first-client");
    const auto second = tls::make_self_signed("second-client");
    const auto bundle = files.write("clients.pem", first.cert_pem);
    broker_process broker({"--sslkey", files.write("key.pem", server_tls.pair.key_pem), "--sslcert",
                           files.write("cert.pem", server_tls.pair.cert_pem), "--sslca", bundle});
    ASSERT_NE(broker.port(), 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        auto ex = io.get_executor();
        auto as_first = options_for(broker.port(), "alice");
        as_first.config.tls_context = client_tls(server_tls, &first);
        auto alice = co_await sig::basic_client<wss>::connect(ex, as_first);
        CO_ASSERT_OK(alice);
        auto as_second = options_for(broker.port(), "bob");
        as_second.config.tls_context = client_tls(server_tls, &second);
        EXPECT_FALSE(co_await sig::basic_client<wss>::connect(ex, as_second));

        files.write("clients.pem", second.cert_pem);
        broker.server.process.signal(SIGHUP);
        std::optional<sig::basic_client<wss>> bob;
        for (int i = 0; i < 50 && !bob; ++i) {
            co_await sealed_test::sleep_for(std::chrono::milliseconds(100));
            auto attempt = co_await sig::basic_client<wss>::connect(ex, as_second);
            if (attempt) bob.emplace(std::move(*attempt));
        }
        CO_ASSERT_TRUE(bob.has_value());
        auto again = options_for(broker.port(), "carol");
        again.config.tls_context = client_tls(server_tls, &first);
        EXPECT_FALSE(co_await sig::basic_client<wss>::connect(ex, again));

        const sig::message offer{"OFFER", {}, "bob", boost::json::parse(R"({"sdp":"v=0"})")};
        EXPECT_FALSE(co_await alice->async_send(offer));
        auto got = co_await bob->async_receive();
        CO_ASSERT_OK(got);
        EXPECT_EQ(got->src, "alice");
        co_await alice->async_close();
        co_await bob->async_close();
    }());
}

// An upgrade to peer_broker's socket path with an X-Forwarded-For, kept open in `held`; the
// HTTP status that came back.
awaitable<unsigned> upgrade_via_proxy(std::uint16_t port, std::string_view id, std::string_view forwarded_for,
                                      std::vector<beast::tcp_stream>& held) {
    const auto ex = co_await net::this_coro::executor;
    beast::tcp_stream& s = held.emplace_back(ex);
    s.expires_after(std::chrono::seconds(5));
    co_await s.async_connect(tcp_endpoint{net::ip::make_address("127.0.0.1"), port}, net::use_awaitable);
    auto req = sealed_test::upgrade_request("/peerjs?key=peerjs&id=" + std::string(id) + "&token=t");
    req.set("X-Forwarded-For", forwarded_for);
    co_await http::async_write(s, req, net::use_awaitable);
    beast::flat_buffer buffer;
    http_response res;
    co_await http::async_read(s, buffer, res, net::use_awaitable);
    co_return static_cast<unsigned>(res.result_int());
}

// --proxied (the `peer` CLI's flag) believes X-Forwarded-For, so per-address limits count the
// clients behind a proxy, not the proxy; without it the header is ignored.
TEST(peer_broker_example, proxied_counts_the_clients_behind_the_proxy) {
    for (const bool proxied : {true, false}) {
        std::vector<std::string> flags{"--max-connections-per-ip", "1"};
        if (proxied) flags.push_back("--proxied");
        broker_process broker(flags);
        ASSERT_NE(broker.port(), 0);
        net::io_context io;
        sealed_test::run(io, [&]() -> awaitable<void> {
            std::vector<beast::tcp_stream> held;
            held.reserve(4);
            EXPECT_EQ(co_await upgrade_via_proxy(broker.port(), "a", "198.51.100.1", held), 101u);
            EXPECT_EQ(co_await upgrade_via_proxy(broker.port(), "b", "198.51.100.2", held), proxied ? 101u : 429u);
            EXPECT_EQ(co_await upgrade_via_proxy(broker.port(), "c", "198.51.100.1", held), 429u);
        }());
    }
}

TEST(peer_broker_example, api_token_guards_sockets_and_http_routes) {
    broker_process broker({"--api-token", "s3cret"});
    ASSERT_NE(broker.port(), 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        auto ex = io.get_executor();
        auto without = options_for(broker.port(), "alice");
        auto refused = co_await sig::client::connect(ex, without);
        CO_ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error(), sig::error::invalid_api_token);
        auto wrong = without;
        wrong.api_token = "guess";
        refused = co_await sig::client::connect(ex, wrong);
        CO_ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error(), sig::error::invalid_api_token);
        auto right = without;
        right.api_token = "s3cret";
        auto alice = co_await sig::client::connect(ex, right);
        CO_ASSERT_OK(alice);

        auto id_without = co_await sealed_test::http_get(broker.port(), "/peerjs/id");
        EXPECT_EQ(id_without.result_int(), 401) << id_without.body();
        auto id_with = co_await sealed_test::http_get(broker.port(), "/peerjs/id?apiToken=s3cret");
        EXPECT_EQ(id_with.result_int(), 200) << id_with.body();
        co_await alice->async_close();
    }());
}

// Issue 30: with a JWT policy an id belongs to whoever holds a grant for it. Refusals come
// before any OPEN, as ERROR "Invalid token: <why>" and close 1008.
TEST(peer_broker_example, jwt_grants_bind_ids_to_their_holders) {
    pem_files files;
    const std::string secret = "a shared secret of at least 32 bytes, for HS256";
    const sealed_test::es256_signer signer;
    broker_process broker({"--jwt-hs256-secret", files.write("hs256.secret", secret + "\n"), "--jwt-es256-keys",
                           files.write("es256.pem", signer.public_pem())});
    ASSERT_NE(broker.port(), 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        auto ex = io.get_executor();
        auto as = [&](const std::string& id, std::string token) {
            auto o = options_for(broker.port(), id);
            o.token = std::move(token);
            return o;
        };
        const auto alice_options = as("alice", sealed_test::hs256_jwt(secret, sealed_test::grant("alice")));
        auto alice = co_await sig::client::connect(ex, alice_options);
        CO_ASSERT_OK(alice);
        const auto bob_options = as("bob", signer.jwt(sealed_test::grant("bob")));
        auto bob = co_await sig::client::connect(ex, bob_options);
        CO_ASSERT_OK(bob);

        const std::vector<sig::client_options> refused{
            as("alice", sealed_test::hs256_jwt(secret, sealed_test::grant("mallory"))),  // Mallory's own grant
            as("carol", sealed_test::hs256_jwt(secret, sealed_test::grant("carol", -3600))),
            as("carol", sealed_test::hs256_jwt("a guessed secret that is long enough.....", sealed_test::grant("carol"))),
            as("carol", "not-a-jwt"),
        };
        for (const auto& o : refused) {
            auto r = co_await sig::client::connect(ex, o);
            CO_ASSERT_FALSE(r);
            EXPECT_EQ(r.error(), sig::error::invalid_token) << o.token;
        }

        // On the wire: the ERROR frame names the reason, then close 1008.
        const auto expired = sealed_test::hs256_jwt(secret, sealed_test::grant("carol", -3600));
        auto target = url::parse("ws://127.0.0.1:" + std::to_string(broker.port()) +
                                 "/peerjs?key=peerjs&id=carol&token=" + expired).value();
        const transport::websocket_options ws_opts;
        auto ws = co_await transport::async_connect_ws(ex, target, ws_opts);
        CO_ASSERT_TRUE(ws);
        message_buffer in;
        EXPECT_FALSE(co_await ws->async_read(in));
        EXPECT_EQ(in.text(), R"({"type":"ERROR","payload":{"msg":"Invalid token: expired"}})");
        EXPECT_TRUE(co_await ws->async_read(in));
        auto reason = ws->peer_close_reason();
        CO_ASSERT_TRUE(reason);
        EXPECT_EQ(reason->code, close_code::policy_violation);
        co_await alice->async_close();
        co_await bob->async_close();
    }());
}

TEST(peer_broker_example, jwt_keys_that_cannot_serve_stop_it_at_start) {
    pem_files files;
    const auto run = sealed_test::run_to_end(
        {"/bin/sh", "-c", binary + " -p 0 --jwt-hs256-secret " + files.write("short.secret", "short") + " 2>&1"}, 10000);
    EXPECT_EQ(run.exit_code, 2) << run.output();
    EXPECT_NE(run.output().find("32 bytes"), std::string::npos) << run.output();
}

TEST(peer_broker_example, an_incomplete_tls_pair_stops_with_the_reference_warning) {
    pem_files files;
    const auto pair = tls::make_self_signed("localhost");
    auto r = sealed_test::run_to_end({binary, "-p", "0", "--sslkey", files.write("key.pem", pair.key_pem)}, 10000);
    EXPECT_EQ(r.exit_code, 1);
    auto missing_ca = sealed_test::run_to_end(
        {binary, "-p", "0", "--sslkey", files.write("key.pem", pair.key_pem), "--sslcert",
         files.write("cert.pem", pair.cert_pem), "--sslca", (files.path / "absent.pem").string()}, 10000);
    EXPECT_EQ(missing_ca.exit_code, 2);
}

// Hardening round 2, item 4: the default --max-connections (6 000) is lowered to what a low
// hard open-file limit holds, with a warning; a value given on the command line is refused.
TEST(peer_broker_example, the_default_max_connections_fits_a_low_open_file_limit) {
    const std::string prefix = "ulimit -n 1024 && exec " + binary + " -H 127.0.0.1 -p 0 ";
    sealed_test::child_process fitted({"/bin/sh", "-c", prefix + "2>&1"});
    std::string seen;
    std::uint16_t port = 0;
    for (int i = 0; i < 5 && port == 0; ++i) {
        auto line = fitted.read_line(5000);
        if (!line) break;
        seen += *line + "\n";
        port = sealed_test::port_from_listening_line(*line);
    }
    ASSERT_NE(port, 0) << seen;
    EXPECT_NE(seen.find("max_connections lowered from 6000 to 960"), std::string::npos) << seen;
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        const auto options = options_for(port, "alice");
        auto alice = co_await sig::client::connect(io.get_executor(), options);
        CO_ASSERT_OK(alice);
        co_await alice->async_close();
    }());
    fitted.signal(SIGINT);
    EXPECT_EQ(fitted.wait(), 0);

    auto chosen = sealed_test::run_to_end({"/bin/sh", "-c", prefix + "--max-connections 6000 2>&1"}, 10000);
    EXPECT_EQ(chosen.exit_code, 1) << chosen.output();
    EXPECT_NE(chosen.output().find("ulimit"), std::string::npos) << chosen.output();
}

}  // namespace
