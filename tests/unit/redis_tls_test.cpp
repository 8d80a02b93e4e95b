// rediss:// against a real redis-server with TLS on loopback (issue 29): the server's
// certificate is verified (chain and name), client certificates for tls-auth-clients, ACL users,
// pub/sub over TLS, and files that do not load are refused at once.
#include "redis_common.hpp"

#include <sealed/app.hpp>
#include <sealed/cluster/redis.hpp>
#include <sealed/tls.hpp>

#include <sealed_test/temp_dir.hpp>

#include <gtest/gtest.h>

#include <filesystem>

namespace {

using namespace sealed;
using namespace std::chrono_literals;
using redis_testing::eventually;
using redis_testing::fast_config;
using redis_testing::started_client;
using sealed_test::run;
namespace redis = sealed::redis;

// Certificates made at test time: the server's (names 127.0.0.1 and "redis.test"), a client's,
// and a stranger's that nobody trusts.
class redis_tls : public ::testing::Test {
protected:
    void SetUp() override {
        if (sealed_test::redis_server::executable().empty()) GTEST_SKIP() << "redis-server is not installed";
        server_cert = tls::make_self_signed("redis.test");
        client_cert = tls::make_self_signed("sealed-client");
        stranger = tls::make_self_signed("redis.test");
        dir.write("server.pem", server_cert.cert_pem);
        dir.write("server.key", server_cert.key_pem);
        dir.write("client.pem", client_cert.cert_pem);
        dir.write("client.key", client_cert.key_pem);
        dir.write("stranger.pem", stranger.cert_pem);
        // Redis verifies clients (and nothing else here) against this file.
        dir.write("redis-ca.pem", client_cert.cert_pem);
    }

    std::string path(const std::string& name) const { return (dir.path / name).string(); }

    // A TLS-only redis-server; `auth_clients` asks for a client certificate.
    std::unique_ptr<sealed_test::redis_server> start_server(bool auth_clients, std::vector<std::string> more = {}) {
        sealed_test::redis_server::options o;
        o.tls = true;
        o.extra = {"--tls-cert-file", path("server.pem"), "--tls-key-file", path("server.key"),
                   "--tls-ca-cert-file", path("redis-ca.pem"), "--tls-auth-clients", auth_clients ? "yes" : "no"};
        o.extra.insert(o.extra.end(), more.begin(), more.end());
        auto s = std::make_unique<sealed_test::redis_server>(o);
        return s;
    }

    redis::config tls_config(unsigned short port) const {
        auto c = fast_config(port);
        c.tls.enabled = true;
        c.tls.ca_file = path("server.pem");
        return c;
    }

    sealed_test::temp_dir dir{"sealed-redis-tls-"};
    tls::self_signed server_cert, client_cert, stranger;
    net::io_context io;
};

TEST_F(redis_tls, round_trips_and_pub_sub_over_a_verified_connection) {
    auto server = start_server(false);
    ASSERT_TRUE(server->running()) << "redis-server with TLS did not start";
    started_client c(io, tls_config(server->port()));
    std::vector<std::string> got;
    c->subscribe("news", [&](std::string_view, std::string_view m) { got.emplace_back(m); });
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await c->async_wait_connected(3s));
        auto set = co_await c->async_exec("SET", "k", "over tls");
        CO_ASSERT_TRUE(set);
        EXPECT_TRUE(set->is_status("OK"));
        auto get = co_await c->async_exec("GET", "k");
        CO_ASSERT_TRUE(get);
        EXPECT_EQ(get->str, "over tls");
        const auto subscribed = [&] { return c->stats().subscriptions == 1; };
        CO_ASSERT_TRUE(co_await eventually(subscribed));
        auto sent = co_await c->async_publish("news", "hello");
        CO_ASSERT_TRUE(sent);
        EXPECT_EQ(*sent, 1);
        const auto delivered = [&] { return got.size() == 1; };
        CO_ASSERT_TRUE(co_await eventually(delivered));
        EXPECT_EQ(got[0], "hello");
    });
}

