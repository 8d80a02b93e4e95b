// stream_chat processes on Redis as operators run it (issue 29): a sealed bus (--bus-key) that
// shows Redis no payload and drops what is forged or replayed, two keys during a rotation; a
// Sentinel failover mid-chat; rediss:// with a client certificate; and the flags in --help.
#include <sealed/cluster/redis.hpp>

#include <sealed_test/paths.hpp>
#include <sealed_test/chat_events.hpp>
#include <sealed_test/cluster.hpp>
#include <sealed_test/sentinel.hpp>

#include <sealed/tls.hpp>

#include <gtest/gtest.h>

#include <algorithm>

namespace {

using namespace sealed;
using namespace std::chrono_literals;
using sealed_test::chat_client;
using list = std::vector<std::string>;
const std::string binary = sealed_test::bin_dir() + "/stream_chat";

using sealed_test::chat_texts;  // in arrival order
using sealed_test::say;

// Two stream_chat processes, each with its own Redis flags.
struct two_nodes {
    std::unique_ptr<sealed_test::server_process> first, second;
    two_nodes(const std::vector<std::string>& flags1, const std::vector<std::string>& flags2)
        : first(start("node-1", flags1)), second(start("node-2", flags2)) {}
    explicit two_nodes(const std::vector<std::string>& flags) : two_nodes(flags, flags) {}
    bool up() const { return first->port != 0 && second->port != 0; }
    std::vector<unsigned short> ports() const { return {first->port, second->port}; }

private:
    static std::unique_ptr<sealed_test::server_process> start(const char* id, const std::vector<std::string>& flags) {
        std::vector<std::string> argv{binary, "--listen", "127.0.0.1:0", "--log-level", "warn", "--server-id", id};
        argv.insert(argv.end(), flags.begin(), flags.end());
        return std::make_unique<sealed_test::server_process>(std::move(argv));
    }
};

struct alice_and_bob {
    chat_client alice, bob;
};

// Alice on the first process and Bob on the second, both in "lobby", once each process's bus
// holds `subscriptions`; nullopt when a step fails.
awaitable<std::optional<alice_and_bob>> meet_in_lobby(const two_nodes& nodes, long subscriptions = 4) {
    const auto ports = nodes.ports();
    if (!co_await sealed_test::all_subscribed(ports, subscriptions)) co_return std::nullopt;
    const std::string first = "ws://127.0.0.1:" + std::to_string(ports[0]) + "/stream";
    const std::string second = "ws://127.0.0.1:" + std::to_string(ports[1]) + "/stream";
    auto alice = co_await sealed_test::connect_chat(first, "alice");
    auto bob = co_await sealed_test::connect_chat(second, "bob");
    if (!alice || !bob) co_return std::nullopt;
    const bool alice_in = co_await sealed_test::join_room(*alice, "lobby");
    const bool bob_in = co_await sealed_test::join_room(*bob, "lobby");
    if (!alice_in || !bob_in) co_return std::nullopt;
    co_return alice_and_bob{std::move(*alice), std::move(*bob)};
}

// What crosses Redis, as anyone who can SUBSCRIBE there sees it.
struct eavesdropper {
    std::shared_ptr<redis::client> client;
    std::vector<std::pair<std::string, std::string>> seen;  // channel, message
    eavesdropper(net::io_context& io, unsigned short port) {
        redis::config cfg;
        cfg.port = port;
        client = redis::make_client(io.get_executor(), cfg);
        auto keep = [this](std::string_view channel, std::string_view m) { seen.emplace_back(channel, m); };
        client->psubscribe("*", keep);
        client->start();
    }
    ~eavesdropper() { client->stop(); }
};

TEST(sealed_bus, redis_sees_no_payload_and_forged_or_replayed_messages_are_dropped_and_counted) {
    std::string why;
    if (!sealed_test::chat_cluster::available(&why)) GTEST_SKIP() << why;
    sealed_test::redis_server redis;
    ASSERT_TRUE(redis.running());
    sealed_test::temp_dir dir("sealed-bus-key-");
    // A rotation under way: node 1 seals with the new key, node 2 still with the old; both open both.
    const std::string old_key = "old AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
    const std::string new_key = "new 8PHy8/T19vf4+fr7/P3+/wABAgMEBQYHCAkKCwwNDg8=\n";
    two_nodes nodes({"--redis", redis.url(), "--bus-key", dir.write("node1.keys", "# rotating\n" + new_key + old_key)},
                    {"--redis", redis.url(), "--bus-key", dir.write("node2.keys", old_key + new_key)});
    ASSERT_TRUE(nodes.up());
    net::io_context io;
    eavesdropper eve(io, redis.port());
    sealed_test::run(io, [&]() -> awaitable<void> {
        for (int i = 0; i < 100 && eve.client->stats().subscriptions != 1; ++i) co_await sealed_test::sleep_for(20ms);
        auto met = co_await meet_in_lobby(nodes, 5);
        CO_ASSERT_TRUE(met);
        auto& alice = met->alice;
        auto& bob = met->bob;
        CO_ASSERT_FALSE(co_await say(alice, "from alice, sealed with new"));
        const auto to_bob = co_await sealed_test::events_after(bob, 1);
        CO_ASSERT_FALSE(co_await say(bob, "from bob, sealed with old"));
        const auto to_alice = co_await sealed_test::events_after(alice, 1);
        EXPECT_EQ(chat_texts(to_bob), list{"from alice, sealed with new"});
        EXPECT_EQ(chat_texts(to_alice), list{"from bob, sealed with old"});

        // Redis saw two sealed messages on sealed:bus and nothing readable anywhere.
        std::vector<std::string> sealed;
        for (const auto& [channel, m] : eve.seen) {
            EXPECT_EQ(channel, "sealed:bus");
            EXPECT_EQ(m.find("alice"), std::string::npos) << m;
            EXPECT_EQ(m.find("lobby"), std::string::npos) << m;
            if (m.rfind("sb1.", 0) == 0) sealed.push_back(m);
        }
        CO_ASSERT_TRUE(sealed.size() == 2);
        EXPECT_EQ(sealed[0].rfind("sb1.new.", 0), 0u);
        EXPECT_EQ(sealed[1].rfind("sb1.old.", 0), 0u);

        // Whoever can PUBLISH: IGNIS's plaintext format, a made-up sealed message, a tampered
        // one, and a replay of a real one. None reaches a client; each is counted.
        std::string tampered = sealed[0];
        tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
        const std::string injected =
            R"({"serverId":"x","type":"room","target":"lobby","event":"chat","data":{"room":"lobby","text":"injected"}})";
        const std::vector<std::pair<std::string, std::string>> attacks{
            {"ws:room:lobby", injected}, {"sealed:bus", "sb1.old.AAAA"}, {"sealed:bus", tampered},
            {"sealed:bus", sealed[0]}};
        for (const auto& [channel, m] : attacks) {
            auto sent = co_await eve.client->async_publish(channel, m);
            CO_ASSERT_TRUE(sent);
        }
        const auto after = co_await sealed_test::events_after(bob, 0);
        EXPECT_TRUE(chat_texts(after).empty()) << "an injected or replayed message reached bob";
        long forged = 0, replayed = 0;
        for (int i = 0; i < 100 && (forged != 3 || replayed != 1); ++i) {
            forged = co_await sealed_test::node_metric(nodes.second->port, "sealed_bus_forged_total");
            replayed = co_await sealed_test::node_metric(nodes.second->port, "sealed_bus_replayed_total");
            co_await sealed_test::sleep_for(20ms);
        }
        EXPECT_EQ(forged, 3);
        EXPECT_EQ(replayed, 1);
    });
}

TEST(sealed_bus, a_key_file_that_does_not_load_is_refused_at_start) {
    sealed_test::temp_dir dir("sealed-bus-key-");
    const auto short_keys = dir.write("short.keys", "k1 AAECAwQ=\n");
    // stderr too: that is where the reason goes.
    const auto run = sealed_test::run_to_end({"/bin/sh", "-c", binary + " --listen 127.0.0.1:0 --redis redis://127.0.0.1:1 "
                                              "--bus-key " + short_keys + " 2>&1"},
                                             10000);
    EXPECT_EQ(run.exit_code, 2) << run.output();
    EXPECT_NE(run.output().find("32 bytes"), std::string::npos) << run.output();
}

TEST(redis_operations, chat_goes_on_across_a_sentinel_failover_and_nothing_arrives_twice) {
    if (sealed_test::redis_server::executable().empty()) GTEST_SKIP() << "redis-server is not installed";
    sealed_test::sentinel_setup sentinels;
    ASSERT_TRUE(sentinels.ready()) << "primary, replica and three sentinels did not come up";
    two_nodes nodes({"--redis", sentinels.url()});
    ASSERT_TRUE(nodes.up());
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        auto met = co_await meet_in_lobby(nodes);
        CO_ASSERT_TRUE(met);
        auto& alice = met->alice;
        auto& bob = met->bob;
        CO_ASSERT_FALSE(co_await say(alice, "before"));
        const auto before = co_await sealed_test::events_after(bob, 1);
        CO_ASSERT_TRUE(chat_texts(before) == list{"before"});

        sentinels.kill_primary();
        // Alice goes on chatting while there is no primary and after the replica takes over.
        list said;
        for (int i = 0; i < 60 && sentinels.named_primary() != sentinels.replica_port(); ++i) {
            said.push_back("during " + std::to_string(i));
            CO_ASSERT_FALSE(co_await say(alice, said.back()));
            co_await sealed_test::sleep_for(100ms);
        }
        EXPECT_EQ(sentinels.named_primary(), sentinels.replica_port()) << "no failover";
        if (sentinels.named_primary() != sentinels.replica_port()) co_return;
        const auto ports = nodes.ports();
        CO_ASSERT_TRUE(co_await sealed_test::all_subscribed(ports));
        for (int i = 0; i < 5; ++i) {
            said.push_back("after " + std::to_string(i));
            CO_ASSERT_FALSE(co_await say(alice, said.back()));
        }
        const auto events = co_await sealed_test::events_after(bob, 5);
        const auto got = chat_texts(events);
        // Every message after the failover arrives; what was said during it arrives at most
        // once (a PUBLISH lost with the primary is not retried: at-most-once), in order.
        for (int i = 0; i < 5; ++i)
            EXPECT_NE(std::find(got.begin(), got.end(), "after " + std::to_string(i)), got.end()) << i;
        auto sorted = got;
        std::sort(sorted.begin(), sorted.end());
        EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << "a message arrived twice";
        std::size_t next = 0;
        for (const auto& text : got) {
            const auto at = std::find(said.begin() + static_cast<long>(next), said.end(), text);
            EXPECT_NE(at, said.end()) << text << " arrived out of order or was never said";
            if (at != said.end()) next = static_cast<std::size_t>(at - said.begin()) + 1;
        }
    });
}

