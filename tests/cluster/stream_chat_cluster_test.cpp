// Three stream_chat processes behind HAProxy, one Redis between them (issue 10): clients that
// HAProxy put on different processes chat in one room; a process is killed, its client
// reconnects through HAProxy to another, derives a new key and goes on; nothing arrives twice.
// HAProxy restarting drops every connection through it; clients reconnect once it is back,
// with new keys, and the processes behind it did not notice.
#include <sealed_test/paths.hpp>
#include <sealed_test/chat_events.hpp>
#include <sealed_test/cluster.hpp>

#include <gtest/gtest.h>

#include <algorithm>

namespace {

using namespace sealed;
using namespace std::chrono_literals;
using sealed_test::chat_client;
using sealed_test::events_after;
using list = std::vector<std::string>;
const std::string binary = sealed_test::bin_dir() + "/stream_chat";

using sealed_test::say;

// The chat texts, sorted: messages from senders on different processes take different paths,
// so only each sender's own order is kept, not the order between senders.
list texts(const list& events) {
    auto out = sealed_test::chat_texts(events);
    std::sort(out.begin(), out.end());
    return out;
}

// Which node the newest client is on: the one whose handshake count went up (HAProxy's
// health checks and these /metrics requests are connections too, but not handshakes). The
// server counts a handshake just after sending `connected`, so look again for a moment.
awaitable<int> node_that_grew(const sealed_test::chat_cluster& cluster, std::vector<long>& counts) {
    for (int round = 0; round < 50; ++round) {
        int grew = -1;
        for (std::size_t i = 0; i < cluster.size(); ++i) {
            const long now = co_await sealed_test::node_metric(cluster.node_port(i), "sealed_handshakes_ok_total");
            if (now > counts[i]) grew = static_cast<int>(i);
            counts[i] = now;
        }
        if (grew >= 0) co_return grew;
        co_await sealed_test::sleep_for(10ms);
    }
    co_return -1;
}

// What each node's /metrics says about its bus and clients: for a failure's message.
awaitable<std::string> bus_report(const std::vector<unsigned short>& ports) {
    std::string out;
    for (auto port : ports) {
        out += "node :" + std::to_string(port);
        for (const char* name : {"sealed_handshakes_ok_total", "sealed_bus_published_total", "sealed_bus_received_total",
                                 "sealed_bus_publish_failed_total", "sealed_bus_buffered", "sealed_redis_subscriptions"}) {
            const long value = co_await sealed_test::node_metric(port, name);  // alone: ADR-0001
            out += std::string(" ") + name + "=" + std::to_string(value);
        }
        out += "\n";
    }
    co_return out;
}

// Handshakes completed on all these nodes together.
awaitable<long> handshakes_on(const std::vector<unsigned short>& ports) {
    long sum = 0;
    for (auto port : ports) sum += co_await sealed_test::node_metric(port, "sealed_handshakes_ok_total");
    co_return sum;
}

TEST(stream_chat_cluster, rooms_span_processes_and_survive_a_process_dying) {
    std::string why;
    if (!sealed_test::chat_cluster::available(&why)) GTEST_SKIP() << why;
    sealed_test::chat_cluster cluster(binary, 3);
    ASSERT_TRUE(cluster.ready()) << "redis, three stream_chat and haproxy did not all start";
    const std::vector<unsigned short> ports{cluster.node_port(0), cluster.node_port(1), cluster.node_port(2)};
    const std::string url = cluster.url();
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        CO_ASSERT_TRUE(co_await sealed_test::all_subscribed(ports));
        std::vector<long> counts(cluster.size(), 0);
        std::vector<chat_client> clients;
        std::vector<int> node_of;
        // One client on each node. HAProxy's round robin spreads them, but a node that a health
        // check found slow (a loaded machine) may be skipped for a moment: then try again.
        for (std::string_view name : {"alice", "bob", "carol"}) {
            for (int attempt = 0; attempt < 10; ++attempt) {
                auto c = co_await sealed_test::connect_chat(url, name);
                CO_ASSERT_OK(c);
                EXPECT_TRUE(c->encrypted());
                const int node = co_await node_that_grew(cluster, counts);
                if (std::find(node_of.begin(), node_of.end(), node) == node_of.end()) {
                    clients.push_back(std::move(*c));
                    node_of.push_back(node);
                    break;
                }
                co_await c->close();
            }
        }
        std::vector<int> sorted = node_of;
        std::sort(sorted.begin(), sorted.end());
        if (sorted != std::vector<int>{0, 1, 2}) {
            ADD_FAILURE() << "clients on nodes " << ::testing::PrintToString(node_of) << ", handshakes per node "
                          << ::testing::PrintToString(counts);
            co_return;
        }
        auto& alice = clients[0];
        auto& bob = clients[1];
        auto& carol = clients[2];
        for (auto* c : {&alice, &bob, &carol}) CO_ASSERT_TRUE(co_await sealed_test::join_room(*c, "lobby"));

        CO_ASSERT_FALSE(co_await say(alice, "one"));
        CO_ASSERT_FALSE(co_await say(bob, "two"));
        {
            auto got = co_await events_after(carol, 2);
            EXPECT_EQ(texts(got), (list{"one", "two"}));
        }
        {
            auto got = co_await events_after(bob, 1);
            EXPECT_EQ(texts(got), (list{"one"}));
        }
        {
            auto got = co_await events_after(alice, 1);
            EXPECT_EQ(texts(got), (list{"two"}));
        }

        // carol's node dies; she reconnects through HAProxy, which sends her to a live node.
        const std::string old_id = carol.id();
        cluster.kill_node(static_cast<std::size_t>(node_of[2]));
        auto lost = co_await carol.next();
        CO_ASSERT_FALSE(lost);
        auto again = co_await sealed_test::connect_chat(url, "carol");
        CO_ASSERT_OK(again);
        EXPECT_TRUE(again->encrypted());
        EXPECT_NE(again->id(), old_id) << "a new connection: a new client id and a new key";
        CO_ASSERT_TRUE(co_await sealed_test::join_room(*again, "lobby"));

        CO_ASSERT_FALSE(co_await say(bob, "three"));
        CO_ASSERT_FALSE(co_await say(*again, "four"));
        {
            auto got = co_await events_after(*again, 1);
            EXPECT_EQ(texts(got), (list{"three"}));
        }
        {
            auto got = co_await events_after(alice, 2);
            EXPECT_EQ(texts(got), (list{"four", "three"}));
        }
        {
            auto got = co_await events_after(bob, 1);
            EXPECT_EQ(texts(got), (list{"four"}));
        }
        co_await alice.close();
        co_await bob.close();
        co_await again->close();
    }(), 60s);
}

