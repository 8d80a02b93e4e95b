// The echo_server example as a user runs it: the real binary, real sockets, real signals.
#include <sealed/client.hpp>
#include <sealed/plaintext/scheme.hpp>
#include <sealed/tls.hpp>

#include <sealed_test/paths.hpp>
#include <sealed_test/process.hpp>
#include <sealed_test/run.hpp>
#include <sealed_test/sanitizer.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace {

using namespace sealed;
const std::string binary = sealed_test::bin_dir() + "/echo_server";

template <class Family>
void echo_through(const std::vector<std::string>& extra_args, const std::string& scheme_prefix) {
    std::vector<std::string> argv{binary, "--listen", "127.0.0.1:0", "--threads", "2", "--log-level", "warn"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    sealed_test::child_process server(argv);
    ASSERT_TRUE(server.started());
    auto line = server.read_line();
    ASSERT_TRUE(line) << "no 'listening on' line";
    auto port = sealed_test::port_from_listening_line(*line);
    ASSERT_NE(port, 0) << *line;

    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        client_config cfg;
        cfg.tls_verify_peer = false;  // --tls-self-signed: a throwaway certificate
        const auto target = scheme_prefix + "://127.0.0.1:" + std::to_string(port) + "/ws";
        auto channel = co_await client<Family, plaintext::scheme>::connect(io.get_executor(), target, cfg);
        CO_ASSERT_TRUE(channel);
        auto hello = as_bytes("hello, sealed");
        EXPECT_FALSE(co_await channel->async_send(hello, message_kind::text));
        message_buffer echo;
        EXPECT_FALSE(co_await channel->async_receive(echo));
        EXPECT_EQ(echo.text(), "hello, sealed");
    }());

    server.signal(SIGTERM);
    EXPECT_EQ(server.wait(), 0) << "SIGTERM must stop the server gracefully with exit code 0";
}

TEST(echo_server_example, ws) { echo_through<ws>({}, "ws"); }
TEST(echo_server_example, wss_self_signed) { echo_through<wss>({"--tls-self-signed"}, "wss"); }
TEST(echo_server_example, tcp) { echo_through<sealed::tcp>({"--transport", "tcp"}, "tcp"); }

TEST(echo_server_example, sigint_stops_an_idle_server) {
    sealed_test::child_process server({binary, "--listen", "127.0.0.1:0"});
    ASSERT_TRUE(server.read_line());
    server.signal(SIGINT);
    EXPECT_EQ(server.wait(), 0);
}

TEST(echo_server_example, bad_listen_address_is_a_clear_error) {
    sealed_test::child_process server({binary, "--listen", "not-an-address"});
    EXPECT_EQ(server.wait(), 1);
}

// Hardening round 2, item 4: under a low open-file limit the server refuses a max_connections it
// cannot hold, and out of descriptors its accept loop waits instead of spinning and logging.
std::string under_open_file_limit(int limit, const std::string& args) {
    return "ulimit -n " + std::to_string(limit) + " && exec " + binary + " --listen 127.0.0.1:0 " + args + " 2>&1";
}

// utime + stime of a process, from /proc/<pid>/stat.
double cpu_seconds(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i)
        if (i == 14 || i == 15) ticks += std::stod(field);
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

TEST(echo_server_example, a_max_connections_the_open_file_limit_cannot_hold_is_refused_at_start) {
    auto r = sealed_test::run_to_end({"/bin/sh", "-c", under_open_file_limit(100, "--max-connections 100")}, 10000);
    EXPECT_EQ(r.exit_code, 1) << r.output();
    EXPECT_NE(r.output().find("ulimit"), std::string::npos) << r.output();
}

