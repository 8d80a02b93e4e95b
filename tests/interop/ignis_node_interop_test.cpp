// A real IGNIS node (npm @venizia/ignis 0.0.7 under Bun from npm, tests/interop/ignis_node.mjs)
// and two stream_chat processes on one redis-server (issue 29): clients on either side chat in
// one room; IGNIS's WebSocketEmitter and its server helper reach sealed clients; a broadcast
// sealed originates reaches IGNIS's clients; and one probe script (ignis_probe.mjs) gets the
// same frames from the IGNIS node as from a sealed node wherever the issue says they match.
#include <sealed/cluster/bus.hpp>
#include <sealed/cluster/redis.hpp>

#include <sealed_test/paths.hpp>
#include <sealed_test/chat_events.hpp>
#include <sealed_test/cluster.hpp>

#include <gtest/gtest.h>

#include <algorithm>

namespace {

using namespace sealed;
using namespace std::chrono_literals;
namespace json = boost::json;
using list = std::vector<std::string>;
const std::string node = sealed_test::node();
const std::string binary = sealed_test::bin_dir() + "/stream_chat";
const std::string interop = sealed_test::source_dir() + "/tests/interop";
const std::string bun = interop + "/node_modules/.bin/bun";

// Why the test cannot run here, or empty.
std::string missing_tools() {
    if (sealed_test::redis_server::executable().empty()) return "redis-server is not installed";
    if (access(bun.c_str(), X_OK) != 0 || access((interop + "/node_modules/@venizia/ignis").c_str(), F_OK) != 0)
        return "bun / @venizia/ignis are not installed (npm ci --prefix tests/interop)";
    return {};
}

// The IGNIS node under Bun on a loopback port of its own, sharing `redis_port`; commands to
// its server helper go in on stdin, one JSON line each, and are answered with one line.
class ignis_node {
public:
    explicit ignis_node(unsigned short redis_port)
        : port_(sealed_test::free_loopback_port()),
          process_({bun, interop + "/ignis_node.mjs", std::to_string(port_), std::to_string(redis_port)}, true) {
        // Bun loads IGNIS and connects to Redis first: seconds on a loaded machine.
        for (int lines = 0; lines < 20; ++lines) {
            auto line = process_.read_line(30000);
            if (!line) break;
            if (line->rfind("listening on ", 0) == 0) {
                ready_ = true;
                break;
            }
        }
    }
    ~ignis_node() {
        process_.signal(SIGTERM);
        process_.wait(5000);
    }
    bool ready() const noexcept { return ready_; }
    std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/stream"; }
    // The helper's send(): to a room or a client here or elsewhere (destination), or everyone.
    std::string send(const std::string& destination, const std::string& topic, const json::value& data) {
        json::object cmd{{"call", "send"}, {"topic", topic}, {"data", data}};
        if (!destination.empty()) cmd["destination"] = destination;
        if (!process_.write_line(json::serialize(cmd))) return "cannot write to the node";
        return process_.read_line(5000).value_or("no answer");
    }

private:
    unsigned short port_;
    sealed_test::child_process process_;
    bool ready_ = false;
};

// What a client got, sorted (events from different processes may interleave), with each
// chat's "time" checked and dropped so the rest can be compared.
awaitable<list> received(sealed_test::chat_client& c, std::size_t expected) {
    auto got = co_await sealed_test::events_after(c, expected);
    for (auto& e : got) {
        if (e.rfind("chat:", 0) != 0) continue;
        auto data = json::parse(e.substr(5)).as_object();
        EXPECT_TRUE(data.contains("time") && data["time"].is_string()) << e;
        data.erase("time");
        e = "chat:" + json::serialize(data);
    }
    std::sort(got.begin(), got.end());
    co_return got;
}

struct expectation {
    sealed_test::chat_client* client;
    list events;  // in any order
};

// Each client gets exactly its events (and nothing else or twice).
awaitable<void> expect_events(const std::vector<expectation>& all) {
    for (const auto& e : all) {
        auto want = e.events;
        std::sort(want.begin(), want.end());
        auto got = co_await received(*e.client, want.size());
        EXPECT_EQ(got, want) << "client of " << e.client->user_id();
    }
}

std::string chat_from(const std::string& text, const std::string& from) {
    return "chat:" + json::serialize(json::object{{"room", "lobby"}, {"text", text}, {"from", from}});
}

TEST(ignis_node, shares_rooms_and_the_bus_with_two_sealed_processes) {
    if (auto why = missing_tools(); !why.empty()) GTEST_SKIP() << why;
    sealed_test::chat_cluster cluster(binary, 2, false);
    ASSERT_TRUE(cluster.ready());
    ignis_node ignis(cluster.redis().port());
    ASSERT_TRUE(ignis.ready()) << "the IGNIS node did not start";
    const std::vector<unsigned short> ports{cluster.node_port(0), cluster.node_port(1)};
    const std::string first = cluster.node_url(0), second = cluster.node_url(1), there = ignis.url();
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        CO_ASSERT_TRUE(co_await sealed_test::all_subscribed(ports));
        auto alice = co_await sealed_test::connect_chat(there, "alice");  // on IGNIS
        auto bob = co_await sealed_test::connect_chat(first, "bob");
        auto carol = co_await sealed_test::connect_chat(second, "carol");
        CO_ASSERT_TRUE(alice && bob && carol);
        for (auto* c : {&*alice, &*bob, &*carol}) CO_ASSERT_TRUE(co_await sealed_test::join_room(*c, "lobby"));

        // Chat: each line reaches the two others, across IGNIS and both sealed processes.
        for (auto* c : {&*alice, &*bob, &*carol}) {
            const json::value line{{"room", "lobby"}, {"text", "from " + c->user_id()}};
            CO_ASSERT_TRUE(!co_await c->emit("chat", line));
        }
        const auto a_id = alice->id(), b_id = bob->id(), c_id = carol->id();
        auto* a = &*alice;
        auto* b = &*bob;
        auto* c = &*carol;
        const std::vector<expectation> chats{
            {a, {chat_from("from bob", b_id), chat_from("from carol", c_id)}},
            {b, {chat_from("from alice", a_id), chat_from("from carol", c_id)}},
            {c, {chat_from("from alice", a_id), chat_from("from bob", b_id)}},
        };
        co_await expect_events(chats);

        // IGNIS's WebSocketEmitter, as in emitter_interop_test, with an IGNIS client beside.
        json::array plan{
            {{"call", "toRoom"}, {"room", "lobby"}, {"event", "news"}, {"data", {{"n", 1}}}},
            {{"call", "toClient"}, {"clientId", b_id}, {"event", "direct"}, {"data", {{"n", 2}}}},
            {{"call", "toUser"}, {"userId", "carol"}, {"event", "dm"}, {"data", {{"n", 3}}}},
            {{"call", "broadcast"}, {"event", "all"}, {"data", {{"n", 4}}}},
        };
        // Blocking, on this thread: the clients' events wait in their sockets meanwhile.
        const auto run = sealed_test::run_to_end(
            {node, interop + "/ignis_emitter.mjs", std::to_string(cluster.redis().port()), json::serialize(plan)}, 20000);
        EXPECT_EQ(run.lines.empty() ? "" : run.lines.back(), R"({"ok":true,"published":4})") << run.output();
        const std::vector<expectation> emitted{
            {a, {R"(news:{"n":1})", R"(all:{"n":4})"}},
            {b, {R"(news:{"n":1})", R"(direct:{"n":2})", R"(all:{"n":4})"}},
            {c, {R"(news:{"n":1})", R"(dm:{"n":3})", R"(all:{"n":4})"}},
        };
        co_await expect_events(emitted);

        // IGNIS's server helper, send(): a room, a client of a sealed process (IGNIS publishes
        // that as a room named by the id: every client is in its own), everyone.
        const std::string ok = R"({"ok":true,"call":"send"})";
        EXPECT_EQ(ignis.send("lobby", "helper-room", json::value{{"n", 5}}), ok);
        EXPECT_EQ(ignis.send(c_id, "helper-direct", json::value{{"n", 6}}), ok);
        EXPECT_EQ(ignis.send("", "helper-all", json::value{{"n", 7}}), ok);
        const std::vector<expectation> helper{
            {a, {R"(helper-room:{"n":5})", R"(helper-all:{"n":7})"}},
            {b, {R"(helper-room:{"n":5})", R"(helper-all:{"n":7})"}},
            {c, {R"(helper-room:{"n":5})", R"(helper-direct:{"n":6})", R"(helper-all:{"n":7})"}},
        };
        co_await expect_events(helper);

        // A broadcast sealed originates: what router<Server>::broadcast publishes, from a bus of
        // its own (another serverId), so both sealed processes and IGNIS deliver it.
        auto redis_cfg = redis::parse_url(cluster.redis().url());
        CO_ASSERT_TRUE(redis_cfg.has_value());
        auto redis_client = redis::make_client(io.get_executor(), *redis_cfg);
        redis_client->start();
        auto bus = cluster::make_redis_bus(redis_client, {"sealed-origin"});
        bus->publish({{}, cluster::target_kind::broadcast, {}, "sealed-all", json::value{{"n", 8}}, {}});
        const std::vector<expectation> broadcast{
            {a, {R"(sealed-all:{"n":8})"}}, {b, {R"(sealed-all:{"n":8})"}}, {c, {R"(sealed-all:{"n":8})"}}};
        co_await expect_events(broadcast);
        redis_client->stop();
        for (auto* each : {a, b, c}) co_await each->close();
    }(), 90s);
    sealed_test::drain(io, 300ms);
}

