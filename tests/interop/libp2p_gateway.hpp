// What the pnet/libp2p interop tests share: the key files the processes read, the swarm_gateway
// command line, and how to read a real js-libp2p node's report (libp2p_node.mjs).
#pragma once

#include <sealed/crypto/encoding.hpp>
#include <sealed/pnet/psk.hpp>

#include <sealed_test/paths.hpp>
#include <sealed_test/process.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace pnet_interop {

using sealed::bytes;
namespace json = boost::json;

inline const std::string node = sealed_test::node();
inline const std::string libp2p_node_script = sealed_test::source_dir() + "/tests/interop/libp2p_node.mjs";

// Files the processes read: a master secret, a wrong one, and PSK files (libp2p format).
struct key_files {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("sealed-pnet-" + std::to_string(getpid()));
    bytes secret = bytes(32, 0x5a);
    key_files() {
        namespace pnet = sealed::pnet;
        std::filesystem::create_directories(dir);
        std::ofstream(dir / "secret.hex") << sealed::crypto::hex_encode(secret) << "\n";
        std::ofstream(dir / "wrong.hex") << sealed::crypto::hex_encode(bytes(32, 0x11)) << "\n";
        std::ofstream(dir / "network.key") << pnet::format_psk_file(bytes(32, 0x77));
        std::ofstream(dir / "alice.key") << pnet::format_psk_file(pnet::tenant_psk(secret, "did:example:alice"));
        std::ofstream(dir / "bob.key") << pnet::format_psk_file(pnet::tenant_psk(secret, "did:example:bob"));
        std::ofstream(dir / "next.hex") << sealed::crypto::hex_encode(bytes(32, 0x6b)) << "\n";
        std::ofstream(dir / "alice-next.key") << pnet::format_psk_file(pnet::tenant_psk(bytes(32, 0x6b), "did:example:alice"));
    }
    ~key_files() { std::filesystem::remove_all(dir); }
    std::string operator()(const char* name) const { return (dir / name).string(); }
};

// The gateway on loopback with a WebSocket and a raw TCP listener, its keys in `keys`.
inline std::vector<std::string> gateway_argv(const key_files& keys) {
    return {sealed_test::bin_dir() + "/swarm_gateway", "--listen", "127.0.0.1:0", "--master-secret-file",
            keys("secret.hex"), "--tcp-listen", "127.0.0.1:0", "--psk-file", keys("network.key"), "--identity-key",
            keys("identity.key"), "--log-level", "warn"};
}

// The last JSON line a libp2p_node.mjs run printed (or an object saying it printed none).
inline json::object report_of(const std::vector<std::string>& lines) {
    if (lines.empty()) return {{"ok", false}, {"error", "no output"}};
    return json::parse(lines.back()).as_object();
}

// A real js-libp2p 3 node's report: ok, the gateway's peer id, identify, three pings.
inline ::testing::AssertionResult libp2p_peer_served(const sealed_test::script_result& r, const std::string& gateway_id,
                                                     std::string_view observed_suffix) {
    if (r.lines.empty()) return ::testing::AssertionFailure() << "no output; exit " << r.exit_code.value_or(-1);
    auto v = report_of(r.lines);
    if (v.at("ok") != true || r.exit_code != 0)
        return ::testing::AssertionFailure() << "exit " << r.exit_code.value_or(-1) << ": " << r.output();
    const auto& identify = v.at("identify").as_object();
    if (v.at("remotePeer").as_string() != gateway_id)
        return ::testing::AssertionFailure() << "remote peer is not " << gateway_id << ": " << r.output();
    if (identify.at("publicKeyMatches") != true || v.at("pings").as_array().size() != 3 ||
        !identify.at("observedAddr").as_string().ends_with(observed_suffix))
        return ::testing::AssertionFailure() << r.output();
    return ::testing::AssertionSuccess();
}

}  // namespace pnet_interop