// Sanitizer runtimes need descriptors of their own: UBSan's vptr check reads memory through a
// pipe, so out of descriptors every first virtual call is reported as a bad vptr (a false
// positive), and ASan cannot start its symbolizer. Starving such a process tests the sanitizer.
TEST(echo_server_example, out_of_descriptors_the_accept_loop_waits_and_recovers) {
    if (sealed_test::built_with_sanitizer)
        GTEST_SKIP() << "a sanitizer runtime out of descriptors reports false positives; the plain build runs this";
    sealed_test::child_process server({"/bin/sh", "-c", under_open_file_limit(80, "--max-connections 10 --log-level warn")});
    auto line = server.read_line();
    ASSERT_TRUE(line);
    const auto port = sealed_test::port_from_listening_line(*line);
    ASSERT_NE(port, 0) << *line;

    // 150 connections that say nothing: the kernel completes them all, the server has
    // descriptors for about 70.
    net::io_context io;
    std::vector<net::ip::tcp::socket> idle;
    const tcp_endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
    for (int i = 0; i < 150; ++i) {
        idle.emplace_back(io);
        idle.back().connect(endpoint);
    }
    const double cpu_before = cpu_seconds(server.pid());
    int lines = 0;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < until)
        if (server.read_line(50)) ++lines;
    EXPECT_LT(cpu_seconds(server.pid()) - cpu_before, 0.5) << "the accept loop spins";
    EXPECT_LE(lines, 3) << "accept failures are logged once per 10 s";

    // Descriptors come back when those connections go; a real client is served again.
    idle.clear();
    sealed_test::run(io, [&]() -> awaitable<void> {
        const auto target = "ws://127.0.0.1:" + std::to_string(port) + "/ws";
        const client_config cfg;
        auto channel = co_await client<ws, plaintext::scheme>::connect(io.get_executor(), target, cfg);
        CO_ASSERT_TRUE(channel);
        auto hello = as_bytes("after the flood");
        EXPECT_FALSE(co_await channel->async_send(hello, message_kind::text));
        message_buffer echo;
        EXPECT_FALSE(co_await channel->async_receive(echo));
        EXPECT_EQ(echo.text(), "after the flood");
    }());
}

}  // namespace

namespace {

// A client that trusts only `cert_pem`: whether it gets through to the echo server at `port`.
awaitable<bool> trusted_echo(net::io_context& io, std::uint16_t port, const std::string& cert_pem) {
    client_config cfg;
    tls::client_options o;
    o.ca_pem = cert_pem;
    cfg.tls_context = std::make_shared<net::ssl::context>(tls::make_client_context(o).value());
    const auto target = "wss://127.0.0.1:" + std::to_string(port) + "/ws";
    auto channel = co_await client<wss, plaintext::scheme>::connect(io.get_executor(), target, cfg);
    if (!channel) co_return false;
    auto hello = as_bytes("renewed");
    message_buffer echo;
    co_return !co_await channel->async_send(hello) && !co_await channel->async_receive(echo) && echo.text() == "renewed";
}

void write_pair(const std::filesystem::path& dir, const tls::self_signed& pair) {
    std::ofstream(dir / "cert.pem") << pair.cert_pem;
    std::ofstream(dir / "key.pem") << pair.key_pem;
}

}  // namespace

// ACME-style renewal under a running server: the files are replaced (the server notices within
// seconds), then replaced again and SIGHUP sent; each time new clients get the new certificate.
TEST(echo_server_example, a_renewed_certificate_serves_without_a_restart) {
    const auto dir = std::filesystem::temp_directory_path() / ("sealed-tls-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const auto first = tls::make_self_signed("localhost"), second = tls::make_self_signed("localhost"),
               third = tls::make_self_signed("localhost");
    write_pair(dir, first);
    sealed_test::child_process server({binary, "--listen", "127.0.0.1:0", "--log-level", "warn", "--tls-cert",
                                       (dir / "cert.pem").string(), "--tls-key", (dir / "key.pem").string()});
    auto line = server.read_line();
    ASSERT_TRUE(line);
    const auto port = sealed_test::port_from_listening_line(*line);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        EXPECT_TRUE(co_await trusted_echo(io, port, first.cert_pem));
        write_pair(dir, second);
        bool renewed = false;
        for (int i = 0; i < 60 && !renewed; ++i) {
            co_await sealed_test::sleep_for(std::chrono::milliseconds(100));
            renewed = co_await trusted_echo(io, port, second.cert_pem);
        }
        EXPECT_TRUE(renewed) << "the changed files were not picked up within 6 s";
        EXPECT_FALSE(co_await trusted_echo(io, port, first.cert_pem));
        // SIGHUP: at once, whatever the file watch does.
        write_pair(dir, third);
        server.signal(SIGHUP);
        co_await sealed_test::sleep_for(std::chrono::milliseconds(200));
        EXPECT_TRUE(co_await trusted_echo(io, port, third.cert_pem));
    }());
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait(), 0);
    std::filesystem::remove_all(dir);
}