// docs/cluster.md's failure table: "HAProxy restarts — connections through it drop; clients
// reconnect when it is back". The nodes keep running: nothing lives in HAProxy but the cookie.
TEST(stream_chat_cluster, a_haproxy_restart_drops_its_connections_and_clients_reconnect) {
    std::string why;
    if (!sealed_test::chat_cluster::available(&why)) GTEST_SKIP() << why;
    sealed_test::chat_cluster cluster(binary, 2);
    ASSERT_TRUE(cluster.ready()) << "redis, two stream_chat and haproxy did not all start";
    const std::vector<unsigned short> ports{cluster.node_port(0), cluster.node_port(1)};
    const std::string url = cluster.url();
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        CO_ASSERT_TRUE(co_await sealed_test::all_subscribed(ports));
        auto alice = co_await sealed_test::connect_chat(url, "alice");
        auto bob = co_await sealed_test::connect_chat(url, "bob");
        CO_ASSERT_OK(alice);
        CO_ASSERT_OK(bob);
        CO_ASSERT_TRUE(co_await sealed_test::join_room(*alice, "lobby"));
        CO_ASSERT_TRUE(co_await sealed_test::join_room(*bob, "lobby"));
        CO_ASSERT_FALSE(co_await say(*alice, "before"));
        {
            auto got = co_await events_after(*bob, 1);
            EXPECT_EQ(texts(got), (list{"before"}));
        }
        const long handshakes_before = co_await handshakes_on(ports);
        EXPECT_EQ(handshakes_before, 2);

        CO_ASSERT_TRUE(cluster.restart_haproxy());
        auto lost_alice = co_await alice->next();
        auto lost_bob = co_await bob->next();
        EXPECT_FALSE(lost_alice) << "alice's connection through the old HAProxy should be gone";
        EXPECT_FALSE(lost_bob) << "bob's connection through the old HAProxy should be gone";

        const std::string alice_before = alice->id(), bob_before = bob->id();
        auto alice_again = co_await sealed_test::connect_chat(url, "alice");
        auto bob_again = co_await sealed_test::connect_chat(url, "bob");
        CO_ASSERT_OK(alice_again);
        CO_ASSERT_OK(bob_again);
        EXPECT_TRUE(alice_again->encrypted() && bob_again->encrypted());
        EXPECT_NE(alice_again->id(), alice_before) << "a new connection: a new client id and a new key";
        EXPECT_NE(bob_again->id(), bob_before);
        CO_ASSERT_TRUE(co_await sealed_test::join_room(*alice_again, "lobby"));
        CO_ASSERT_TRUE(co_await sealed_test::join_room(*bob_again, "lobby"));
        CO_ASSERT_FALSE(co_await say(*alice_again, "after"));
        CO_ASSERT_FALSE(co_await say(*bob_again, "reply"));
        {
            auto got = co_await events_after(*bob_again, 1);
            const auto report = co_await bus_report(ports);
            EXPECT_EQ(texts(got), (list{"after"})) << "nothing from before the restart, nothing twice\n" << report;
        }
        {
            auto got = co_await events_after(*alice_again, 1);
            EXPECT_EQ(texts(got), (list{"reply"}));
        }
        // The same processes served before and after: their counters went on from 2, not from 0.
        const long handshakes_after = co_await handshakes_on(ports);
        EXPECT_EQ(handshakes_after, 4);
        co_await alice_again->close();
        co_await bob_again->close();
    }(), 60s);
}

}  // namespace
