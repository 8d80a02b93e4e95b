// cluster::router over the in-process bus: two ECDH-GCM servers in one process act as one
// service. Events for a room, a user, a client or everyone reach the intended connections on
// either server, each sealed with that connection's own key, and no one else.
#include <sealed/cluster/router.hpp>
#include <sealed/ecdh_gcm/client.hpp>
#include <sealed/ecdh_gcm/scheme.hpp>
#include <sealed/server.hpp>

#include <sealed_test/chat_events.hpp>
#include <sealed_test/run.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace {

using namespace sealed;
using namespace std::chrono_literals;
using sealed_test::run;
using stream_server = server<ws, ecdh_gcm::scheme>;
using stream_router = cluster::router<stream_server>;
namespace json = boost::json;

struct node {
    std::unique_ptr<stream_server> srv;
    std::unique_ptr<stream_router> router;
    std::uint16_t port = 0;

    node(net::io_context& io, const std::shared_ptr<cluster::memory_broker>& broker, std::string id) {
        server_config cfg;
        cfg.listen = "127.0.0.1:0";
        cfg.ws_path = "/stream";
        srv = std::make_unique<stream_server>(io, cfg);
        // The app echoes what a client sends, so a client can mark the end of what it was sent.
        srv->on_session([](stream_server::connection_type& c) { return sealed_test::echo(c, message_kind::text); });
        router = std::make_unique<stream_router>(*srv, cluster::make_memory_bus(broker, std::move(id)),
                                                 ecdh_gcm::wire::make_bus_frame);
        port = srv->start().value().port();
    }
    std::string url() const { return "ws://127.0.0.1:" + std::to_string(port) + "/stream"; }
};

TEST(router, events_reach_the_intended_connections_on_every_server_and_no_others) {
    net::io_context io;
    auto broker = cluster::make_memory_broker();
    node a(io, broker, "a"), b(io, broker, "b");
    run(io, [&]() -> awaitable<void> {
        const std::string at_a = a.url(), at_b = b.url();
        auto alice = co_await sealed_test::connect_chat(at_a, "alice");
        auto bob = co_await sealed_test::connect_chat(at_b, "bob");
        auto carol = co_await sealed_test::connect_chat(at_b, "carol");
        auto alice_again = co_await sealed_test::connect_chat(at_b, "alice");  // the same user on the other server
        CO_ASSERT_TRUE(alice && bob && carol && alice_again);
        const std::vector<std::string> lobby{"lobby"};
        CO_ASSERT_FALSE(co_await alice->join(lobby));
        CO_ASSERT_FALSE(co_await bob->join(lobby));
        auto joined = [&] { return a.srv->rooms().members("lobby").size() == 1 && b.srv->rooms().members("lobby").size() == 1; };
        for (int i = 0; i < 200 && !joined(); ++i) co_await sealed_test::sleep_for(10ms);
        CO_ASSERT_TRUE(joined());

        const json::value one = 1, two = 2, three = 3, four = 4;
        EXPECT_EQ(a.router->to_room("lobby", "room", one, {alice->id()}), 0u) << "alice is excluded";
        EXPECT_EQ(b.router->to_user("alice", "user", two), 1u);
        EXPECT_EQ(a.router->to_client(carol->id(), "client", three), 0u) << "carol is on b";
        EXPECT_EQ(b.router->broadcast("all", four, {bob->id()}), 2u);
        EXPECT_EQ(a.router->to_client("nobody-has-this-id", "client", three), 0u);
        EXPECT_EQ(b.router->to_client(carol->id(), "client", three) + b.router->to_client(carol->id(), "x", three), 2u)
            << "a local client: delivered here, not published";

        using list = std::vector<std::string>;
        {
            auto got = co_await sealed_test::events_until_echo(*alice);
            EXPECT_EQ(got, (list{"user:2", "all:4"}));
        }
        {
            auto got = co_await sealed_test::events_until_echo(*bob);
            EXPECT_EQ(got, (list{"room:1"}));
        }
        {
            auto got = co_await sealed_test::events_until_echo(*carol);
            EXPECT_EQ(got, (list{"client:3", "all:4", "client:3", "x:3"}));
        }
        {
            auto got = co_await sealed_test::events_until_echo(*alice_again);
            EXPECT_EQ(got, (list{"user:2", "all:4"}));
        }
        for (auto* c : {&*alice, &*bob, &*carol, &*alice_again}) co_await c->close();
    }(), 15s);
    // a: the room and the two client ids it does not hold; b: the user and the broadcast.
    EXPECT_EQ(a.router->message_bus().stats().published, 3u);
    EXPECT_EQ(b.router->message_bus().stats().received, 3u);
    EXPECT_EQ(b.router->message_bus().stats().published, 2u);
    EXPECT_EQ(a.router->message_bus().stats().received, 2u);
    a.srv->stop();
    b.srv->stop();
    sealed_test::drain(io);
}

// Issue 29, item 7: what IGNIS does with what its emitter may publish. A message without data
// reaches the client as {"event":…} (no "data": null); exclude counts for rooms and broadcasts
// only (a client or user named gets it); an exclude that is not an array is ignored.
TEST(router, bus_messages_are_delivered_as_ignis_delivers_them) {
    EXPECT_EQ(ecdh_gcm::wire::make_bus_frame("b4", nullptr), R"({"event":"b4"})");
    const json::value null_data = nullptr;
    EXPECT_EQ(ecdh_gcm::wire::make_bus_frame("b4", &null_data), R"({"event":"b4","data":null})");

    net::io_context io;
    auto broker = cluster::make_memory_broker();
    node a(io, broker, "a");
    auto emitter = cluster::make_memory_bus(broker, "emitter");
    run(io, [&]() -> awaitable<void> {
        auto alice = co_await sealed_test::connect_chat(a.url(), "alice");
        CO_ASSERT_TRUE(alice);
        const std::vector<std::string> lobby{"lobby"};
        CO_ASSERT_FALSE(co_await alice->join(lobby));
        for (int i = 0; i < 200 && a.srv->rooms().members("lobby").empty(); ++i) co_await sealed_test::sleep_for(10ms);
        const auto id = alice->id();
        for (const char* text : {R"({"serverId":"emitter","type":"client","target":"ID","event":"to_client","exclude":["ID"]})",
                                 R"({"serverId":"emitter","type":"user","target":"alice","event":"to_user","data":1,"exclude":["ID"]})",
                                 R"({"serverId":"emitter","type":"room","target":"lobby","event":"to_room","data":2,"exclude":"ID"})",
                                 R"({"serverId":"emitter","type":"room","target":"lobby","event":"excluded","data":3,"exclude":["ID"]})"}) {
            std::string message(text);
            for (auto at = message.find("ID"); at != std::string::npos; at = message.find("ID")) message.replace(at, 2, id);
            auto parsed = cluster::parse_bus_message(message);
            CO_ASSERT_TRUE(parsed);
            emitter->publish(std::move(*parsed));
        }
        co_await sealed_test::sleep_for(50ms);
        const auto got = co_await sealed_test::events_until_echo(*alice);
        EXPECT_EQ(got, (std::vector<std::string>{"to_client:null", "to_user:1", "to_room:2"}));
        co_await alice->close();
    }(), 15s);
    a.srv->stop();
    sealed_test::drain(io);
}

}  // namespace