TEST(redis_operations, rediss_with_a_client_certificate_between_two_processes) {
    std::string why;
    if (!sealed_test::chat_cluster::available(&why)) GTEST_SKIP() << why;
    sealed_test::temp_dir dir("sealed-rediss-");
    const auto server = tls::make_self_signed("redis.test");
    const auto client = tls::make_self_signed("chat-node");
    const auto server_pem = dir.write("server.pem", server.cert_pem);
    sealed_test::redis_server::options o;
    o.tls = true;
    o.extra = {"--tls-cert-file", server_pem, "--tls-key-file", dir.write("server.key", server.key_pem),
               "--tls-ca-cert-file", dir.write("clients.pem", client.cert_pem), "--tls-auth-clients", "yes"};
    sealed_test::redis_server redis(o);
    ASSERT_TRUE(redis.running());
    const std::vector<std::string> flags{"--redis", "rediss://127.0.0.1:" + std::to_string(redis.port()),
                                         "--redis-tls-ca", server_pem, "--redis-tls-cert",
                                         dir.write("client.pem", client.cert_pem), "--redis-tls-key",
                                         dir.write("client.key", client.key_pem)};
    two_nodes nodes(flags);
    ASSERT_TRUE(nodes.up());
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        auto met = co_await meet_in_lobby(nodes);
        CO_ASSERT_TRUE(met);
        CO_ASSERT_FALSE(co_await say(met->alice, "over rediss"));
        const auto events = co_await sealed_test::events_after(met->bob, 1);
        EXPECT_EQ(chat_texts(events), list{"over rediss"});
    });
}

TEST(redis_operations, every_binary_with_redis_shows_the_tls_flags_in_help) {
    for (const char* name : {"stream_chat", "envelope_api", "swarm_gateway"}) {
        const auto run = sealed_test::run_to_end({sealed_test::bin_dir() + "/" + name, "--help"}, 10000);
        const auto help = run.output();
        for (const char* flag : {"--redis ", "rediss://", "sentinel", "--redis-tls-ca", "--redis-tls-cert",
                                 "--redis-tls-key"})
            EXPECT_NE(help.find(flag), std::string::npos) << name << " --help lacks " << flag;
        const bool has_bus = std::string(name) != "envelope_api";
        EXPECT_EQ(help.find("--bus-key") != std::string::npos, has_bus) << name;
    }
}

}  // namespace
