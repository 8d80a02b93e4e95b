// The Redis client against a real redis-server on loopback: URLs, round trips, pipelining,
// errors, AUTH, outages and reconnects, pub/sub. Each test bounds its own time.
#include "redis_common.hpp"

#include <sealed/cluster/redis.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <gtest/gtest.h>

#include <array>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using namespace sealed;
using namespace std::chrono_literals;
using redis_testing::eventually;
using redis_testing::fast_config;
using redis_testing::started_client;
using sealed_test::run;
namespace redis = sealed::redis;

class redis_client : public sealed_test::redis_fixture {
protected:
    net::io_context io;
};

TEST(redis_url, parses_every_part) {
    auto full = redis::parse_url("redis://alice:s%40cret%3A1@cache.internal:6380/3");
    ASSERT_TRUE(full) << full.error().message();
    EXPECT_EQ(full->username, "alice");
    EXPECT_EQ(full->password, "s@cret:1");
    EXPECT_EQ(full->host, "cache.internal");
    EXPECT_EQ(full->port, 6380);
    EXPECT_EQ(full->db, 3);

    auto plain = redis::parse_url("redis://127.0.0.1");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->port, 6379);
    EXPECT_EQ(plain->db, 0);
    EXPECT_TRUE(plain->password.empty());

    auto password_only = redis::parse_url("redis://:hunter2@localhost:7000/");
    ASSERT_TRUE(password_only);
    EXPECT_EQ(password_only->username, "");
    EXPECT_EQ(password_only->password, "hunter2");
    EXPECT_EQ(password_only->db, 0);

    auto v6 = redis::parse_url("REDIS://[::1]:6390/1");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, 6390);
    EXPECT_EQ(v6->db, 1);

    auto unencoded_at = redis::parse_url("redis://:p@ss@host");  // the last '@' ends the user info
    ASSERT_TRUE(unencoded_at);
    EXPECT_EQ(unencoded_at->password, "p@ss");
    EXPECT_EQ(unencoded_at->host, "host");
}

TEST(redis_url, refuses_with_a_reason) {
    for (const char* bad : {"localhost:6379", "http://host", "redis+sentinel://h1:26379",
                            "redis+sentinel://h1,/primary", "redis+sentinel://h1:x/primary", "rediss+sentinel://h1/", "redis://", "redis://host:0",
                            "redis://host:70000", "redis://host:port", "redis://host:", "redis://host/x",
                            "redis://host/-1", "redis://host?db=1", "redis://user@host", "redis://user:@host",
                            "redis://:p%zz@host", "redis://::1:6379", "redis://[::1"}) {
        std::string why;
        auto parsed = redis::parse_url(bad, &why);
        EXPECT_FALSE(parsed) << bad;
        if (!parsed) {
            EXPECT_EQ(parsed.error(), errc::invalid_argument) << bad;
        }
        EXPECT_FALSE(why.empty()) << bad;
    }
    std::string why;
    EXPECT_FALSE(redis::parse_url("redis+sentinel://h1:26379", &why));
    EXPECT_NE(why.find("primary name"), std::string::npos) << why;
}

TEST(redis_url, rediss_and_sentinel_forms) {
    auto tls = redis::parse_url("rediss://app:pw@cache.internal/2");
    ASSERT_TRUE(tls) << tls.error().message();
    EXPECT_TRUE(tls->tls.enabled);
    EXPECT_EQ(tls->host, "cache.internal");
    EXPECT_EQ(tls->port, 6379);
    EXPECT_EQ(tls->db, 2);
    EXPECT_TRUE(tls->sentinel.nodes.empty());

    auto s = redis::parse_url("redis+sentinel://app:pw@10.0.0.1,10.0.0.2:26380,[::1]:26381/my%2Dprimary/4");
    ASSERT_TRUE(s) << s.error().message();
    EXPECT_FALSE(s->tls.enabled);
    ASSERT_EQ(s->sentinel.nodes.size(), 3u);
    EXPECT_EQ(s->sentinel.nodes[0].host, "10.0.0.1");
    EXPECT_EQ(s->sentinel.nodes[0].port, 26379);
    EXPECT_EQ(s->sentinel.nodes[1].port, 26380);
    EXPECT_EQ(s->sentinel.nodes[2].host, "::1");
    EXPECT_EQ(s->sentinel.nodes[2].port, 26381);
    EXPECT_EQ(s->sentinel.master_name, "my-primary");
    EXPECT_EQ(s->db, 4);
    EXPECT_EQ(s->username, "app");  // the primary's; sentinel credentials are separate
    EXPECT_TRUE(s->sentinel.password.empty());

    auto both = redis::parse_url("rediss+sentinel://h1/p");
    ASSERT_TRUE(both);
    EXPECT_TRUE(both->tls.enabled);
    EXPECT_EQ(both->sentinel.master_name, "p");
    EXPECT_EQ(both->db, 0);
}

