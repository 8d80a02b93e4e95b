// Replay stores: the in-memory one (expiry, bound, threads) and the Redis one (shared between
// clients, fails closed while Redis is down).
#include "redis_common.hpp"

#include <sealed/cluster/replay_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

using namespace sealed;
using namespace std::chrono_literals;
using redis_testing::fast_config;
using redis_testing::started_client;
using sealed_test::run;
namespace cluster = sealed::cluster;
namespace redis = sealed::redis;

// One async_remember, run to completion on a private io_context (for plain test bodies).
result<bool> remember(cluster::replay_store& store, const std::string& key, std::chrono::milliseconds ttl) {
    net::io_context io;
    std::optional<result<bool>> out;
    auto body = [&]() -> awaitable<void> { out = co_await store.async_remember(key, ttl); };
    run(io, body(), 5s);
    return out.value_or(result<bool>(boost::system::in_place_error, make_error_code(errc::timeout)));
}

TEST(memory_replay_store, first_sighting_then_replay) {
    auto store = cluster::make_memory_replay_store();
    EXPECT_EQ(store->name(), "memory");
    EXPECT_EQ(remember(*store, "nonce-a", 10s).value(), true);
    EXPECT_EQ(remember(*store, "nonce-a", 10s).value(), false);
    EXPECT_EQ(remember(*store, "nonce-b", 10s).value(), true);
    auto bad_ttl = remember(*store, "nonce-c", 0ms);
    ASSERT_FALSE(bad_ttl);
    EXPECT_EQ(bad_ttl.error(), errc::invalid_argument);
}

TEST(memory_replay_store, forgets_after_the_ttl) {
    auto store = cluster::make_memory_replay_store();
    EXPECT_EQ(remember(*store, "short", 50ms).value(), true);
    EXPECT_EQ(remember(*store, "short", 50ms).value(), false);
    std::this_thread::sleep_for(80ms);
    EXPECT_EQ(remember(*store, "short", 50ms).value(), true);  // expired: a new sighting
    EXPECT_EQ(remember(*store, "short", 50ms).value(), false);
}

TEST(memory_replay_store, full_of_live_nonces_refuses_rather_than_evicts) {
    auto store = cluster::make_memory_replay_store({.max_entries = 3, .shards = 2});
    EXPECT_EQ(remember(*store, "k1", 10s).value(), true);
    EXPECT_EQ(remember(*store, "k2", 10s).value(), true);
    EXPECT_EQ(remember(*store, "k3", 100ms).value(), true);
    auto full = remember(*store, "k4", 10s);
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error(), errc::replay_store_full);
    EXPECT_EQ(full.error(), condition::resource_exhausted);
    // The live ones are still known (nothing was evicted to make room).
    EXPECT_EQ(remember(*store, "k1", 10s).value(), false);
    EXPECT_EQ(remember(*store, "k2", 10s).value(), false);
    // Once k3 expires its slot is free again, whichever shard the new key lands in.
    std::this_thread::sleep_for(150ms);
    EXPECT_EQ(remember(*store, "k4", 10s).value(), true);
    EXPECT_EQ(remember(*store, "k5", 10s).error(), errc::replay_store_full);
}

// 4 threads race over the same 5 000 keys: each key is "first" for exactly one of them.
TEST(memory_replay_store, concurrent_use_from_four_threads) {
    auto store = cluster::make_memory_replay_store({.max_entries = 100'000, .shards = 16});
    constexpr int keys = 5000;
    std::atomic<int> fresh{0}, replays{0}, errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            net::io_context io;
            auto body = [&]() -> awaitable<void> {
                for (int i = 0; i < keys; ++i) {
                    const std::string key = "nonce-" + std::to_string((i * 7 + t * 1000) % keys);
                    auto r = co_await store->async_remember(key, 10s);
                    if (!r) ++errors;
                    else if (*r) ++fresh;
                    else ++replays;
                }
            };
            run(io, body(), 20s);
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(errors, 0);
    EXPECT_EQ(fresh, keys);
    EXPECT_EQ(replays, 3 * keys);
}

class redis_replay_store : public sealed_test::redis_fixture {
protected:
    net::io_context io;
};

TEST_F(redis_replay_store, first_sighting_then_replay_with_a_ttl_in_redis) {
    started_client c(io, fast_config(server->port()));
    auto store = cluster::make_redis_replay_store(c.client, "sealed:nonce:");
    EXPECT_EQ(store->name(), "redis");
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await c->async_wait_connected(2s));
        const std::string nonce = "AAECAwQFBgcICQoLDA0ODw==";
        auto first = co_await store->async_remember(nonce, 120000ms);
        CO_ASSERT_TRUE(first);
        EXPECT_TRUE(*first);
        auto again = co_await store->async_remember(nonce, 120000ms);
        CO_ASSERT_TRUE(again);
        EXPECT_FALSE(*again);
        const std::string key = "sealed:nonce:" + nonce;
        auto ttl = co_await c->async_exec("PTTL", key);
        CO_ASSERT_TRUE(ttl);
        EXPECT_GT(ttl->integer, 110000);
        EXPECT_LE(ttl->integer, 120000);

        auto short_lived = co_await store->async_remember("brief", 50ms);
        CO_ASSERT_TRUE(short_lived);
        EXPECT_TRUE(*short_lived);
        co_await sealed_test::sleep_for(100ms);
        auto expired = co_await store->async_remember("brief", 50ms);
        CO_ASSERT_TRUE(expired);
        EXPECT_TRUE(*expired);
    }, 10s);
}

