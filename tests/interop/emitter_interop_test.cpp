// IGNIS's own publisher, WebSocketEmitter (npm @venizia/ignis-helpers), pushes events through
// Redis to sealed clients on two stream_chat processes (issue 10): toRoom, toClient, toUser and
// broadcast each reach exactly the intended clients, wherever they are connected, sealed with
// each client's own key.
#include <sealed_test/paths.hpp>
#include <sealed_test/chat_events.hpp>
#include <sealed_test/cluster.hpp>

#include <gtest/gtest.h>

namespace {

using namespace sealed;
using namespace std::chrono_literals;
namespace json = boost::json;
using list = std::vector<std::string>;
const std::string node = sealed_test::node();
const std::string binary = sealed_test::bin_dir() + "/stream_chat";
const std::string emitter = sealed_test::source_dir() + "/tests/interop/ignis_emitter.mjs";

TEST(ignis_emitter, reaches_sealed_clients_on_every_process_and_only_the_intended_ones) {
    std::string why;
    if (!sealed_test::chat_cluster::available(&why)) GTEST_SKIP() << why;
    sealed_test::chat_cluster cluster(binary, 2, false);
    ASSERT_TRUE(cluster.ready());
    const std::vector<unsigned short> ports{cluster.node_port(0), cluster.node_port(1)};
    const std::string first = cluster.node_url(0), second = cluster.node_url(1);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        CO_ASSERT_TRUE(co_await sealed_test::all_subscribed(ports));
        auto alice = co_await sealed_test::connect_chat(first, "alice");
        auto bob = co_await sealed_test::connect_chat(second, "bob");
        auto carol = co_await sealed_test::connect_chat(second, "carol");
        auto alice_again = co_await sealed_test::connect_chat(second, "alice");
        CO_ASSERT_TRUE(alice && bob && carol && alice_again);
        CO_ASSERT_TRUE(co_await sealed_test::join_room(*alice, "lobby"));
        CO_ASSERT_TRUE(co_await sealed_test::join_room(*carol, "lobby"));

        json::array plan{
            {{"call", "toRoom"}, {"room", "lobby"}, {"event", "news"}, {"data", {{"n", 1}}}},
            {{"call", "toClient"}, {"clientId", bob->id()}, {"event", "direct"}, {"data", {{"n", 2}}}},
            {{"call", "toUser"}, {"userId", "alice"}, {"event", "dm"}, {"data", {{"n", 3}}}},
            {{"call", "broadcast"}, {"event", "all"}, {"data", {{"n", 4}}}},
        };
        // Blocking, on this thread: the clients' events wait in their sockets meanwhile.
        const auto run = sealed_test::run_to_end(
            {node, emitter, std::to_string(cluster.redis().port()), json::serialize(plan)}, 20000);
        CO_ASSERT_TRUE(!run.lines.empty());
        EXPECT_EQ(run.lines.back(), R"({"ok":true,"published":4})") << run.output();
        EXPECT_EQ(run.exit_code, 0);

        struct expectation {
            sealed_test::chat_client* client;
            list events;
        };
        const expectation expected[] = {
            {&*alice, {R"(news:{"n":1})", R"(dm:{"n":3})", R"(all:{"n":4})"}},
            {&*bob, {R"(direct:{"n":2})", R"(all:{"n":4})"}},
            {&*carol, {R"(news:{"n":1})", R"(all:{"n":4})"}},
            {&*alice_again, {R"(dm:{"n":3})", R"(all:{"n":4})"}},
        };
        for (const auto& e : expected) {
            auto got = co_await sealed_test::events_after(*e.client, e.events.size());
            EXPECT_EQ(got, e.events) << "client of " << e.client->user_id();
        }
        for (auto* c : {&*alice, &*bob, &*carol, &*alice_again}) co_await c->close();
    }(), 60s);
}

}  // namespace
