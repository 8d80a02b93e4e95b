// The bus between processes: IGNIS's message JSON both ways, the in-process bus, and the Redis
// bus between two clients of a real redis-server (own messages ignored, bad ones counted, a
// bounded buffer while Redis is down, delivery resuming after it returns).
#include "redis_common.hpp"

#include <sealed/cluster/bus.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace {

using namespace sealed;
using namespace std::chrono_literals;
using redis_testing::eventually;
using redis_testing::fast_config;
using redis_testing::started_client;
using sealed_test::run;
namespace cluster = sealed::cluster;
namespace json = boost::json;

// What WebSocketEmitter.toRoom publishes (JSON.stringify drops the undefined exclude).
constexpr std::string_view emitter_to_room =
    R"({"serverId":"emitter","type":"room","target":"lobby","event":"news","data":{"headline":"hi"}})";

TEST(bus_message, parses_what_the_ignis_emitter_publishes) {
    auto m = cluster::parse_bus_message(emitter_to_room);
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m->server_id, "emitter");
    EXPECT_EQ(m->type, cluster::target_kind::room);
    EXPECT_EQ(m->target, "lobby");
    EXPECT_EQ(m->event, "news");
    EXPECT_EQ(json::serialize(m->data.value()), R"({"headline":"hi"})");
    EXPECT_TRUE(m->exclude.empty());
    auto broadcast = cluster::parse_bus_message(R"({"serverId":"s","type":"broadcast","event":"e"})");
    ASSERT_TRUE(broadcast);
    EXPECT_FALSE(broadcast->data) << "no data is not data: null";
    EXPECT_EQ(cluster::channel_of(cluster::target_kind::room, "lobby"), "ws:room:lobby");
    EXPECT_EQ(cluster::channel_of(cluster::target_kind::client, "c1"), "ws:client:c1");
    EXPECT_EQ(cluster::channel_of(cluster::target_kind::user, "u1"), "ws:user:u1");
    EXPECT_EQ(cluster::channel_of(cluster::target_kind::broadcast, ""), "ws:broadcast");
}

TEST(bus_message, round_trips_with_the_fields_ignis_reads) {
    cluster::bus_message m{"s1", cluster::target_kind::room, "lobby", "chat", json::value{{"text", "x"}}, {"c1", "c2"}};
    const auto text = cluster::to_json(m);
    const auto v = json::parse(text);
    EXPECT_EQ(v.at("serverId"), "s1");
    EXPECT_EQ(v.at("type"), "room");
    EXPECT_EQ(v.at("target"), "lobby");
    EXPECT_EQ(v.at("exclude").as_array().size(), 2u);
    auto back = cluster::parse_bus_message(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->exclude, (std::vector<std::string>{"c1", "c2"}));
    EXPECT_EQ(back->data.value().at("text"), "x");
    const cluster::bus_message all{"s1", cluster::target_kind::broadcast, {}, "e", std::nullopt, {}};
    EXPECT_EQ(cluster::to_json(all), R"({"serverId":"s1","type":"broadcast","event":"e"})");
    const cluster::bus_message null_data{"s1", cluster::target_kind::broadcast, {}, "e", nullptr, {}};
    EXPECT_EQ(cluster::to_json(null_data), R"({"serverId":"s1","type":"broadcast","event":"e","data":null})");
    EXPECT_TRUE(cluster::parse_bus_message(cluster::to_json(null_data)).value().data.value().is_null());
}

TEST(bus_message, refuses_what_ignis_would_refuse) {
    EXPECT_EQ(cluster::parse_bus_message("not json").error(), errc::invalid_encoding);
    // A number past double range would be delivered to clients as Infinity, which is not JSON.
    EXPECT_EQ(cluster::parse_bus_message(R"({"serverId":"s","type":"broadcast","event":"e","data":{"x":1e400}})").error(),
              errc::invalid_encoding);
    for (std::string_view bad : {
             R"([1,2])",
             R"({"type":"room","target":"r","event":"e"})",                        // no serverId
             R"({"serverId":1,"type":"room","target":"r","event":"e"})",           // serverId not a string
             R"({"serverId":"s","type":"room","target":"r"})",                     // no event
             R"({"serverId":"s","type":"planet","target":"r","event":"e"})",       // unknown type
             R"({"serverId":"s","type":"room","event":"e"})",                      // room without target
             R"({"serverId":"s","type":"client","target":"","event":"e"})",        // empty target
         })
        EXPECT_EQ(cluster::parse_bus_message(bad).error(), errc::protocol_violation) << bad;
}