TEST_F(redis_tls, a_certificate_we_do_not_trust_or_for_another_name_is_refused) {
    auto server = start_server(false);
    ASSERT_TRUE(server->running());
    auto untrusted_cfg = tls_config(server->port());
    untrusted_cfg.tls.ca_file = path("stranger.pem");  // same name, another key
    auto wrong_name_cfg = tls_config(server->port());
    wrong_name_cfg.tls.server_name = "cache.example";  // trusted chain, but not this name
    auto by_name_cfg = tls_config(server->port());
    by_name_cfg.tls.server_name = "redis.test";  // the name in the certificate: accepted
    started_client untrusted(io, untrusted_cfg);
    started_client wrong_name(io, wrong_name_cfg);
    started_client by_name(io, by_name_cfg);
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await by_name->async_wait_connected(3s));
        const auto refused_untrusted = co_await untrusted->async_wait_connected(1500ms);
        EXPECT_TRUE(refused_untrusted);
        EXPECT_EQ(refused_untrusted.category(), net::error::get_ssl_category()) << refused_untrusted.message();
        const auto refused_name = co_await wrong_name->async_wait_connected(1500ms);
        EXPECT_TRUE(refused_name);
        EXPECT_EQ(refused_name.category(), net::error::get_ssl_category()) << refused_name.message();
        EXPECT_NE(untrusted->state(), redis::connection_state::connected);
        EXPECT_NE(wrong_name->state(), redis::connection_state::connected);
    });
}

TEST_F(redis_tls, client_certificate_and_acl_user) {
    auto server = start_server(true, {"--user", "default", "off", "--user", "chat", "on", ">chat-secret", "~*", "&*",
                                      "+@all"});
    ASSERT_TRUE(server->running());
    auto url = redis::parse_url("rediss://chat:chat-secret@127.0.0.1:" + std::to_string(server->port()));
    ASSERT_TRUE(url);
    auto with_cert = fast_config(server->port());
    with_cert.tls = url->tls;
    with_cert.username = url->username;
    with_cert.password = url->password;
    with_cert.tls.ca_file = path("server.pem");
    with_cert.tls.cert_file = path("client.pem");
    with_cert.tls.key_file = path("client.key");
    auto without_cert = with_cert;
    without_cert.tls.cert_file.clear();
    without_cert.tls.key_file.clear();
    auto wrong_password = with_cert;
    wrong_password.password = "guess";
    started_client good(io, with_cert);
    started_client no_cert(io, without_cert);
    started_client bad_password(io, wrong_password);
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await good->async_wait_connected(3s));
        auto who = co_await good->async_exec("ACL", "WHOAMI");
        CO_ASSERT_TRUE(who);
        EXPECT_EQ(who->str, "chat");
        const auto refused_no_cert = co_await no_cert->async_wait_connected(1500ms);
        EXPECT_TRUE(refused_no_cert) << "connected without a client certificate";
        EXPECT_NE(no_cert->state(), redis::connection_state::connected);
        const auto refused_password = co_await bad_password->async_wait_connected(1500ms);
        EXPECT_EQ(refused_password, errc::redis_auth_failed) << refused_password.message();
    });
}

TEST_F(redis_tls, files_that_do_not_load_are_refused_at_start) {
    std::string why;
    redis::tls_options missing;
    missing.enabled = true;
    missing.ca_file = path("no-such.pem");
    EXPECT_TRUE(redis::check_tls_files(missing, why));
    EXPECT_NE(why.find("no-such.pem"), std::string::npos) << why;

    redis::tls_options half;
    half.enabled = true;
    half.ca_file = path("server.pem");
    half.cert_file = path("client.pem");
    EXPECT_EQ(redis::check_tls_files(half, why), errc::invalid_argument);

    redis::tls_options mismatched = half;
    mismatched.key_file = path("server.key");  // another certificate's key
    EXPECT_EQ(redis::check_tls_files(mismatched, why), errc::invalid_key);
    EXPECT_NE(why.find("client.pem"), std::string::npos) << why;

    // The command line says so and starts nothing.
    app::redis_options flags;
    flags.url = "redis://127.0.0.1:6379";
    flags.tls_ca = path("server.pem");
    EXPECT_EQ(app::start_redis(io, flags), nullptr);  // TLS files with a redis:// URL
    flags.url = "rediss://127.0.0.1:6379";
    flags.tls_ca = path("no-such.pem");
    EXPECT_EQ(app::start_redis(io, flags), nullptr);
}

}  // namespace