TEST(redis_errors, have_messages_and_conditions) {
    for (auto e : {errc::redis_unavailable, errc::redis_error, errc::redis_timeout, errc::redis_auth_failed,
                   errc::replay_store_unavailable, errc::replay_store_full})
        EXPECT_NE(error_code(e).message(), "unknown sealed error");
    EXPECT_EQ(error_code(errc::redis_timeout), condition::timeout);
    EXPECT_EQ(error_code(errc::replay_store_full), condition::resource_exhausted);
    // Our backend failing is not the peer's fault: no transport or authentication condition.
    EXPECT_NE(error_code(errc::redis_unavailable), condition::transport_closed);
    EXPECT_NE(error_code(errc::redis_auth_failed), condition::authentication_failed);
}

TEST_F(redis_client, set_get_incr_round_trips) {
    started_client c(io, fast_config(server->port()));
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await c->async_wait_connected(2s));
        EXPECT_EQ(c->state(), redis::connection_state::connected);

        auto set = co_await c->async_exec("SET", "greeting", "hello");
        CO_ASSERT_TRUE(set);
        EXPECT_TRUE(set->is_status("OK"));
        auto get = co_await c->async_exec("GET", "greeting");
        CO_ASSERT_TRUE(get);
        EXPECT_EQ(get->type, redis::reply_type::string);
        EXPECT_EQ(get->str, "hello");
        auto missing = co_await c->async_exec("GET", "no-such-key");
        CO_ASSERT_TRUE(missing);
        EXPECT_TRUE(missing->is_nil());

        for (long long expected = 1; expected <= 3; ++expected) {
            auto incr = co_await c->async_exec("INCR", "counter");
            CO_ASSERT_TRUE(incr);
            EXPECT_EQ(incr->type, redis::reply_type::integer);
            EXPECT_EQ(incr->integer, expected);
        }

        // Binary-safe both ways: NUL, CR LF and bytes over 0x7f survive.
        const std::string binary("a\0b\r\nc\xff", 7);
        auto set_binary = co_await c->async_exec("SET", "binary", binary);
        CO_ASSERT_TRUE(set_binary);
        auto get_binary = co_await c->async_exec("GET", "binary");
        CO_ASSERT_TRUE(get_binary);
        EXPECT_EQ(get_binary->str, binary);

        auto push = co_await c->async_exec("RPUSH", "list", "x", "y", "z");
        CO_ASSERT_TRUE(push);
        auto range = co_await c->async_exec("LRANGE", "list", "0", "-1");
        CO_ASSERT_TRUE(range);
        EXPECT_EQ(range->type, redis::reply_type::array);
        CO_ASSERT_TRUE(range->elements.size() == 3);
        EXPECT_EQ(range->elements[0].str, "x");
        EXPECT_EQ(range->elements[2].str, "z");
    }, 10s);
    EXPECT_GE(c->stats().commands, 10u);
}

TEST_F(redis_client, selects_the_configured_database) {
    auto cfg = fast_config(server->port());
    cfg.db = 3;
    started_client in_db3(io, cfg);
    started_client in_db0(io, fast_config(server->port()));
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await in_db3->async_wait_connected(2s));
        CO_ASSERT_FALSE(co_await in_db0->async_wait_connected(2s));
        auto stored = co_await in_db3->async_exec("SET", "where", "three");
        CO_ASSERT_TRUE(stored);
        auto other = co_await in_db0->async_exec("GET", "where");
        CO_ASSERT_TRUE(other);
        EXPECT_TRUE(other->is_nil());
        auto same = co_await in_db3->async_exec("GET", "where");
        CO_ASSERT_TRUE(same);
        EXPECT_EQ(same->str, "three");
    }, 10s);
}