// The probe's transcript (its last stdout line), or null when it did not finish.
json::value probe(const std::string& url, unsigned short redis_port) {
    const auto run = sealed_test::run_to_end({node, interop + "/ignis_probe.mjs", url, std::to_string(redis_port)}, 60000);
    if (run.lines.empty()) return nullptr;
    std::error_code ec;
    auto v = json::parse(run.lines.back(), ec);
    const auto* ok = v.is_object() ? v.as_object().if_contains("ok") : nullptr;
    if (ec || !ok || !ok->is_bool() || !ok->get_bool()) {
        ADD_FAILURE() << "probe against " << url << ":\n" << run.output();
        return nullptr;
    }
    return v;
}

const json::array* frames_of(const json::value& transcript, std::string_view name) {
    for (const auto& p : transcript.at("probes").as_array())
        if (p.at("name").as_string() == name) return &p.at("frames").as_array();
    return nullptr;
}

// The frames with every error event's "code" removed (IGNIS's errors carry only a message).
json::array without_codes(json::array frames) {
    for (auto& f : frames)
        for (const char* side : {"clear", "sealed"})
            if (auto* e = f.as_object().if_contains(side); e && e->at("event").as_string() == "error")
                e->at("data").as_object().erase("code");
    return frames;
}

TEST(ignis_node, answers_the_probe_as_stream_chat_where_issue_29_says_they_match) {
    if (auto why = missing_tools(); !why.empty()) GTEST_SKIP() << why;
    sealed_test::chat_cluster cluster(binary, 1, false);
    ASSERT_TRUE(cluster.ready());
    ignis_node ignis(cluster.redis().port());
    ASSERT_TRUE(ignis.ready()) << "the IGNIS node did not start";
    // One node at a time: the probe's broadcasts reach every client on the Redis.
    const auto from_ignis = probe(ignis.url(), cluster.redis().port());
    const auto from_sealed = probe(cluster.node_url(0), cluster.redis().port());
    ASSERT_TRUE(from_ignis.is_object() && from_sealed.is_object());

    std::size_t compared = 0;
    for (const auto& p : from_ignis.at("probes").as_array()) {
        if (!p.at("match").as_bool()) continue;
        const std::string name(p.at("name").as_string());
        const auto* sealed_frames = frames_of(from_sealed, name);
        ASSERT_NE(sealed_frames, nullptr) << name;
        EXPECT_EQ(json::serialize(*sealed_frames), json::serialize(p.at("frames"))) << name << " (sealed, then IGNIS)";
        ++compared;
    }
    EXPECT_EQ(compared, 9u) << "handshakes ×3, default rooms, chat, bus ×4";

    // Differences kept on purpose (docs/schemes/ecdh_gcm.md): pinned on sealed's side.
    const auto* join = frames_of(from_sealed, "clear_join_from_a_keyed_client");
    ASSERT_TRUE(join && join->size() == 3) << (join ? json::serialize(*join) : "none");
    EXPECT_EQ(json::serialize((*join)[1]),
              R"({"clear":{"data":{"code":"encryption_required","message":"Encryption required"},"event":"error"},"to":"A"})");
    EXPECT_EQ(json::serialize((*join)[2]), R"({"close":4004,"to":"A"})");
    const auto* ignis_join = frames_of(from_ignis, "clear_join_from_a_keyed_client");
    ASSERT_TRUE(ignis_join && ignis_join->size() == 2) << "IGNIS serves it";
    EXPECT_EQ(json::serialize((*ignis_join)[1]), R"({"sealed":{"data":{"rooms":["r2"]},"event":"joined"},"to":"A"})");
    // Errors before the handshake: the same messages and close, sealed adds a code.
    const auto* early = frames_of(from_sealed, "before_authenticate");
    const auto* ignis_early = frames_of(from_ignis, "before_authenticate");
    ASSERT_TRUE(early && ignis_early);
    EXPECT_EQ(json::serialize(without_codes(*early)), json::serialize(*ignis_early));
    for (const auto& f : *early) {
        if (f.as_object().contains("clear")) {
            EXPECT_TRUE(f.at("clear").at("data").as_object().contains("code")) << json::serialize(f);
        }
    }
    // No key: both refuse with 4004 (the messages differ).
    const auto* no_key = frames_of(from_sealed, "no_key");
    const auto* ignis_no_key = frames_of(from_ignis, "no_key");
    ASSERT_TRUE(no_key && ignis_no_key && !no_key->empty() && !ignis_no_key->empty());
    EXPECT_EQ(json::serialize(no_key->back()), json::serialize(ignis_no_key->back()));
}

}  // namespace
