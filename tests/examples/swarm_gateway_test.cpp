// The swarm_gateway example as a user runs it: the real binary over loopback. Tenants ping
// through one listener and one swarm, a tenant's broadcast never reaches another tenant, a wrong
// key is closed (1008) while the others go on, a tenant that never negotiates is closed at the
// time limit, two gateways sharing Redis are one swarm per tenant, 1 000 tenants are served at
// once (with the memory each costs), and SIGTERM stops it with exit code 0.
#include <sealed/crypto/encoding.hpp>
#include <sealed/pnet/swarm_client.hpp>

#include <sealed_test/paths.hpp>
#include <sealed_test/http.hpp>
#include <sealed_test/process.hpp>
#include <sealed_test/redis_server.hpp>
#include <sealed_test/run.hpp>

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <filesystem>
#include <fstream>

namespace {

using namespace sealed;
using sealed::pnet::swarm_client;
using client_t = swarm_client<ws>;

const bytes master_secret(32, 0x5a);

struct gateway {
    std::filesystem::path secret_file =
        std::filesystem::temp_directory_path() / ("sealed-swarm-secret-" + std::to_string(getpid()));
    std::filesystem::path identity_file =
        std::filesystem::temp_directory_path() / ("sealed-swarm-identity-" + std::to_string(getpid()));
    std::unique_ptr<sealed_test::child_process> process;
    unsigned short port = 0;

