// The echo_server example as a user runs it: the real binary, real sockets, real signals.
#include <sealed/client.hpp>
#include <sealed/plaintext/scheme.hpp>

#include <sealed_test/paths.hpp>
#include <sealed_test/process.hpp>
#include <sealed_test/run.hpp>

#include <gtest/gtest.h>

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

}  // namespace
