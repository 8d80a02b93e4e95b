// Redis Sentinel (issue 29): the client asks the sentinels for the primary, and when the
// primary is killed mid-traffic it follows the failover to the promoted replica. Pub/sub
// resumes with nothing delivered twice, and the replay store refuses (fails closed) while there
// is no primary and remembers, after the failover, a nonce it stored before.
#include "redis_common.hpp"

#include <sealed/cluster/redis.hpp>
#include <sealed/cluster/replay_store.hpp>

#include <sealed_test/sentinel.hpp>

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace {

using namespace sealed;
using namespace std::chrono_literals;
using redis_testing::eventually;
using redis_testing::started_client;
using sealed_test::run;
namespace redis = sealed::redis;

redis::config via_sentinels(const sealed_test::sentinel_setup& s) {
    auto cfg = redis::parse_url(s.url());
    EXPECT_TRUE(cfg);
    cfg->connect_timeout = 500ms;
    cfg->request_timeout = 1000ms;
    cfg->reconnect_min = 50ms;
    cfg->reconnect_max = 250ms;
    return *cfg;
}

TEST(redis_sentinel, finds_the_primary_and_refuses_a_name_no_sentinel_knows) {
    if (sealed_test::redis_server::executable().empty()) GTEST_SKIP() << "redis-server is not installed";
    sealed_test::sentinel_setup sentinels;
    ASSERT_TRUE(sentinels.ready()) << "primary, replica and three sentinels did not come up";
    net::io_context io;
    auto unknown_cfg = via_sentinels(sentinels);
    unknown_cfg.sentinel.master_name = "no-such-primary";
    started_client c(io, via_sentinels(sentinels));
    started_client unknown(io, unknown_cfg);
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await c->async_wait_connected(3s));
        // Connected to the primary, not to the replica or a sentinel: a write succeeds.
        auto set = co_await c->async_exec("SET", "where", "primary");
        CO_ASSERT_TRUE(set);
        EXPECT_TRUE(set->is_status("OK")) << set->str;
        auto role = co_await c->async_exec("ROLE");
        CO_ASSERT_TRUE(role);
        CO_ASSERT_TRUE(!role->elements.empty());
        EXPECT_EQ(role->elements[0].str, "master");
        const auto refused = co_await unknown->async_wait_connected(1500ms);
        EXPECT_EQ(refused, errc::redis_error) << refused.message();
    });
}

TEST(redis_sentinel, follows_a_failover_mid_traffic_without_delivering_twice) {
    if (sealed_test::redis_server::executable().empty()) GTEST_SKIP() << "redis-server is not installed";
    sealed_test::sentinel_setup sentinels;
    ASSERT_TRUE(sentinels.ready()) << "primary, replica and three sentinels did not come up";
    const auto first_primary = sentinels.primary_port();
    net::io_context io;
    started_client publisher(io, via_sentinels(sentinels));
    started_client subscriber(io, via_sentinels(sentinels));
    auto replay = cluster::make_redis_replay_store(publisher.client);
    std::map<std::string, int> received;  // message → times delivered
    subscriber->subscribe("chat", [&](std::string_view, std::string_view m) { ++received[std::string(m)]; });

    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await publisher->async_wait_connected(3s));
        const auto subscribed = [&] { return subscriber->stats().subscriptions == 1; };
        CO_ASSERT_TRUE(co_await eventually(subscribed));
        const std::string before_nonce = "nonce-before";
        auto fresh = co_await replay->async_remember(before_nonce, 60s);
        CO_ASSERT_TRUE(fresh && *fresh);
        // The nonce is on the replica before the primary dies (replication is asynchronous).
        auto acked = co_await publisher->async_exec("WAIT", "1", "2000");
        CO_ASSERT_TRUE(acked && acked->integer == 1);

        std::set<std::string> published_after;  // acknowledged by the new primary, subscriber there
        bool killed = false, refused_while_down = false;
        for (int i = 0; i < 400 && published_after.size() < 20; ++i) {
            const std::string message = "m" + std::to_string(i);
            // Expected only if the subscriber listened on the new primary before the PUBLISH:
            // Redis pub/sub delivers to nobody else (at-most-once), as documented.
            const auto listening = subscriber->stats();
            auto sent = co_await publisher->async_publish("chat", message);
            if (i == 10) {
                sentinels.kill_primary();
                killed = true;
            }
            if (sent && killed && listening.subscriber_reconnects > 0 && listening.subscriptions == 1)
                published_after.insert(message);
            if (killed && publisher->stats().reconnects == 0) {
                const std::string probe = "nonce-during-" + std::to_string(i);
                auto during = co_await replay->async_remember(probe, 60s);
                if (!during && during.error() == errc::replay_store_unavailable) refused_while_down = true;
                EXPECT_FALSE(during && *during) << "the replay store accepted a nonce with no primary";
            }
            co_await sealed_test::sleep_for(50ms);
        }
        EXPECT_TRUE(refused_while_down);
        EXPECT_GE(published_after.size(), 20u) << "publishing did not resume after the failover";
        if (published_after.size() < 20) co_return;
        EXPECT_EQ(sentinels.named_primary(), sentinels.replica_port());
        EXPECT_NE(sentinels.named_primary(), first_primary);

        const auto all_arrived = [&] {
            for (const auto& m : published_after)
                if (!received.contains(m)) return false;
            return true;
        };
        EXPECT_TRUE(co_await eventually(all_arrived, 5000ms));
        for (const auto& [message, times] : received) EXPECT_EQ(times, 1) << message << " delivered " << times << " times";
        EXPECT_GE(subscriber->stats().subscriber_reconnects, 1u);

        // The new primary has what the old one replicated: the nonce is still a replay.
        auto again = co_await replay->async_remember(before_nonce, 60s);
        EXPECT_TRUE(again) << again.error().message();
        if (!again) co_return;
        EXPECT_FALSE(*again);
        const std::string after_nonce = "nonce-after";
        auto after = co_await replay->async_remember(after_nonce, 60s);
        CO_ASSERT_TRUE(after);
        EXPECT_TRUE(*after);
    });
}

}  // namespace
