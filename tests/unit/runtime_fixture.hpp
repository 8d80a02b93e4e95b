// What the runtime's socket tests share: a server<ws> of the named test scheme on a loopback
// port, a client to it, and a bounded receive.
#pragma once

#include <sealed/client.hpp>
#include <sealed/server.hpp>

#include <sealed_test/named_scheme.hpp>
#include <sealed_test/run.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <memory>
#include <optional>
#include <string>

namespace runtime_fixture {

using namespace sealed;
using namespace std::chrono_literals;
using sealed_test::run;
using sealed_test::sleep_for;
using scheme = sealed_test::named::scheme;
using test_server = server<ws, scheme>;
using test_client = client<ws, scheme>;
using connection_t = test_server::connection_type;
constexpr auto nothrow = net::as_tuple(net::use_awaitable);

inline awaitable<void> echo(connection_t& c) { return sealed_test::echo(c); }

struct fixture {
    net::io_context io;
    server_config cfg;
    std::unique_ptr<test_server> srv;
    std::uint16_t port = 0;

    fixture() { cfg.listen = "127.0.0.1:0"; }
    void start(test_server::session_handler handler = [](connection_t& c) { return echo(c); }) {
        srv = std::make_unique<test_server>(io, cfg);
        srv->on_session(std::move(handler));
        port = srv->start().value().port();
    }
    std::string url() const { return "ws://127.0.0.1:" + std::to_string(port) + "/ws"; }
    const client_config default_client;
    // ccfg must outlive the connect (ADR-0001: no defaulted non-trivial coroutine parameters).
    awaitable<result<test_client::channel_type>> connect(std::string name) { return connect(std::move(name), default_client); }
    awaitable<result<test_client::channel_type>> connect(std::string name, const client_config& ccfg) {
        const scheme::options opts{std::move(name)};
        co_return co_await test_client::connect(io.get_executor(), url(), ccfg, opts);
    }
    ~fixture() {
        if (srv) srv->stop();
        sealed_test::drain(io);
    }
};

// A message within `limit`, or nullopt.
inline awaitable<std::optional<std::string>> receive_within(test_client::channel_type& ch, std::chrono::milliseconds limit) {
    using namespace net::experimental::awaitable_operators;
    message_buffer in;
    net::steady_timer timer(co_await net::this_coro::executor, limit);
    auto r = co_await (ch.async_receive(in) || timer.async_wait(nothrow));
    if (r.index() == 0 && !std::get<0>(r)) co_return std::string(in.text());
    co_return std::nullopt;
}

// The connection still answers: an echo server sends "still here" back within 2 s.
inline awaitable<bool> still_echoes(test_client::channel_type& ch) {
    auto ping = as_bytes("still here");
    if (co_await ch.async_send(ping)) co_return false;
    auto echoed = co_await receive_within(ch, std::chrono::milliseconds(2000));
    co_return echoed && *echoed == "still here";
}

}  // namespace runtime_fixture