// Coroutines on the test's io_context, client on another thread's: every caller hops onto the
// client's strand and back, and gets its own reply although all 200 share one pipeline.
TEST_F(redis_client, pipelines_200_concurrent_requests_from_another_executor) {
    net::io_context client_io;
    auto work = net::make_work_guard(client_io);
    std::thread client_thread([&] { client_io.run(); });
    auto c = redis::make_client(client_io.get_executor(), fast_config(server->port()));
    c->start();

    constexpr int callers = 200;
    int matched = 0, finished = 0;
    std::vector<bool> resumed_on_caller_thread(callers, false);
    const auto test_thread = std::this_thread::get_id();
    auto one = [&](int i) -> awaitable<void> {
        const std::string payload = "payload-" + std::to_string(i) + std::string(static_cast<std::size_t>(i), 'x');
        const std::array<std::string_view, 2> args{"ECHO", payload};
        auto r = co_await c->async_exec(args);
        resumed_on_caller_thread[static_cast<std::size_t>(i)] = std::this_thread::get_id() == test_thread;
        if (r && r->type == redis::reply_type::string && r->str == payload) ++matched;
        ++finished;
    };
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await c->async_wait_connected(2s));
        for (int i = 0; i < callers; ++i) net::co_spawn(io, one(i), net::detached);
        auto all_done = [&] { return finished == callers; };
        EXPECT_TRUE(co_await eventually(all_done, 5s));
    }, 10s);
    EXPECT_EQ(matched, callers);
    EXPECT_EQ(std::count(resumed_on_caller_thread.begin(), resumed_on_caller_thread.end(), true), callers);
    EXPECT_EQ(c->stats().commands, static_cast<std::uint64_t>(callers));
    c->stop();
    work.reset();
    client_thread.join();
}

TEST_F(redis_client, error_reply_is_a_value_and_the_connection_stays) {
    started_client c(io, fast_config(server->port()));
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await c->async_wait_connected(2s));
        auto text = co_await c->async_exec("SET", "text", "not a number");
        CO_ASSERT_TRUE(text);
        auto wrong = co_await c->async_exec("INCR", "text");
        CO_ASSERT_TRUE(wrong);
        EXPECT_TRUE(wrong->is_error());
        EXPECT_EQ(wrong->str.rfind("ERR", 0), 0u) << wrong->str;
        auto unknown = co_await c->async_exec("NO-SUCH-COMMAND");
        CO_ASSERT_TRUE(unknown);
        EXPECT_TRUE(unknown->is_error());
        auto after = co_await c->async_exec("PING");
        CO_ASSERT_TRUE(after);
        EXPECT_TRUE(after->is_status("PONG"));
    }, 10s);
    EXPECT_EQ(c->stats().command_errors, 2u);
    EXPECT_EQ(c->state(), redis::connection_state::connected);
}

TEST_F(redis_client, refuses_commands_that_would_break_reply_matching) {
    started_client c(io, fast_config(server->port()));
    EXPECT_THROW((void)c->async_exec("subscribe", "news"), std::invalid_argument);
    EXPECT_THROW((void)c->async_exec(std::span<const std::string_view>{}), std::invalid_argument);
}

TEST_F(redis_client, authenticates_and_a_wrong_password_fails_clearly) {
    sealed_test::redis_server guarded({"correct horse"});
    ASSERT_TRUE(guarded.running());
    auto good_cfg = fast_config(guarded.port());
    good_cfg.password = "correct horse";
    auto bad_cfg = good_cfg;
    bad_cfg.password = "wrong";
    auto user_cfg = good_cfg;
    user_cfg.username = "default";  // AUTH username password (Redis 6 ACL form)
    started_client good(io, good_cfg);
    started_client bad(io, bad_cfg);
    started_client with_user(io, user_cfg);
    started_client none(io, fast_config(guarded.port()));
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await good->async_wait_connected(2s));
        auto ping = co_await good->async_exec("PING");
        CO_ASSERT_TRUE(ping);
        EXPECT_TRUE(ping->is_status("PONG"));
        CO_ASSERT_FALSE(co_await with_user->async_wait_connected(2s));

        const auto bad_outcome = co_await bad->async_wait_connected(500ms);
        EXPECT_EQ(bad_outcome, errc::redis_auth_failed);
        EXPECT_EQ(bad->last_error(), errc::redis_auth_failed);
        EXPECT_NE(bad->state(), redis::connection_state::connected);
        auto refused = co_await bad->async_exec("PING");
        CO_ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error(), errc::redis_unavailable);
        // No password at all: the server's NOAUTH is an authentication failure too.
        const auto none_outcome = co_await none->async_wait_connected(500ms);
        EXPECT_EQ(none_outcome, errc::redis_auth_failed);
    }, 10s);
}