    explicit gateway(std::vector<std::string> extra = {}) {
        std::ofstream(secret_file) << crypto::hex_encode(master_secret) << "\n";
        std::vector<std::string> argv{sealed_test::bin_dir() + "/swarm_gateway", "--listen", "127.0.0.1:0",
                                      "--master-secret-file", secret_file.string(), "--identity-key",
                                      identity_file.string(), "--log-level", "warn"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        process = std::make_unique<sealed_test::child_process>(argv);
        if (auto line = process->read_line()) port = sealed_test::port_from_listening_line(*line);
    }
    ~gateway() {
        process->signal(SIGTERM);
        process->wait();
        std::filesystem::remove(secret_file);
        std::filesystem::remove(identity_file);
    }
    std::string url(std::string_view did) const { return "ws://127.0.0.1:" + std::to_string(port) + "/swarm/" + std::string(did); }
    static pnet::psk key_of(std::string_view did) { return pnet::tenant_psk(master_secret, did); }
    long rss_kb() const;
};

long gateway::rss_kb() const {
    std::ifstream status("/proc/" + std::to_string(process->pid()) + "/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

// Dials `did`'s path on `g` with that tenant's key. The url, key and executor are named before
// they are awaited with (ADR-0001).
awaitable<result<client_t>> dial(const gateway& g, std::string_view did) {
    const auto url = g.url(did);
    const auto key = gateway::key_of(did);
    const auto ex = co_await net::this_coro::executor;
    co_return co_await client_t::connect(ex, url, key);
}

// The next broadcast a node hears, or the error's message in brackets.
awaitable<std::string> next_heard(client_t& node) {
    auto heard = co_await node.hear();
    co_return heard ? *heard : "[" + heard.error().message() + "]";
}

TEST(swarm_gateway_example, tenants_ping_and_broadcasts_stay_inside_a_tenant) {
    gateway g;
    ASSERT_NE(g.port, 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        auto pinger = co_await dial(g, "did:example:carol");
        CO_ASSERT_TRUE(pinger);
        CO_ASSERT_FALSE(co_await pinger->select(pnet::ping_protocol));
        for (int i = 0; i < 3; ++i) EXPECT_FALSE(co_await pinger->ping());

        auto a1 = co_await dial(g, "did:example:alice");
        auto a2 = co_await dial(g, "did:example:alice");
        auto b1 = co_await dial(g, "did:web:bob.example");
        CO_ASSERT_TRUE(a1 && a2 && b1);
        for (auto* c : {&*a1, &*a2, &*b1}) CO_ASSERT_FALSE(co_await c->select(pnet::broadcast_protocol));
        CO_ASSERT_FALSE(co_await a1->say("for alice's nodes only"));
        CO_ASSERT_FALSE(co_await b1->say("bob here"));
        const auto heard = co_await next_heard(*a2);
        EXPECT_EQ(heard, "for alice's nodes only");
        // b1's first message is its own tenant's next one (a2 heard nothing of bob's), and bob
        // hears nothing of alice's: a second bob node gets bob's next message first.
        auto b2 = co_await dial(g, "did:web:bob.example");
        CO_ASSERT_TRUE(b2);
        CO_ASSERT_FALSE(co_await b2->select(pnet::broadcast_protocol));
        CO_ASSERT_FALSE(co_await a1->say("alice again"));
        CO_ASSERT_FALSE(co_await b1->say("bob again"));
        const auto to_b2 = co_await next_heard(*b2);
        EXPECT_EQ(to_b2, "bob again");
        const auto to_a2 = co_await next_heard(*a2);
        EXPECT_EQ(to_a2, "alice again");
        EXPECT_FALSE(co_await pinger->ping()) << "the pinging tenant was unaffected";
    }());
}

TEST(swarm_gateway_example, a_wrong_key_is_closed_and_other_tenants_go_on) {
    gateway g;
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        const auto ex = io.get_executor();
        auto good = co_await dial(g, "did:example:alice");
        CO_ASSERT_TRUE(good);
        CO_ASSERT_FALSE(co_await good->select(pnet::ping_protocol));
        // Bob's key on Alice's path, and a key from another master secret.
        for (auto key : {gateway::key_of("did:example:bob"), pnet::tenant_psk(bytes(32, 1), "did:example:alice")}) {
            const auto started = std::chrono::steady_clock::now();
            const auto alice_url = g.url("did:example:alice");
            auto wrong = co_await client_t::connect(ex, alice_url, key);
            CO_ASSERT_TRUE(wrong);  // pnet itself has nothing to refuse with
            EXPECT_TRUE(co_await wrong->select(pnet::ping_protocol));
            message_buffer rest;
            while (!co_await wrong->channel().async_receive(rest)) {}  // until the gateway's close
            const auto reason = wrong->channel().transport().peer_close_reason();
            EXPECT_TRUE(reason && reason->code == close_code::policy_violation);
            EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
            EXPECT_FALSE(co_await good->ping());
        }
    }());
}

// --deny-file revokes tenants while the gateway runs: a newly listed DID's connection is closed
// (1008) and its next upgrade refused (403); other tenants go on; taken off the list, it is back.
TEST(swarm_gateway_example, a_revoked_tenant_is_closed_and_refused_until_the_file_lets_it_back) {
    const auto deny_file = std::filesystem::temp_directory_path() / ("sealed-swarm-deny-" + std::to_string(getpid()));
    std::ofstream(deny_file) << "# revoked tenants\n";
    gateway g({"--deny-file", deny_file.string()});
    ASSERT_NE(g.port, 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        auto alice = co_await dial(g, "did:example:alice");
        auto bob = co_await dial(g, "did:example:bob");
        CO_ASSERT_TRUE(alice && bob);
        CO_ASSERT_FALSE(co_await alice->select(pnet::ping_protocol));
        CO_ASSERT_FALSE(co_await bob->select(pnet::ping_protocol));
        CO_ASSERT_FALSE(co_await alice->ping());
        std::ofstream(deny_file) << "did:example:alice  # key leaked\n";
        message_buffer rest;
        while (!co_await alice->channel().async_receive(rest)) {}  // until the gateway's close
        const auto reason = alice->channel().transport().peer_close_reason();
        EXPECT_TRUE(reason && reason->code == close_code::policy_violation && reason->reason == "tenant revoked");
        auto again = co_await dial(g, "did:example:alice");
        CO_ASSERT_TRUE(!again);
        const auto upgrade = sealed_test::upgrade_request("/swarm/did:example:alice");
        const auto refusal = co_await sealed_test::http_exchange(g.port, upgrade);
        EXPECT_EQ(refusal.result(), http::status::forbidden);
        EXPECT_EQ(refusal.body(), "tenant revoked\n");
        EXPECT_FALSE(co_await bob->ping()) << "another tenant goes on";
        std::ofstream(deny_file) << "\n";
        for (int i = 0; i < 40 && !again; ++i) {
            co_await sealed_test::sleep_for(std::chrono::milliseconds(100));
            again = co_await dial(g, "did:example:alice");
        }
        EXPECT_TRUE(again) << "taken off the list, the tenant is served again";
    }(), std::chrono::seconds(20));
    std::filesystem::remove(deny_file);
}

