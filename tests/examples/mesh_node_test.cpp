// The mesh_node example as a user runs it: three real processes form a full mesh over loopback,
// a chat typed into one reaches each of the others exactly once (relays and the second path
// are deduplicated), the identity survives a restart, and the allowlist keeps strangers out.
#include <sealed_test/paths.hpp>
#include <sealed_test/process.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

namespace {

const std::string binary = sealed_test::bin_dir() + "/mesh_node";

struct node_process {
    std::unique_ptr<sealed_test::child_process> process;
    unsigned short port = 0;
    std::string id;
    std::vector<std::string> lines;  // everything after the id line

    explicit node_process(std::vector<std::string> extra) {
        std::vector<std::string> argv{binary, "--listen", "127.0.0.1:0", "--log-level", "warn"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        process = std::make_unique<sealed_test::child_process>(argv, true);
        if (auto l = process->read_line()) port = sealed_test::port_from_listening_line(*l);
        if (auto l = process->read_line(); l && l->starts_with("node id ")) id = l->substr(8);
    }
    std::string url() const { return "ws://127.0.0.1:" + std::to_string(port) + "/ws"; }
    // Reads lines until one equals `wanted` (true) or nothing comes for `timeout_ms`.
    bool wait_for(const std::string& wanted, int timeout_ms = 10000) {
        for (const auto& l : lines)
            if (l == wanted) return true;
        while (auto l = process->read_line(timeout_ms)) {
            lines.push_back(*l);
            if (*l == wanted) return true;
        }
        return false;
    }
    // Whatever else arrives within `quiet_ms`.
    void drain(int quiet_ms = 500) {
        while (auto l = process->read_line(quiet_ms)) lines.push_back(*l);
    }
    std::size_t count(const std::string& line) const { return std::count(lines.begin(), lines.end(), line); }
    ~node_process() {
        process->signal(SIGTERM);
        process->wait();
    }
};

std::filesystem::path temp_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("sealed-mesh-" + name + "-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    return dir;
}

TEST(mesh_node_example, three_nodes_deliver_each_chat_exactly_once) {
    node_process a({"--name", "a"});
    ASSERT_NE(a.port, 0);
    ASSERT_EQ(a.id.size(), 32u);
    node_process b({"--name", "b", "--peer", a.id + "@" + a.url()});
    ASSERT_NE(b.port, 0);
    node_process c({"--name", "c", "--peer", a.url(), "--peer", b.url()});
    ASSERT_NE(c.port, 0);
    // Full mesh: a–b, a–c, b–c.
    EXPECT_TRUE(a.wait_for("peer up " + b.id + " in"));
    EXPECT_TRUE(a.wait_for("peer up " + c.id + " in"));
    EXPECT_TRUE(b.wait_for("peer up " + a.id + " out"));
    EXPECT_TRUE(b.wait_for("peer up " + c.id + " in"));
    EXPECT_TRUE(c.wait_for("peer up " + a.id + " out"));
    EXPECT_TRUE(c.wait_for("peer up " + b.id + " out"));

    ASSERT_TRUE(a.process->write_line("hello from a <&> ✓"));
    ASSERT_TRUE(c.process->write_line("hi from c"));
    const auto from_a = "chat " + a.id + " hello from a <&> ✓", from_c = "chat " + c.id + " hi from c";
    EXPECT_TRUE(b.wait_for(from_a));
    EXPECT_TRUE(c.wait_for(from_a));
    EXPECT_TRUE(a.wait_for(from_c));
    EXPECT_TRUE(b.wait_for(from_c));
    // Every chat travels two paths to each node (direct and relayed); give the second time to land.
    for (auto* n : {&a, &b, &c}) n->drain();
    EXPECT_EQ(b.count(from_a), 1u);
    EXPECT_EQ(c.count(from_a), 1u);
    EXPECT_EQ(a.count(from_c), 1u);
    EXPECT_EQ(b.count(from_c), 1u);
    EXPECT_EQ(a.count(from_a), 0u) << "a's own chat came back to it";
    EXPECT_EQ(c.count(from_c), 0u);

    c.process->signal(SIGTERM);
    EXPECT_EQ(c.process->wait(), 0) << "SIGTERM must stop the node with exit code 0";
    EXPECT_TRUE(a.wait_for("peer down " + c.id));
}

TEST(mesh_node_example, the_identity_survives_a_restart_and_the_key_file_is_private) {
    const auto dir = temp_dir("identity");
    std::string first;
    {
        node_process n({"--key-dir", dir.string(), "--name", "keeper"});
        first = n.id;
    }
    ASSERT_EQ(first.size(), 32u);
    struct stat key_stat {};
    ASSERT_EQ(stat((dir / "private.key").c_str(), &key_stat), 0);
    EXPECT_EQ(key_stat.st_mode & 0777, 0600u);
    EXPECT_EQ(key_stat.st_size, 32);
    node_process again({"--key-dir", dir.string()});
    EXPECT_EQ(again.id, first);
    std::filesystem::remove_all(dir);
}

TEST(mesh_node_example, allowlist_mode_keeps_strangers_out) {
    const auto dir = temp_dir("allow");
    std::filesystem::create_directories(dir);
    node_process friendly({"--key-dir", (dir / "friend").string()});  // makes the identity it is allowed by
    {
        std::ofstream list(dir / "allowlist");
        list << "# the only node allowed in\n" << friendly.id << "\n";
    }
    node_process guarded({"--allowlist", (dir / "allowlist").string()});
    node_process stranger({"--peer", guarded.url()});
    node_process friendly_dialer({"--key-dir", (dir / "friend").string(), "--peer", guarded.url()});
    EXPECT_TRUE(guarded.wait_for("peer up " + friendly.id + " in"));
    guarded.drain();
    EXPECT_EQ(guarded.count("peer up " + stranger.id + " in"), 0u);
    std::filesystem::remove_all(dir);
}

}  // namespace