// Issue 29, item 7: IGNIS delivers a message whose exclude is not an array (ignoring it) and
// skips entries that are not strings; sealed did not deliver either.
TEST(bus_message, an_exclude_ignis_ignores_is_ignored) {
    auto not_array = cluster::parse_bus_message(R"({"serverId":"s","type":"room","target":"r","event":"e","exclude":"c1"})");
    ASSERT_TRUE(not_array);
    EXPECT_TRUE(not_array->exclude.empty());
    auto mixed = cluster::parse_bus_message(R"({"serverId":"s","type":"room","target":"r","event":"e","exclude":[1,"c2",null]})");
    ASSERT_TRUE(mixed);
    EXPECT_EQ(mixed->exclude, std::vector<std::string>{"c2"});
}

TEST(bus_message, server_ids_are_random_v4_uuids) {
    const auto a = cluster::random_server_id(), b = cluster::random_server_id();
    EXPECT_NE(a, b);
    ASSERT_EQ(a.size(), 36u);
    EXPECT_EQ(a[14], '4');
    EXPECT_NE(std::string_view("89ab").find(a[19]), std::string_view::npos);
}

// Collects what a bus hands its handler.
struct inbox {
    std::mutex mutex;
    std::vector<cluster::bus_message> got;
    void attach(cluster::bus& b) {
        b.on_message([this](const cluster::bus_message& m) {
            std::lock_guard lock(mutex);
            got.push_back(m);
        });
    }
    std::size_t size() {
        std::lock_guard lock(mutex);
        return got.size();
    }
};

TEST(memory_bus, reaches_the_other_buses_of_its_broker_but_not_itself) {
    auto broker = cluster::make_memory_broker();
    auto a = cluster::make_memory_bus(broker, "a");
    auto b = cluster::make_memory_bus(broker, "b");
    auto alone = cluster::make_memory_bus();  // a broker of its own
    inbox at_a, at_b, at_alone;
    at_a.attach(*a);
    at_b.attach(*b);
    at_alone.attach(*alone);
    a->publish({"ignored", cluster::target_kind::room, "lobby", "chat", "hi", {}});
    ASSERT_EQ(at_b.size(), 1u);
    EXPECT_EQ(at_b.got[0].server_id, "a") << "the bus stamps its own serverId";
    EXPECT_EQ(at_b.got[0].target, "lobby");
    EXPECT_EQ(at_a.size(), 0u);
    EXPECT_EQ(at_alone.size(), 0u);
    EXPECT_EQ(a->stats().published, 1u);
    EXPECT_EQ(a->stats().ignored_own, 1u);
    EXPECT_EQ(b->stats().received, 1u);
    EXPECT_EQ(alone->server_id().size(), 36u);
    b->on_message({});  // detached: nothing is handed on
    a->publish({{}, cluster::target_kind::broadcast, {}, "e", nullptr, {}});
    EXPECT_EQ(at_b.size(), 1u);
}

class redis_bus : public sealed_test::redis_fixture {
protected:
    net::io_context io;
};