// --next-master-secret-file: during a rotation both generations reach the tenant, /metrics says
// how many connections use each, and a key of neither is refused as before.
TEST(swarm_gateway_example, a_rotation_accepts_both_generations_and_counts_them) {
    const bytes next_secret(32, 0x6b);
    const auto next_file = std::filesystem::temp_directory_path() / ("sealed-swarm-next-" + std::to_string(getpid()));
    std::ofstream(next_file) << crypto::hex_encode(next_secret) << "\n";
    gateway g({"--next-master-secret-file", next_file.string()});
    ASSERT_NE(g.port, 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        const auto ex = io.get_executor();
        const auto url = g.url("did:example:alice");
        const auto old_key = gateway::key_of("did:example:alice");
        const auto new_key = pnet::tenant_psk(next_secret, "did:example:alice");
        auto on_old = co_await client_t::connect(ex, url, old_key);
        auto on_new = co_await client_t::connect(ex, url, new_key);
        CO_ASSERT_TRUE(on_old && on_new);
        CO_ASSERT_FALSE(co_await on_old->select(pnet::ping_protocol));
        CO_ASSERT_FALSE(co_await on_new->select(pnet::ping_protocol));
        EXPECT_FALSE(co_await on_old->ping());
        EXPECT_FALSE(co_await on_new->ping());
        const auto metrics = co_await sealed_test::http_get(g.port, "/metrics");
        EXPECT_NE(metrics.body().find("sealed_swarm_connections_by_key{generation=\"current\"} 1"), std::string::npos)
            << metrics.body();
        EXPECT_NE(metrics.body().find("sealed_swarm_connections_by_key{generation=\"next\"} 1"), std::string::npos);
        const auto strangers_key = pnet::tenant_psk(bytes(32, 1), "did:example:alice");
        auto stranger = co_await client_t::connect(ex, url, strangers_key);
        CO_ASSERT_TRUE(stranger);
        EXPECT_TRUE(co_await stranger->select(pnet::ping_protocol)) << "a key of neither generation";
    }());
    std::filesystem::remove(next_file);
}

// A connection that completes the pnet handshake and then never speaks multistream-select is
// closed at --negotiate-timeout with 1008; one that selected in time stays past that deadline.
TEST(swarm_gateway_example, a_silent_tenant_is_closed_at_the_negotiation_timeout) {
    gateway g({"--negotiate-timeout", "1"});
    ASSERT_NE(g.port, 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        const auto ex = io.get_executor();
        const auto alice = gateway::key_of("did:example:alice");
        const auto alice_url = g.url("did:example:alice");
        auto talker = co_await client_t::connect(ex, alice_url, alice);
        CO_ASSERT_TRUE(talker);
        CO_ASSERT_FALSE(co_await talker->select(pnet::ping_protocol));
        const auto started = std::chrono::steady_clock::now();
        auto silent = co_await client_t::connect(ex, alice_url, alice);
        CO_ASSERT_TRUE(silent);
        message_buffer greeting;
        while (!co_await silent->channel().async_receive(greeting)) {}  // the greeting, then the close
        const auto waited = std::chrono::steady_clock::now() - started;
        const auto reason = silent->channel().transport().peer_close_reason();
        CO_ASSERT_TRUE(reason);
        EXPECT_EQ(reason->code, close_code::policy_violation);
        EXPECT_EQ(reason->reason, "protocol negotiation timeout");
        EXPECT_GE(waited, std::chrono::milliseconds(900));
        EXPECT_LT(waited, std::chrono::seconds(5));
        EXPECT_FALSE(co_await talker->ping()) << "the tenant that selected in time is still served";
    }());
}

