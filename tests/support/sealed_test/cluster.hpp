// A loopback cluster for tests: one redis-server, N stream_chat processes sharing it, and
// HAProxy in front (round robin, a cookie for stickiness, health checks, redispatch when a node
// is gone), as docs/cluster.md describes. Skips are the caller's: see available().
#pragma once

#include "process.hpp"
#include "redis_server.hpp"
#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sealed_test {

// True when something accepts TCP connections on 127.0.0.1:port.
inline bool accepts_connections(unsigned short port) { return tcp_accepts(port); }

class chat_cluster {
public:
    static bool available(std::string* why) {
        for (const char* tool : {"redis-server", "haproxy"}) {
            if (find_executable(tool).empty() && access((std::string("/usr/sbin/") + tool).c_str(), X_OK) != 0) {
                *why = std::string(tool) + " is not installed";
                return false;
            }
        }
        return true;
    }

    // `chat_binary`: the stream_chat executable. Without `balancer`, clients go to node_url(i).
    chat_cluster(std::string chat_binary, int nodes, bool balancer = true) : binary_(std::move(chat_binary)) {
        if (!redis_.running()) return;
        for (int i = 0; i < nodes; ++i) {
            nodes_.push_back(std::make_unique<server_process>(std::vector<std::string>{
                binary_, "--listen", "127.0.0.1:0", "--log-level", "warn", "--redis", redis_.url(), "--server-id",
                "node-" + std::to_string(i + 1)}));
            if (nodes_.back()->port == 0) return;
        }
        if (balancer)
            start_haproxy();
        else
            nodes_ready_ = true;
    }

    bool ready() const { return nodes_ready_ || haproxy_port_ != 0; }
    unsigned short port() const noexcept { return haproxy_port_; }  // HAProxy's
    std::string url() const { return "ws://127.0.0.1:" + std::to_string(haproxy_port_) + "/stream"; }
    std::size_t size() const noexcept { return nodes_.size(); }
    unsigned short node_port(std::size_t i) const { return nodes_[i]->port; }
    std::string node_url(std::size_t i) const { return "ws://127.0.0.1:" + std::to_string(node_port(i)) + "/stream"; }
    redis_server& redis() noexcept { return redis_; }
    // SIGKILL: the node dies without closing anything, as a crashed machine would.
    void kill_node(std::size_t i) {
        nodes_[i]->process.signal(SIGKILL);
        nodes_[i]->process.wait(5000);
    }

    // HAProxy stops (SIGTERM: every connection through it drops) and starts again on the same
    // port with the same config. True once it accepts connections again.
    bool restart_haproxy() {
        const auto port = haproxy_port_;
        haproxy_->signal(SIGTERM);
        haproxy_->wait(5000);
        haproxy_.reset();
        haproxy_port_ = 0;
        start_haproxy(port);
        return haproxy_port_ == port;
    }

private:
    void start_haproxy(unsigned short port = 0) {
        std::filesystem::create_directories(dir_.path);
        const auto config = dir_.path / "haproxy.cfg";
        if (port == 0) port = free_loopback_port();
        std::ofstream out(config);
        out << "global\n  maxconn 512\n"
            << "defaults\n  mode http\n  timeout connect 1s\n  timeout client 60s\n  timeout server 60s\n"
            << "  timeout tunnel 60s\n  timeout check 1s\n  retries 2\n  option redispatch\n"
            << "frontend chat\n  bind 127.0.0.1:" << port << "\n  default_backend nodes\n"
            << "backend nodes\n  balance roundrobin\n  cookie SEALEDNODE insert indirect nocache\n"
            << "  option httpchk GET /\n";
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            out << "  server n" << i + 1 << " 127.0.0.1:" << nodes_[i]->port << " check inter 200ms fall 2 rise 1"
                << " cookie n" << i + 1 << "\n";
        out.close();
        std::string haproxy = find_executable("haproxy");
        if (haproxy.empty()) haproxy = "/usr/sbin/haproxy";
        haproxy_.emplace(std::vector<std::string>{haproxy, "-f", config.string(), "-db"});
        for (int waited = 0; waited < 5000; waited += 20) {
            if (accepts_connections(port)) {
                haproxy_port_ = port;
                break;
            }
            usleep(20000);
        }
        usleep(500000);  // a few health checks: every node is up in HAProxy's eyes
    }

    std::string binary_;
    redis_server redis_;
    std::vector<std::unique_ptr<server_process>> nodes_;
    temp_dir dir_{"sealed-cluster-"};
    std::optional<child_process> haproxy_;
    unsigned short haproxy_port_ = 0;
    bool nodes_ready_ = false;
};

}  // namespace sealed_test
