// Redis Sentinel on loopback for failover tests (issue 29): one primary, one replica and three
// sentinels (quorum 2) watching them with a one-second down-after, so a killed primary is
// replaced within a few seconds. Skips are the caller's: ready() is false without redis-server.
#pragma once

#include "redis_server.hpp"
#include "temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace sealed_test {

// Everything 127.0.0.1:port answers to an inline command, until it is silent for 150 ms (2 s
// at most). Blocking: for setup and waiting, not for what a test asserts about sealed.
inline std::string raw_redis_text(unsigned short port, const std::string& command) {
    const int fd = send_loopback(port, command);
    if (fd < 0) return {};
    std::string text;
    char buffer[4096];
    for (int rounds = 0; rounds < 14; ++rounds) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 150) <= 0) break;
        const auto n = read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    close(fd);
    return text;
}

// Polls `ready` every 50 ms for up to `limit_ms`.
template <class Predicate>
bool wait_until(const Predicate& ready, int limit_ms) {
    for (int waited = 0; waited < limit_ms; waited += 50) {
        if (ready()) return true;
        usleep(50000);
    }
    return ready();
}

class sentinel_setup {
public:
    static constexpr const char* primary_name = "sealed-primary";

    sentinel_setup() {
        if (redis_server::executable().empty()) return;
        std::filesystem::create_directories(dir_.path);
        primary_ = std::make_unique<redis_server>();
        if (!primary_->running()) return;
        redis_server::options replica;
        replica.extra = {"--replicaof", "127.0.0.1", std::to_string(primary_->port())};
        replica_ = std::make_unique<redis_server>(replica);
        if (!replica_->running()) return;
        const auto synced = [&] {
            return raw_redis_text(replica_->port(), "INFO replication\r\n").find("master_link_status:up") !=
                   std::string::npos;
        };
        if (!wait_until(synced, 10000)) return;
        for (int i = 0; i < 3; ++i)
            if (!start_sentinel(i)) return;
        // Every sentinel knows the replica and the two others: a failover can be voted.
        const auto acquainted = [&] {
            for (auto port : sentinel_ports_) {
                const auto info = raw_redis_text(port, std::string("SENTINEL master ") + primary_name + "\r\n");
                if (info.find("num-other-sentinels\r\n$1\r\n2\r\n") == std::string::npos ||
                    info.find("num-slaves\r\n$1\r\n1\r\n") == std::string::npos)
                    return false;
            }
            return true;
        };
        ready_ = wait_until(acquainted, 20000);
    }

    bool ready() const noexcept { return ready_; }
    // redis+sentinel://127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3/sealed-primary
    std::string url() const {
        std::string u = "redis+sentinel://";
        for (std::size_t i = 0; i < sentinel_ports_.size(); ++i)
            u += (i == 0 ? "" : ",") + std::string("127.0.0.1:") + std::to_string(sentinel_ports_[i]);
        return u + "/" + primary_name;
    }
    unsigned short primary_port() const { return primary_->port(); }
    unsigned short replica_port() const { return replica_->port(); }
    void kill_primary() { primary_->kill(); }

    // The port the first sentinel names as the primary now (0: it does not answer).
    unsigned short named_primary() const {
        const auto text = raw_redis_text(sentinel_ports_.front(),
                                         std::string("SENTINEL get-master-addr-by-name ") + primary_name + "\r\n");
        // *2 $9 127.0.0.1 $<n> <port>
        const auto last = text.rfind("\r\n", text.size() - 3);
        if (text.size() < 4 || last == std::string::npos) return 0;
        return static_cast<unsigned short>(std::atoi(text.c_str() + last + 2));
    }

private:
    bool start_sentinel(int i) {
        const auto port = free_loopback_port();
        const auto conf = dir_.path / ("sentinel-" + std::to_string(i) + ".conf");
        std::ofstream(conf) << "port " << port << "\nbind 127.0.0.1\ndaemonize no\nloglevel warning\n"
                            << "dir " << dir_.path.string() << "\n"
                            << "sentinel monitor " << primary_name << " 127.0.0.1 " << primary_->port() << " 2\n"
                            << "sentinel down-after-milliseconds " << primary_name << " 1000\n"
                            << "sentinel failover-timeout " << primary_name << " 4000\n"
                            << "sentinel parallel-syncs " << primary_name << " 1\n";
        sentinels_.push_back(std::make_unique<child_process>(
            std::vector<std::string>{redis_server::executable(), conf.string(), "--sentinel"}));
        const auto answers = [&] { return raw_redis_line(port, "PING\r\n") == "+PONG"; };
        if (!wait_until(answers, 5000)) return false;
        sentinel_ports_.push_back(port);
        return true;
    }

    temp_dir dir_{"sealed-sentinel-"};
    std::unique_ptr<redis_server> primary_, replica_;
    std::vector<std::unique_ptr<child_process>> sentinels_;
    std::vector<unsigned short> sentinel_ports_;
    bool ready_ = false;
};

}  // namespace sealed_test
