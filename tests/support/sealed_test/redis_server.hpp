// A throwaway redis-server for a test: loopback only, no persistence, on a free port; it can be
// stopped and restarted on the same port (to test reconnects) and is killed with the fixture.
// Tests skip (GTEST_SKIP in redis_fixture::SetUp) when redis-server is not installed.
#pragma once

#include "process.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace sealed_test {

// The full path of `name` on $PATH, empty when there is none.
inline std::string find_executable(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return {};
}

// A port nothing listens on right now (bound to 127.0.0.1:0 and released).
inline unsigned short free_loopback_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    unsigned short port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

// A blocking TCP socket connected to 127.0.0.1:port, or -1.
inline int connect_loopback(unsigned short port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
    close(fd);
    return -1;
}

// Connects and sends `command`: the socket, or -1.
inline int send_loopback(unsigned short port, const std::string& command) {
    const int fd = connect_loopback(port);
    if (fd < 0 || ::write(fd, command.data(), command.size()) == static_cast<ssize_t>(command.size())) return fd;
    close(fd);
    return -1;
}

// Sends an inline command ("PING\r\n") to 127.0.0.1:port and returns the first reply line, or
// an empty string when nothing answers within timeout_ms. Blocking: for setup, not for tests.
inline std::string raw_redis_line(unsigned short port, const std::string& command, int timeout_ms = 500) {
    const int fd = send_loopback(port, command);
    if (fd < 0) return {};
    std::string line;
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        char c;
        if (poll(&p, 1, timeout_ms) <= 0 || read(fd, &c, 1) != 1 || c == '\n') break;
        if (c != '\r') line.push_back(c);
    }
    close(fd);
    return line;
}

inline bool tcp_accepts(unsigned short port) {
    const int fd = connect_loopback(port);
    if (fd >= 0) close(fd);
    return fd >= 0;
}

class redis_server {
public:
    struct options {
        std::string password;            // --requirepass
        bool tls = false;                // port() is --tls-port (plain port off); `extra` names the files
        std::vector<std::string> extra;  // more arguments: TLS files, --user ACL lines, --replicaof ...
        std::vector<std::string> leading;  // before every option (a config file, --sentinel's)
    };

    static const std::string& executable() {
        static const std::string path = find_executable("redis-server");
        return path;
    }

    redis_server() : redis_server(options{}) {}
    explicit redis_server(options opts) : opts_(std::move(opts)) {
        if (executable().empty()) return;
        // Another process may take the free port between the probe and the bind: try again.
        for (int attempt = 0; attempt < 5 && !running(); ++attempt) {
            port_ = free_loopback_port();
            start();
        }
    }
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;
    ~redis_server() { process_.reset(); }  // SIGKILL if still running

    unsigned short port() const noexcept { return port_; }
    bool running() const noexcept { return running_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

    // Starts on port() and waits until it answers PING (NOAUTH counts: it is up).
    bool start() {
        process_.reset();
        std::vector<std::string> argv{executable()};
        argv.insert(argv.end(), opts_.leading.begin(), opts_.leading.end());
        for (const char* arg : {"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning",
                                "--daemonize", "no"})
            argv.push_back(arg);
        for (const auto& arg : opts_.tls ? std::vector<std::string>{"--port", "0", "--tls-port", std::to_string(port_)}
                                         : std::vector<std::string>{"--port", std::to_string(port_)})
            argv.push_back(arg);
        if (!opts_.password.empty()) {
            argv.push_back("--requirepass");
            argv.push_back(opts_.password);
        }
        argv.insert(argv.end(), opts_.extra.begin(), opts_.extra.end());
        process_.emplace(std::move(argv));
        running_ = false;
        if (!process_->started()) return false;
        for (int waited = 0; waited < 5000; waited += 20) {
            // A TLS port cannot be PINGed in clear: accepting TCP is the sign it is up.
            const auto answer = opts_.tls ? std::string(tcp_accepts(port_) ? "+PONG" : "") : raw_redis_line(port_, "PING\r\n");
            if (answer == "+PONG" || answer.rfind("-NOAUTH", 0) == 0) return running_ = true;
            if (process_->wait(0)) break;  // exited (port taken, bad option)
            usleep(20000);
        }
        process_.reset();
        return false;
    }

    // SIGKILL: gone without a word, as a crashed machine.
    void kill() {
        if (!process_) return;
        process_->signal(SIGKILL);
        process_->wait(5000);
        process_.reset();
        running_ = false;
    }

    // SIGTERM and wait for the exit (SIGKILL after 5 s).
    void stop() {
        if (!process_) return;
        process_->signal(SIGTERM);
        process_->wait(5000);
        process_.reset();
        running_ = false;
    }

    bool restart() {
        stop();
        return start();
    }

private:
    options opts_;
    unsigned short port_ = 0;
    bool running_ = false;
    std::optional<child_process> process_;
};

// A test with a fresh redis-server of its own; skipped when redis-server is not installed.
class redis_fixture : public ::testing::Test {
protected:
    void SetUp() override {
        if (redis_server::executable().empty()) GTEST_SKIP() << "redis-server is not installed (apt install redis-server)";
        server.emplace();
        ASSERT_TRUE(server->running()) << "redis-server did not start";
    }
    std::optional<redis_server> server;
};

}  // namespace sealed_test