// Two processes behind a balancer are two clients on one Redis: a nonce seen by one is a
// replay for the other.
TEST_F(redis_replay_store, two_clients_share_nonces) {
    started_client a(io, fast_config(server->port()));
    started_client b(io, fast_config(server->port()));
    auto store_a = cluster::make_redis_replay_store(a.client, "n:");
    auto store_b = cluster::make_redis_replay_store(b.client, "n:");
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await a->async_wait_connected(2s));
        CO_ASSERT_FALSE(co_await b->async_wait_connected(2s));
        auto via_a = co_await store_a->async_remember("shared-nonce", 10s);
        CO_ASSERT_TRUE(via_a);
        EXPECT_TRUE(*via_a);
        auto via_b = co_await store_b->async_remember("shared-nonce", 10s);
        CO_ASSERT_TRUE(via_b);
        EXPECT_FALSE(*via_b);
        auto other = co_await store_b->async_remember("other-nonce", 10s);
        CO_ASSERT_TRUE(other);
        EXPECT_TRUE(*other);
        auto other_via_a = co_await store_a->async_remember("other-nonce", 10s);
        CO_ASSERT_TRUE(other_via_a);
        EXPECT_FALSE(*other_via_a);
    }, 10s);
}

TEST_F(redis_replay_store, fails_closed_while_redis_is_down_and_recovers) {
    started_client c(io, fast_config(server->port()));
    auto store = cluster::make_redis_replay_store(c.client, "n:");
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await c->async_wait_connected(2s));
        auto before = co_await store->async_remember("before", 500ms);
        CO_ASSERT_TRUE(before);

        server->stop();
        auto noticed = [&] { return c->state() != redis::connection_state::connected; };
        CO_ASSERT_TRUE(co_await redis_testing::eventually(noticed, 2s));
        auto down = co_await store->async_remember("during", 500ms);
        CO_ASSERT_FALSE(down);
        EXPECT_EQ(down.error(), errc::replay_store_unavailable);

        // Back, but empty (the test server keeps nothing): for one window nothing is admitted.
        CO_ASSERT_TRUE(server->start());
        CO_ASSERT_FALSE(co_await c->async_wait_connected(3s));
        auto empty = co_await store->async_remember("during", 500ms);
        CO_ASSERT_FALSE(empty);
        EXPECT_EQ(empty.error(), errc::replay_store_unavailable);
        co_await sealed_test::sleep_for(600ms);
        auto back = co_await store->async_remember("during", 500ms);
        CO_ASSERT_TRUE(back);
        EXPECT_TRUE(*back);  // never stored while down: a first sighting now
    }, 15s);
}

// Hardening round 2, item 6: a nonce remembered through one process was admitted again by
// another after Redis restarted without its data. Every store that knew the old epoch, and one
// that starts meanwhile, refuses for the replay window; after it, all admit new nonces again.
TEST_F(redis_replay_store, redis_that_came_back_empty_refuses_replays_for_one_window_everywhere) {
    started_client a(io, fast_config(server->port()));
    started_client b(io, fast_config(server->port()));
    started_client c(io, fast_config(server->port()));  // its store is first used after the loss
    auto store_a = cluster::make_redis_replay_store(a.client, "n:");
    auto store_b = cluster::make_redis_replay_store(b.client, "n:");
    auto store_c = cluster::make_redis_replay_store(c.client, "n:");
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await a->async_wait_connected(2s));
        CO_ASSERT_FALSE(co_await b->async_wait_connected(2s));
        auto served = co_await store_a->async_remember("served-before", 1000ms);
        CO_ASSERT_TRUE(served);
        EXPECT_TRUE(*served);
        auto warm = co_await store_b->async_remember("b-was-running", 1000ms);
        CO_ASSERT_TRUE(warm);

        server->stop();
        auto all_noticed = [&] {
            for (auto* client : {a.client.get(), b.client.get(), c.client.get()})
                if (client->state() == redis::connection_state::connected) return false;
            return true;
        };
        CO_ASSERT_TRUE(co_await redis_testing::eventually(all_noticed, 2s));
        CO_ASSERT_TRUE(server->start());
        CO_ASSERT_FALSE(co_await a->async_wait_connected(3s));
        CO_ASSERT_FALSE(co_await b->async_wait_connected(3s));
        auto replay = co_await store_b->async_remember("served-before", 1000ms);
        EXPECT_FALSE(replay) << "replayed after Redis lost its data";
        CO_ASSERT_FALSE(replay);
        EXPECT_EQ(replay.error(), errc::replay_store_unavailable);
        auto via_a = co_await store_a->async_remember("served-before", 1000ms);
        CO_ASSERT_FALSE(via_a);
        CO_ASSERT_FALSE(co_await c->async_wait_connected(3s));
        auto fresh = co_await store_c->async_remember("served-before", 1000ms);
        EXPECT_FALSE(fresh) << "a store started meanwhile admits too early";

        co_await sealed_test::sleep_for(1100ms);
        auto after = co_await store_b->async_remember("new-nonce", 1000ms);
        CO_ASSERT_TRUE(after);
        EXPECT_TRUE(*after);
        auto again = co_await store_a->async_remember("new-nonce", 1000ms);
        CO_ASSERT_TRUE(again);
        EXPECT_FALSE(*again);
    }, 20s);
}

}  // namespace