TEST_F(redis_bus, delivers_between_processes_ignores_its_own_and_counts_bad_messages) {
    started_client first(io, fast_config(server->port()));
    started_client second(io, fast_config(server->port()));
    started_client raw(io, fast_config(server->port()));
    auto a = cluster::make_redis_bus(first.client, {"server-a"});
    auto b = cluster::make_redis_bus(second.client, {"server-b"});
    inbox at_a, at_b;
    at_a.attach(*a);
    at_b.attach(*b);
    run(io, [&]() -> awaitable<void> {
        // Four subscriptions each: ws:broadcast and three patterns.
        auto subscribed = [&] { return first->stats().subscriptions == 4 && second->stats().subscriptions == 4; };
        CO_ASSERT_TRUE(co_await eventually(subscribed, 3s));
        a->publish({{}, cluster::target_kind::room, "lobby", "chat", json::value{{"n", 1}}, {"c9"}});
        a->publish({{}, cluster::target_kind::user, "alice", "dm", "x", {}});
        a->publish({{}, cluster::target_kind::client, "c1", "ping", nullptr, {}});
        a->publish({{}, cluster::target_kind::broadcast, {}, "all", nullptr, {}});
        auto four = [&] { return at_b.size() == 4; };
        CO_ASSERT_TRUE(co_await eventually(four, 3s));
        // Published by IGNIS's emitter (another serverId) and garbage on the same channels.
        auto sent = co_await raw->async_publish("ws:room:lobby", emitter_to_room);
        CO_ASSERT_OK(sent);
        auto garbage = co_await raw->async_publish("ws:room:lobby", "{not json");
        CO_ASSERT_OK(garbage);
        auto shapeless = co_await raw->async_publish("ws:broadcast", R"({"serverId":"x"})");
        CO_ASSERT_OK(shapeless);
        auto settled = [&] { return at_a.size() == 1 && a->stats().invalid == 2 && b->stats().invalid == 2; };
        CO_ASSERT_TRUE(co_await eventually(settled, 3s));
        auto five = [&] { return at_b.size() == 5; };
        CO_ASSERT_TRUE(co_await eventually(five, 3s));
    }, 15s);
    ASSERT_EQ(at_b.size(), 5u);
    EXPECT_EQ(at_b.got[0].type, cluster::target_kind::room);
    EXPECT_EQ(at_b.got[0].server_id, "server-a");
    EXPECT_EQ(at_b.got[0].exclude, std::vector<std::string>{"c9"});
    EXPECT_EQ(at_b.got[1].type, cluster::target_kind::user);
    EXPECT_EQ(at_b.got[2].target, "c1");
    EXPECT_EQ(at_b.got[3].type, cluster::target_kind::broadcast);
    EXPECT_EQ(at_b.got[4].server_id, "emitter");
    EXPECT_EQ(at_a.got[0].event, "news") << "a hears the emitter, not itself";
    EXPECT_EQ(a->stats().ignored_own, 4u);
    EXPECT_EQ(a->stats().published, 4u);
    EXPECT_EQ(b->stats().received, 5u);
    EXPECT_NE(a->prometheus_text().find("sealed_bus_published_total 4"), std::string::npos);
    EXPECT_NE(a->prometheus_text().find("sealed_redis_state{state=\"connected\"} 1"), std::string::npos);
}

// Runs an io_context on a thread of its own that the test can pause and resume.
struct pausable_thread {
    net::io_context io;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
    std::thread thread;
    void resume() {
        io.restart();
        work.emplace(io.get_executor());
        thread = std::thread([this] { io.run(); });
    }
    void pause() {
        work.reset();
        io.stop();
        if (thread.joinable()) thread.join();
    }
    ~pausable_thread() { pause(); }
};

TEST_F(redis_bus, buffers_a_bounded_number_while_redis_is_down_and_resumes) {
    // The publisher runs on a thread the test pauses while Redis comes back, so that the
    // subscriber is surely listening again before the buffer is flushed: Redis pub/sub keeps
    // nothing for a subscriber that is not there.
    pausable_thread publisher_thread;
    std::optional<started_client> first;
    first.emplace(publisher_thread.io, fast_config(server->port()));
    started_client second(io, fast_config(server->port()));
    cluster::redis_bus_options opts{"server-a", 3, 8};
    auto a = cluster::make_redis_bus(first->client, opts);
    auto b = cluster::make_redis_bus(second.client, {"server-b"});
    inbox at_b;
    at_b.attach(*b);
    publisher_thread.resume();
    run(io, [&]() -> awaitable<void> {
        auto subscribed = [&] { return (*first)->stats().subscriptions == 4 && second->stats().subscriptions == 4; };
        CO_ASSERT_TRUE(co_await eventually(subscribed, 3s));
        server->stop();
        auto down = [&] {
            return (*first)->state() != redis::connection_state::connected && second->stats().subscriptions == 0;
        };
        CO_ASSERT_TRUE(co_await eventually(down, 3s));
        for (int i = 0; i < 5; ++i) a->publish({{}, cluster::target_kind::room, "lobby", "n", i, {}});
        auto full = [&] { return a->stats().buffered == 3 && a->stats().dropped_full == 2; };
        CO_ASSERT_TRUE(co_await eventually(full, 2s));
        publisher_thread.pause();
        CO_ASSERT_TRUE(server->start());
        auto listening = [&] { return second->stats().subscriptions == 4; };
        CO_ASSERT_TRUE(co_await eventually(listening, 5s));
        EXPECT_EQ(at_b.size(), 0u);
        publisher_thread.resume();
        auto resumed = [&] { return at_b.size() == 3; };
        CO_ASSERT_TRUE(co_await eventually(resumed, 5s));
        co_await sealed_test::sleep_for(100ms);  // nothing more comes: the dropped two are gone
    }, 20s);
    publisher_thread.pause();
    ASSERT_EQ(at_b.size(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(at_b.got[i].data.value(), i) << "the oldest are kept, in order";
    EXPECT_EQ(a->stats().buffered, 0u);
    EXPECT_EQ(a->stats().published, 3u);
    a.reset();
    first.reset();  // stops the client and drains the paused io_context
}

}  // namespace