// Two gateways sharing one redis-server are one swarm: a tenant's broadcast on one reaches its
// nodes on the other (each under its own connection's key), once, and no other tenant's nodes.
TEST(swarm_gateway_example, gateways_sharing_redis_are_one_swarm_per_tenant) {
    sealed_test::redis_server redis;
    if (!redis.running()) GTEST_SKIP() << "redis-server is not installed";
    gateway a({"--redis", redis.url()});
    gateway b({"--redis", redis.url()});
    ASSERT_NE(a.port, 0);
    ASSERT_NE(b.port, 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        const std::vector<unsigned short> ports{a.port, b.port};  // named: ADR-0001
        CO_ASSERT_TRUE(co_await sealed_test::all_subscribed(ports));
        const std::string alice = "did:example:alice", bob = "did:web:bob.example";
        auto alice_a = co_await dial(a, alice);
        auto alice_b = co_await dial(b, alice);
        auto bob_a = co_await dial(a, bob);
        auto bob_b = co_await dial(b, bob);
        CO_ASSERT_TRUE(alice_a && alice_b && bob_a && bob_b);
        for (auto* c : {&*alice_a, &*alice_b, &*bob_a, &*bob_b}) CO_ASSERT_FALSE(co_await c->select(pnet::broadcast_protocol));

        CO_ASSERT_FALSE(co_await alice_a->say("alice on a"));
        const auto on_b = co_await next_heard(*alice_b);
        EXPECT_EQ(on_b, "alice on a");
        // Each gateway publishes in order: had alice's messages reached bob, or alice's own come
        // back to her, the first message each hears next would be that one.
        CO_ASSERT_FALSE(co_await alice_b->say("alice on b"));
        CO_ASSERT_FALSE(co_await bob_b->say("bob on b"));
        const auto to_bob_a = co_await next_heard(*bob_a);
        EXPECT_EQ(to_bob_a, "bob on b");
        const auto to_alice_a = co_await next_heard(*alice_a);
        EXPECT_EQ(to_alice_a, "alice on b");
        EXPECT_GE(co_await sealed_test::node_metric(a.port, "sealed_bus_received_total"), 2);
    }());
}

TEST(swarm_gateway_example, a_thousand_tenants_at_once_through_one_listener) {
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = std::max<rlim_t>(limit.rlim_cur, std::min<rlim_t>(limit.rlim_max, 4096));
    setrlimit(RLIMIT_NOFILE, &limit);  // the gateway inherits it
    if (limit.rlim_cur < 2200) GTEST_SKIP() << "needs about 2200 open files, the limit is " << limit.rlim_cur;
    gateway g({"--max-connections", "2000", "--rate-limit-burst", "0"});
    const long rss_before = g.rss_kb();
    constexpr int tenants = 1000;
    net::io_context io;
    std::vector<client_t> open;
    int pinged = 0;
    sealed_test::run(io, [&]() -> awaitable<void> {
        for (int i = 0; i < tenants; ++i) {
            const auto did = "did:example:tenant-" + std::to_string(i);
            auto c = co_await dial(g, did);
            if (!c) co_return ADD_FAILURE() << "tenant " << i << ": " << c.error().message();
            if (co_await c->select(pnet::ping_protocol) || co_await c->ping()) co_return ADD_FAILURE() << "tenant " << i;
            open.push_back(std::move(*c));
            ++pinged;
        }
        // All still open: each pings once more.
        for (auto& c : open)
            if (!co_await c.ping()) ++pinged;
    }(), std::chrono::seconds(120));
    EXPECT_EQ(pinged, 2 * tenants);
    const double per_connection = double(g.rss_kb() - rss_before) / tenants;
    RecordProperty("rss_kib_per_connection", std::to_string(per_connection));
    std::cout << "swarm_gateway RSS per connection with " << tenants << " tenants: " << per_connection << " KiB\n";
    EXPECT_GT(per_connection, 0.0);
}

TEST(swarm_gateway_example, refuses_to_start_without_a_usable_master_secret) {
    sealed_test::child_process none({sealed_test::bin_dir() + "/swarm_gateway", "--listen", "127.0.0.1:0"});
    EXPECT_EQ(none.wait(), 2);
    const auto short_secret = std::filesystem::temp_directory_path() / ("sealed-short-" + std::to_string(getpid()));
    std::ofstream(short_secret) << "abcd\n";
    sealed_test::child_process bad({sealed_test::bin_dir() + "/swarm_gateway", "--listen", "127.0.0.1:0",
                                    "--master-secret-file", short_secret.string()});
    EXPECT_EQ(bad.wait(), 2);
    std::filesystem::remove(short_secret);
}

TEST(swarm_gateway_example, sigterm_stops_it_cleanly) {
    gateway g;
    ASSERT_NE(g.port, 0);
    g.process->signal(SIGTERM);
    EXPECT_EQ(g.process->wait(), 0);
}

}  // namespace
