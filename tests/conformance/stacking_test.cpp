// Stacking, run rather than only static_asserted: a secure_channel is itself a Transport, so a
// scheme's handshake and cipher run over another scheme's channel. Here the tutorial scheme
// (authenticated) runs inside PSK-pnet (a bare stream cipher, no MAC) over the in-process pipe:
// messages go through both layers both ways, and bytes forged beneath pnet — which pnet cannot
// detect — are refused by the scheme above it.
#include <sealed/pnet/scheme.hpp>
#include <sealed/session.hpp>
#include <sealed/transport/memory.hpp>

#include <sealed_test/run.hpp>

#include "../install/tutorial/psk_scheme.hpp"

#include <boost/asio/detached.hpp>

namespace {

using namespace sealed;
using sealed_test::run;
using namespace std::chrono_literals;

// Both sides of one scheme's handshake over the two ends `a` (client) and `b` (server).
template <class S, class T>
awaitable<std::pair<result<established<cipher_of<S>>>, result<established<cipher_of<S>>>>> handshake_both(
    T& a, T& b, const typename S::options& client_options, const typename S::options& server_options) {
    std::optional<result<established<cipher_of<S>>>> served;
    auto serve = [&]() -> awaitable<void> {
        auto hs = S::make_handshake(role::server, server_options);
        served = co_await run_handshake(b, hs, 2s);
    };
    const auto ex = co_await net::this_coro::executor;
    net::co_spawn(ex, serve(), net::detached);
    auto hs = S::make_handshake(role::client, client_options);
    auto joined = co_await run_handshake(a, hs, 2s);
    while (!served) {
        net::steady_timer tick(ex, 1ms);
        co_await tick.async_wait(net::use_awaitable);
    }
    co_return std::pair{std::move(joined), std::move(*served)};
}

TEST(stacking, the_tutorial_scheme_runs_inside_pnet_and_refuses_what_pnet_lets_through) {
    net::io_context io;
    run(io, [&]() -> awaitable<void> {
        auto ends = transport::memory_stream::make_pair(io.get_executor());
        pnet::options network;
        network.key = pnet::tenant_psk(bytes(32, 0x5a), "did:example:stacking");
        auto outer = co_await handshake_both<pnet::scheme>(ends.first, ends.second, network, network);
        CO_ASSERT_TRUE(outer.first && outer.second);
        secure_channel client_net(std::move(ends.first), std::move(*outer.first));
        secure_channel server_net(std::move(ends.second), std::move(*outer.second));

        tutorial::psk::key alice_key{};
        alice_key.fill(byte{3});
        tutorial::psk::options alice;
        alice.name = "alice";
        alice.client_key = alice_key;
        tutorial::psk::options server;
        server.keys = std::make_shared<const tutorial::psk::key_map>(tutorial::psk::key_map{{"alice", alice_key}});
        auto inner = co_await handshake_both<tutorial::psk::scheme>(client_net, server_net, alice, server);
        CO_ASSERT_TRUE(inner.first && inner.second);
        EXPECT_EQ(inner.second->peer_id, "alice");
        secure_channel client(std::move(client_net), std::move(*inner.first));
        secure_channel served(std::move(server_net), std::move(*inner.second));

        const auto hello = as_bytes("hello through two layers");
        CO_ASSERT_FALSE(co_await client.async_send(hello));
        message_buffer got;
        CO_ASSERT_FALSE(co_await served.async_receive(got));
        EXPECT_EQ(got.text(), "hello through two layers");
        const auto back = as_bytes("and back");
        CO_ASSERT_FALSE(co_await served.async_send(back));
        CO_ASSERT_FALSE(co_await client.async_receive(got));
        EXPECT_EQ(got.text(), "and back");

        // Forged bytes written beneath pnet: pnet decrypts them into noise without noticing;
        // the tutorial scheme's tag does not verify, and nothing of them reaches the app.
        const bytes forged(64, byte{0x42});
        CO_ASSERT_FALSE(co_await client.transport().transport().async_write(forged, message_kind::binary));
        const auto refused = co_await served.async_receive(got);
        EXPECT_EQ(refused, condition::authentication_failed) << refused.message();
        EXPECT_EQ(got.size(), 0u);
    }(), 10s);
}

}  // namespace
