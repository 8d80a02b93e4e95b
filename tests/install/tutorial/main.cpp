// The tutorial scheme served and called over ws on loopback, as an app outside the tree would:
// a client with the right key gets its echo, one with a wrong key and one with an unknown name
// are refused. Exit status 0 only when all three happen.
#include "psk_scheme.hpp"

#include <sealed/client.hpp>
#include <sealed/server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <cstdio>

namespace {

using scheme = tutorial::psk::scheme;

sealed::awaitable<bool> echo_once(const std::string& url, scheme::options opts) {
    // Named, not temporaries inside co_await: GCC 12 (docs/decisions/0001).
    const sealed::client_config cfg;
    auto channel = co_await sealed::client<sealed::ws, scheme>::connect(co_await sealed::net::this_coro::executor,
                                                                         std::string_view(url), cfg, opts);
    if (!channel) {
        std::printf("%s: refused (%s)\n", opts.name.c_str(), channel.error().message().c_str());
        co_return false;
    }
    const auto hello = sealed::as_bytes("hello");
    if (auto ec = co_await channel->async_send(hello)) co_return false;
    sealed::message_buffer reply;
    if (auto ec = co_await channel->async_receive(reply)) co_return false;
    std::printf("%s: echo '%s'\n", opts.name.c_str(), std::string(reply.text()).c_str());
    const sealed::close_reason bye{sealed::close_code::normal, ""};
    co_await channel->async_close(bye);
    co_return reply.text() == "hello";
}

}  // namespace

int main() {
    sealed::net::io_context io;
    tutorial::psk::key alice_key{};
    alice_key.fill(sealed::byte{7});

    sealed::server_config cfg;
    cfg.listen = "127.0.0.1:0";
    scheme::options server_opts;
    server_opts.keys = std::make_shared<const tutorial::psk::key_map>(tutorial::psk::key_map{{"alice", alice_key}});
    sealed::server<sealed::ws, scheme> server(io, cfg, server_opts);
    server.on_session([](auto& conn) -> sealed::awaitable<void> {
        sealed::message_buffer in;
        while (!co_await conn.async_receive(in)) co_await conn.async_send(in.bytes());
    });
    auto bound = server.start();
    if (!bound) {
        std::printf("start: %s\n", bound.error().message().c_str());
        return 1;
    }
    const auto url = "ws://127.0.0.1:" + std::to_string(bound->port()) + "/ws";

    bool ok = false;
    auto run = [&]() -> sealed::awaitable<void> {
        scheme::options alice{"alice", alice_key, nullptr, std::chrono::milliseconds(5000)};
        scheme::options wrong_key = alice;
        wrong_key.client_key.fill(sealed::byte{8});
        scheme::options stranger = alice;
        stranger.name = "mallory";
        const bool echoed = co_await echo_once(url, alice);
        const bool wrong_key_refused = !co_await echo_once(url, wrong_key);
        const bool stranger_refused = !co_await echo_once(url, stranger);
        ok = echoed && wrong_key_refused && stranger_refused;
        co_await server.async_stop();
    };
    boost::asio::co_spawn(io, run(), boost::asio::detached);
    io.run();
    std::printf("tutorial scheme over ws: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
