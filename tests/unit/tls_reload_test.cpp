// A wss server's certificate renewed without a restart (issue 31): new handshakes get the new
// pair, an established connection goes on with the old one, and a broken pair is refused with
// the renewed one still serving. Real sockets on loopback; clients verify the certificate.
#include <sealed/client.hpp>
#include <sealed/server.hpp>

#include <sealed_test/named_scheme.hpp>
#include <sealed_test/run.hpp>
#include <sealed_test/temp_dir.hpp>

#include <gtest/gtest.h>

#include <fstream>

namespace {

using namespace sealed;
using scheme = sealed_test::named::scheme;
using tls_server = server<wss, scheme>;
using tls_client = client<wss, scheme>;

struct pair_files {
    sealed_test::temp_dir dir;
    pair_files() { std::filesystem::create_directories(dir.path); }
    void write(const tls::self_signed& pair) {
        std::ofstream(dir.path / "cert.pem") << pair.cert_pem;
        std::ofstream(dir.path / "key.pem") << pair.key_pem;
    }
    std::string cert() const { return (dir.path / "cert.pem").string(); }
    std::string key() const { return (dir.path / "key.pem").string(); }
};

client_config trusting(const tls::self_signed& pair) {
    client_config c;
    tls::client_options o;
    o.ca_pem = pair.cert_pem;
    c.tls_context = std::make_shared<net::ssl::context>(tls::make_client_context(o).value());
    return c;
}

awaitable<bool> echoes(tls_client::channel_type& ch, std::string_view text) {
    const auto out = as_bytes(text);
    if (co_await ch.async_send(out)) co_return false;
    message_buffer in;
    if (co_await ch.async_receive(in)) co_return false;
    co_return in.text() == text;
}

TEST(tls_reload, new_handshakes_get_the_new_certificate_and_old_connections_stay) {
    const auto first = tls::make_self_signed("localhost"), second = tls::make_self_signed("localhost");
    pair_files files;
    files.write(first);
    net::io_context io;
    server_config cfg;
    cfg.listen = "127.0.0.1:0";
    cfg.tls_cert = files.cert();
    cfg.tls_key = files.key();
    tls_server srv(io, cfg);
    srv.on_session([](tls_server::connection_type& c) { return sealed_test::echo(c); });
    const auto url = "wss://127.0.0.1:" + std::to_string(srv.start().value().port()) + "/ws";
    const auto trusts_first = trusting(first), trusts_second = trusting(second);
    const scheme::options alice{"alice"}, bob{"bob"}, carol{"carol"};
    sealed_test::run(io, [&]() -> awaitable<void> {
        auto old = co_await tls_client::connect(io.get_executor(), url, trusts_first, alice);
        EXPECT_TRUE(old) << (old ? "" : old.error().message());
        if (!old) co_return;
        EXPECT_TRUE(co_await echoes(*old, "before"));

        files.write(second);
        EXPECT_FALSE(srv.reload_tls());
        auto renewed = co_await tls_client::connect(io.get_executor(), url, trusts_second, bob);
        EXPECT_TRUE(renewed) << (renewed ? "" : renewed.error().message());
        auto stale = co_await tls_client::connect(io.get_executor(), url, trusts_first, carol);
        EXPECT_FALSE(stale) << "a client that trusts only the old certificate must be refused now";
        EXPECT_TRUE(co_await echoes(*old, "after"));

        // A certificate with another pair's key is refused; the renewed pair keeps serving.
        std::ofstream(files.key()) << first.key_pem;
        EXPECT_EQ(srv.reload_tls(), errc::invalid_key);
        std::ofstream(files.cert()) << "not a certificate";
        EXPECT_EQ(srv.reload_tls(), errc::invalid_key);
        auto still = co_await tls_client::connect(io.get_executor(), url, trusts_second, carol);
        EXPECT_TRUE(still) << (still ? "" : still.error().message());
        EXPECT_TRUE(co_await echoes(*old, "still"));
    }());
    srv.stop();
    sealed_test::drain(io);
}

TEST(tls_reload, is_refused_without_certificate_files) {
    net::io_context io;
    server_config cfg;
    cfg.listen = "127.0.0.1:0";
    server<ws, scheme> plain(io, cfg);
    EXPECT_EQ(plain.reload_tls(), errc::invalid_argument);
}

}  // namespace