TEST_F(redis_client, outage_fails_fast_and_the_same_client_recovers) {
    started_client c(io, fast_config(server->port()));
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await c->async_wait_connected(2s));
        auto before = co_await c->async_exec("SET", "before", "1");
        CO_ASSERT_TRUE(before);

        server->stop();
        auto noticed = [&] { return c->state() == redis::connection_state::reconnecting; };
        CO_ASSERT_TRUE(co_await eventually(noticed, 2s));
        const auto asked = std::chrono::steady_clock::now();
        auto down = co_await c->async_exec("GET", "before");
        EXPECT_LT(std::chrono::steady_clock::now() - asked, 100ms);  // not queued, not waiting
        CO_ASSERT_FALSE(down);
        EXPECT_EQ(down.error(), errc::redis_unavailable);
        auto refused = [&] { return bool(c->last_error()); };  // connection refused while down
        EXPECT_TRUE(co_await eventually(refused, 1s));

        CO_ASSERT_TRUE(server->start());
        CO_ASSERT_FALSE(co_await c->async_wait_connected(3s));
        EXPECT_EQ(c->state(), redis::connection_state::connected);
        auto after = co_await c->async_exec("SET", "after", "2");
        CO_ASSERT_TRUE(after);
        EXPECT_TRUE(after->is_status("OK"));
    }, 15s);
    EXPECT_EQ(c->stats().reconnects, 1u);
}

// A request in flight when the connection drops fails at once rather than at its timeout.
TEST_F(redis_client, connection_loss_fails_requests_in_flight) {
    started_client c(io, fast_config(server->port()));
    started_client killer(io, fast_config(server->port()));
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await c->async_wait_connected(2s));
        CO_ASSERT_FALSE(co_await killer->async_wait_connected(2s));
        std::optional<result<redis::reply>> blocked;
        auto block = [&]() -> awaitable<void> { blocked = co_await c->async_exec("BLPOP", "empty-list", "5"); };
        net::co_spawn(io, block(), net::detached);
        co_await sealed_test::sleep_for(100ms);
        const auto killed_at = std::chrono::steady_clock::now();
        auto kill = co_await killer->async_exec("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
        CO_ASSERT_TRUE(kill);
        auto failed = [&] { return blocked.has_value(); };
        CO_ASSERT_TRUE(co_await eventually(failed, 2s));
        EXPECT_LT(std::chrono::steady_clock::now() - killed_at, 500ms);
        CO_ASSERT_FALSE(*blocked);
        EXPECT_EQ(blocked->error(), errc::redis_unavailable);
        CO_ASSERT_FALSE(co_await c->async_wait_connected(2s));  // and it reconnects
    }, 10s);
}

TEST_F(redis_client, unanswered_request_times_out_and_the_connection_is_renewed) {
    auto cfg = fast_config(server->port());
    cfg.request_timeout = 200ms;
    started_client c(io, cfg);
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await c->async_wait_connected(2s));
        const auto asked = std::chrono::steady_clock::now();
        auto slow = co_await c->async_exec("BLPOP", "empty-list", "2");
        const auto waited = std::chrono::steady_clock::now() - asked;
        CO_ASSERT_FALSE(slow);
        EXPECT_EQ(slow.error(), errc::redis_timeout);
        EXPECT_GE(waited, 190ms);
        EXPECT_LT(waited, 1000ms);
        CO_ASSERT_FALSE(co_await c->async_wait_connected(2s));
        auto ping = co_await c->async_exec("PING");
        CO_ASSERT_TRUE(ping);
        EXPECT_TRUE(ping->is_status("PONG"));
    }, 10s);
    EXPECT_EQ(c->stats().reconnects, 1u);
}

