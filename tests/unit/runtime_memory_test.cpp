// The real runtime over the in-process pipe (server<memory, S>): the same connection, queue,
// policies and registry as over sockets, deterministically. Each test fails if the behaviour it
// names is removed.
#include <sealed/client.hpp>
#include <sealed/server.hpp>

#include <sealed_test/named_scheme.hpp>
#include <sealed_test/run.hpp>

#include <gtest/gtest.h>

namespace {

using namespace sealed;
using namespace std::chrono_literals;
using scheme = sealed_test::named::scheme;
using memory_server = server<memory, scheme>;
using memory_client = client<memory, scheme>;
using sealed_test::run;

struct in_process {
    net::io_context io;
    server_config cfg;
    std::unique_ptr<memory_server> srv;
    const client_config client_cfg{};

    void start() {
        srv = std::make_unique<memory_server>(io, cfg);
        srv->on_session([](memory_server::connection_type& c) { return sealed_test::echo(c); });
        ASSERT_TRUE(srv->start());
    }
    awaitable<result<memory_client::channel_type>> connect(std::string name) {
        auto end = srv->connect();
        const scheme::options opts{std::move(name)};
        co_return co_await memory_client::handshake(end, client_cfg, opts);
    }
    ~in_process() {
        if (srv) srv->stop();
        sealed_test::drain(io);
    }
};

TEST(runtime_in_process, the_server_runtime_serves_the_memory_pipe) {
    in_process f;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto alice = co_await f.connect("alice");
        auto bob = co_await f.connect("bob");
        CO_ASSERT_TRUE(alice && bob);
        const auto hi = as_bytes("hi");
        CO_ASSERT_FALSE(co_await alice->async_send(hi));
        message_buffer in;
        CO_ASSERT_FALSE(co_await alice->async_receive(in));
        EXPECT_EQ(in.text(), "hi");
        // The registry reaches a connection by its peer id, as over sockets.
        const auto note = as_bytes("for bob");
        EXPECT_TRUE(f.srv->send("bob", note));
        CO_ASSERT_FALSE(co_await bob->async_receive(in));
        EXPECT_EQ(in.text(), "for bob");
        EXPECT_EQ(f.srv->stats().handshakes_ok.load(), 2u);
        EXPECT_EQ(f.srv->active_connections(), 2u);
    }(), 10s);
}

TEST(runtime_in_process, the_rate_limit_drops_what_passes_the_burst) {
    in_process f;
    f.cfg.rate_limit = {3, 1};
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto alice = co_await f.connect("alice");
        CO_ASSERT_TRUE(alice.has_value());
        const auto m = as_bytes("m");
        for (int i = 0; i < 5; ++i) CO_ASSERT_FALSE(co_await alice->async_send(m));
        const auto last = as_bytes("last");
        co_await sealed_test::sleep_for(1100ms);  // one token back
        CO_ASSERT_FALSE(co_await alice->async_send(last));
        std::vector<std::string> echoed;
        message_buffer in;
        while (echoed.size() < 4) {
            CO_ASSERT_FALSE(co_await alice->async_receive(in));
            echoed.emplace_back(in.text());
        }
        EXPECT_EQ(echoed, (std::vector<std::string>{"m", "m", "m", "last"}));
        EXPECT_EQ(f.srv->stats().dropped_rate_limited.load(), 2u);
    }(), 10s);
}

TEST(runtime_in_process, stop_closes_established_connections_with_shutdown) {
    in_process f;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto alice = co_await f.connect("alice");
        CO_ASSERT_TRUE(alice.has_value());
        f.srv->stop();
        message_buffer in;
        EXPECT_TRUE(co_await alice->async_receive(in));
        CO_ASSERT_TRUE(alice->transport().peer_close_reason().has_value());
        EXPECT_EQ(alice->transport().peer_close_reason()->code, close_code::shutdown);
    }(), 10s);
}

}  // namespace
