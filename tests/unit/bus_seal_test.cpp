// The sealed bus's keyring, sealer and opener, sans I/O (issue 29): keys files, round trips,
// rotation, tampering, replays within and outside the reorder and time windows.
#include <sealed/cluster/bus_seal.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <memory>

namespace {

using namespace sealed;
using namespace sealed::cluster;
using namespace std::chrono_literals;

const std::string key_a = "a AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
const std::string key_b = "b.2 8PHy8/T19vf4+fr7/P3+/wABAgMEBQYHCAkKCwwNDg8=\n";

std::shared_ptr<const bus_keyring> ring(const std::string& text) {
    std::string why;
    auto r = bus_keyring::parse(text, &why);
    EXPECT_TRUE(r) << why;
    return std::make_shared<const bus_keyring>(std::move(*r));
}

bus_message sample(std::string server = "node-1") {
    bus_message m;
    m.server_id = std::move(server);
    m.type = target_kind::room;
    m.target = "lobby";
    m.event = "chat";
    m.data = boost::json::value{{"text", "the secret plan"}};
    m.exclude = {"c1"};
    return m;
}

TEST(bus_keyring, parses_keys_and_says_which_line_is_wrong) {
    auto both = ring("# rotation\n\n" + key_b + key_a);
    EXPECT_EQ(both->sealing().id, "b.2");
    EXPECT_EQ(both->keys().size(), 2u);
    EXPECT_NE(both->find("a"), nullptr);
    EXPECT_EQ(both->find("c"), nullptr);

    const std::pair<std::string, std::string> bad[] = {
        {"", "no key"},
        {"# only a comment\n", "no key"},
        {"a\n", "line 1"},
        {"a AAECAwQ=\n", "32 bytes"},
        {"a not*base64\n", "32 bytes"},
        {key_a + key_a, "twice"},
        {"\n" + std::string("bad/id AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"), "line 2"},
    };
    for (const auto& [text, expected] : bad) {
        std::string why;
        auto r = bus_keyring::parse(text, &why);
        EXPECT_EQ(r.error(), errc::invalid_key) << text;
        EXPECT_NE(why.find(expected), std::string::npos) << text << " → " << why;
    }
    std::string why;
    EXPECT_FALSE(bus_keyring::load("/nonexistent/bus.keys", &why));
    EXPECT_NE(why.find("/nonexistent/bus.keys"), std::string::npos) << why;
}

TEST(bus_seal, round_trips_and_hides_everything) {
    bus_sealer sealer(ring(key_a));
    bus_opener opener(ring(key_a));
    const auto wire = sealer.seal(sample());
    EXPECT_EQ(wire.rfind("sb1.a.", 0), 0u);
    // Strings of five or more characters: shorter ones turn up by chance in random base64.
    for (const char* secret : {"secret", "lobby", "node-1"}) EXPECT_EQ(wire.find(secret), std::string::npos);
    auto m = opener.open(wire);
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m->server_id, "node-1");
    EXPECT_EQ(m->type, target_kind::room);
    EXPECT_EQ(m->target, "lobby");
    EXPECT_EQ(m->event, "chat");
    ASSERT_TRUE(m->data);
    EXPECT_EQ(boost::json::serialize(*m->data), R"({"text":"the secret plan"})");
    EXPECT_EQ(m->exclude, std::vector<std::string>{"c1"});
}

TEST(bus_seal, rotation_opens_with_either_key_and_a_stranger_key_is_forged) {
    bus_sealer new_first(ring(key_b + key_a));
    bus_sealer old_first(ring(key_a + key_b));
    bus_opener both(ring(key_a + key_b));
    bus_opener old_only(ring(key_a));
    const auto by_new = new_first.seal(sample());
    EXPECT_EQ(by_new.rfind("sb1.b.2.", 0), 0u);
    EXPECT_TRUE(both.open(by_new));
    EXPECT_TRUE(both.open(old_first.seal(sample("node-2"))));
    EXPECT_EQ(old_only.open(by_new).error(), errc::decrypt_failed);
}

TEST(bus_seal, tampering_of_any_kind_is_forged) {
    bus_sealer sealer(ring(key_a));
    bus_opener opener(ring(key_a + key_b));
    const auto wire = sealer.seal(sample());
    auto flipped = wire;
    flipped[flipped.size() / 2] = flipped[flipped.size() / 2] == 'A' ? 'B' : 'A';
    auto relabelled = "sb1.b.2." + wire.substr(std::string("sb1.a.").size());  // AAD binds the key id
    for (const auto& bad : {flipped, relabelled, wire.substr(0, wire.size() - 4), std::string("sb1.a."),
                            std::string("sb1.a.AAAA"), std::string(R"({"serverId":"x","type":"broadcast","event":"e"})"),
                            std::string("sb2") + wire.substr(3)})
        EXPECT_EQ(opener.open(bad).error(), errc::decrypt_failed) << bad;
    EXPECT_TRUE(opener.open(wire));  // the original still opens: nothing above consumed it
}

TEST(bus_seal, each_message_opens_once_within_the_reorder_window) {
    bus_sealer sealer(ring(key_a));
    bus_opener opener(ring(key_a));
    std::vector<std::string> wires;
    for (int i = 0; i < 70; ++i) wires.push_back(sealer.seal(sample()));
    EXPECT_TRUE(opener.open(wires[2]));
    EXPECT_TRUE(opener.open(wires[0]));  // late, but within 64
    EXPECT_TRUE(opener.open(wires[1]));
    for (int i : {0, 1, 2}) EXPECT_EQ(opener.open(wires[i]).error(), errc::duplicate_message) << i;
    EXPECT_TRUE(opener.open(wires[69]));
    EXPECT_EQ(opener.open(wires[3]).error(), errc::duplicate_message);  // 66 behind: too old to tell
    EXPECT_TRUE(opener.open(wires[10]));                                // 59 behind: still known
    // A restarted sender (same server id, new boot) starts its sequence again and is accepted.
    bus_sealer restarted(ring(key_a));
    EXPECT_TRUE(opener.open(restarted.seal(sample())));
}

TEST(bus_seal, a_message_outside_the_time_window_is_refused) {
    bus_sealer sealer(ring(key_a));
    bus_opener opener(ring(key_a), bus_seal_options{5s});
    const auto now = std::chrono::system_clock::now();
    EXPECT_EQ(opener.open(sealer.seal(sample()), now + 6s).error(), errc::duplicate_message);
    EXPECT_EQ(opener.open(sealer.seal(sample()), now - 6s).error(), errc::duplicate_message);
    EXPECT_TRUE(opener.open(sealer.seal(sample()), now + 1s));
}

}  // namespace