TEST_F(redis_client, max_pending_bounds_the_requests_in_flight) {
    auto cfg = fast_config(server->port());
    cfg.max_pending = 1;
    started_client c(io, cfg);
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await c->async_wait_connected(2s));
        bool first_done = false;
        auto block = [&]() -> awaitable<void> {
            auto popped = co_await c->async_exec("BLPOP", "empty-list", "0.3");
            first_done = popped.has_value();
        };
        net::co_spawn(io, block(), net::detached);
        co_await sealed_test::sleep_for(50ms);
        auto second = co_await c->async_exec("PING");
        CO_ASSERT_FALSE(second);
        EXPECT_EQ(second.error(), errc::send_queue_full);
        auto done = [&] { return first_done; };
        CO_ASSERT_TRUE(co_await eventually(done, 2s));
        auto ping = co_await c->async_exec("PING");
        EXPECT_TRUE(ping);
    }, 10s);
}

TEST_F(redis_client, stop_fails_requests_and_later_ones) {
    auto c = redis::make_client(io.get_executor(), fast_config(server->port()));
    EXPECT_EQ(c->state(), redis::connection_state::stopped);
    c->start();
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await c->async_wait_connected(2s));
        std::optional<result<redis::reply>> blocked;
        auto block = [&]() -> awaitable<void> { blocked = co_await c->async_exec("BLPOP", "empty-list", "5"); };
        net::co_spawn(io, block(), net::detached);
        co_await sealed_test::sleep_for(50ms);
        c->stop();
        EXPECT_EQ(c->state(), redis::connection_state::stopped);
        auto failed = [&] { return blocked.has_value(); };
        CO_ASSERT_TRUE(co_await eventually(failed, 1s));
        EXPECT_EQ(blocked->error(), errc::redis_unavailable);
        auto later = co_await c->async_exec("PING");
        CO_ASSERT_FALSE(later);
        EXPECT_EQ(later.error(), errc::redis_unavailable);
    }, 10s);
    EXPECT_THROW(c->start(), std::logic_error);
    sealed_test::drain(io, 200ms);
}

// What a subscriber's handlers received, (channel, message), safe from the client's strand.
struct message_log {
    std::mutex mutex;
    std::vector<std::pair<std::string, std::string>> got;
    redis::client::message_handler handler() {
        return [this](std::string_view channel, std::string_view message) {
            std::lock_guard lock(mutex);
            got.emplace_back(channel, message);
        };
    }
    std::size_t size() {
        std::lock_guard lock(mutex);
        return got.size();
    }
};

TEST_F(redis_client, pub_sub_delivers_and_is_restored_after_a_restart) {
    started_client subscriber(io, fast_config(server->port()));
    started_client publisher(io, fast_config(server->port()));
    message_log log;
    auto& got = log.got;
    subscriber->subscribe("news", log.handler());
    auto got_count = [&] { return log.size(); };
    run(io, [&]() -> awaitable<void> {
        auto subscribed = [&] { return subscriber->stats().subscriptions == 1; };
        CO_ASSERT_TRUE(co_await eventually(subscribed, 2s));
        CO_ASSERT_FALSE(co_await publisher->async_wait_connected(2s));
        auto receivers = co_await publisher->async_publish("news", "first");
        CO_ASSERT_TRUE(receivers);
        EXPECT_EQ(*receivers, 1);
        auto one = [&] { return got_count() == 1; };
        CO_ASSERT_TRUE(co_await eventually(one, 2s));
        EXPECT_EQ(got[0], (std::pair<std::string, std::string>{"news", "first"}));
        auto other_channel = co_await publisher->async_publish("sports", "ignored");
        CO_ASSERT_TRUE(other_channel);
        EXPECT_EQ(*other_channel, 0);

        CO_ASSERT_TRUE(server->restart());
        // restart() blocked this thread, so the clients learn of the drop only now: wait for
        // both to have reconnected (not merely to still look connected) and resubscribed.
        auto restored = [&] {
            return subscriber->stats().subscriber_reconnects == 1 && subscriber->stats().subscriptions == 1 &&
                   publisher->stats().reconnects == 1 && publisher->state() == redis::connection_state::connected;
        };
        CO_ASSERT_TRUE(co_await eventually(restored, 3s));
        auto again = co_await publisher->async_publish("news", "after restart");
        CO_ASSERT_TRUE(again);
        EXPECT_EQ(*again, 1);
        auto two = [&] { return got_count() == 2; };
        CO_ASSERT_TRUE(co_await eventually(two, 2s));
        EXPECT_EQ(got[1].second, "after restart");

        subscriber->unsubscribe("news");
        auto gone = [&] { return subscriber->stats().subscriptions == 0; };
        CO_ASSERT_TRUE(co_await eventually(gone, 2s));
        auto nobody = co_await publisher->async_publish("news", "unheard");
        CO_ASSERT_TRUE(nobody);
        EXPECT_EQ(*nobody, 0);
    }, 15s);
    EXPECT_EQ(subscriber->stats().received, 2u);
    EXPECT_EQ(publisher->stats().published, 4u);
}

// IGNIS's servers listen on ws:room:* and friends; the handler learns the channel it came on.
TEST_F(redis_client, pattern_subscriptions_deliver_with_the_channel_and_are_restored) {
    started_client subscriber(io, fast_config(server->port()));
    started_client publisher(io, fast_config(server->port()));
    message_log log;
    auto& got = log.got;
    subscriber->psubscribe("ws:room:*", log.handler());
    subscriber->subscribe("ws:broadcast", log.handler());
    auto got_count = [&] { return log.size(); };
    run(io, [&]() -> awaitable<void> {
        auto subscribed = [&] { return subscriber->stats().subscriptions == 2; };
        CO_ASSERT_TRUE(co_await eventually(subscribed, 2s));
        CO_ASSERT_FALSE(co_await publisher->async_wait_connected(2s));
        auto to_lobby = co_await publisher->async_publish("ws:room:lobby", "a");
        CO_ASSERT_TRUE(to_lobby);
        EXPECT_EQ(*to_lobby, 1);
        auto to_other = co_await publisher->async_publish("ws:client:x", "not matched");
        CO_ASSERT_TRUE(to_other);
        EXPECT_EQ(*to_other, 0);
        auto to_all = co_await publisher->async_publish("ws:broadcast", "b");
        CO_ASSERT_TRUE(to_all);
        auto two = [&] { return got_count() == 2; };
        CO_ASSERT_TRUE(co_await eventually(two, 2s));
        EXPECT_EQ(got[0], (std::pair<std::string, std::string>{"ws:room:lobby", "a"}));
        EXPECT_EQ(got[1], (std::pair<std::string, std::string>{"ws:broadcast", "b"}));

        CO_ASSERT_TRUE(server->restart());
        auto restored = [&] {
            return subscriber->stats().subscriber_reconnects == 1 && subscriber->stats().subscriptions == 2 &&
                   publisher->state() == redis::connection_state::connected;
        };
        CO_ASSERT_TRUE(co_await eventually(restored, 3s));
        auto again = co_await publisher->async_publish("ws:room:kitchen", "c");
        CO_ASSERT_TRUE(again);
        EXPECT_EQ(*again, 1);
        auto three = [&] { return got_count() == 3; };
        CO_ASSERT_TRUE(co_await eventually(three, 2s));
        EXPECT_EQ(got[2], (std::pair<std::string, std::string>{"ws:room:kitchen", "c"}));

        subscriber->punsubscribe("ws:room:*");
        auto one_left = [&] { return subscriber->stats().subscriptions == 1; };
        CO_ASSERT_TRUE(co_await eventually(one_left, 2s));
        auto nobody = co_await publisher->async_publish("ws:room:lobby", "unheard");
        CO_ASSERT_TRUE(nobody);
        EXPECT_EQ(*nobody, 0);
    }, 15s);
    EXPECT_EQ(subscriber->stats().received, 3u);
}

TEST_F(redis_client, prometheus_text_has_state_and_counters) {
    started_client c(io, fast_config(server->port()));
    run(io, [&]() -> awaitable<void> {
        CO_ASSERT_FALSE(co_await c->async_wait_connected(2s));
        auto ping = co_await c->async_exec("PING");
        CO_ASSERT_TRUE(ping);
    }, 5s);
    const auto text = c->prometheus_text();
    EXPECT_NE(text.find("# TYPE sealed_redis_state gauge"), std::string::npos) << text;
    EXPECT_NE(text.find("sealed_redis_state{state=\"connected\"} 1"), std::string::npos) << text;
    EXPECT_NE(text.find("sealed_redis_state{state=\"reconnecting\"} 0"), std::string::npos) << text;
    EXPECT_NE(text.find("sealed_redis_commands_total 1"), std::string::npos) << text;
    EXPECT_NE(text.find("# TYPE sealed_redis_reconnects_total counter"), std::string::npos) << text;
    EXPECT_NE(c->prometheus_text("app_redis").find("app_redis_commands_total 1"), std::string::npos);
}

}  // namespace
