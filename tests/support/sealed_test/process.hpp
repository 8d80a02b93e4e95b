// Starts a program (an example server) for a test, reads its first stdout line, signals it and
// collects its exit status. The child is killed if the test forgets it.
#pragma once

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace sealed_test {

class child_process {
public:
    // With `with_stdin`, the child's stdin is a pipe that write_line() feeds.
    explicit child_process(std::vector<std::string> argv, bool with_stdin = false) {
        int fds[2];
        if (pipe(fds) != 0) return;
        int in[2] = {-1, -1};
        if (with_stdin && pipe(in) != 0) return;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, fds[0]);
        if (with_stdin) {
            posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
            posix_spawn_file_actions_addclose(&actions, in[1]);
        }
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&actions);
        close(fds[1]);
        out_ = fds[0];
        if (with_stdin) {
            close(in[0]);
            in_ = in[1];
        }
    }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    ~child_process() {
        if (pid_ > 0 && !status_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        if (out_ >= 0) close(out_);
        if (in_ >= 0) close(in_);
    }

    bool started() const noexcept { return pid_ > 0; }
    pid_t pid() const noexcept { return pid_; }

    // The next line of stdout, waiting at most timeout_ms; nullopt on timeout or EOF.
    std::optional<std::string> read_line(int timeout_ms = 10000) {
        std::string line;
        for (;;) {
            pollfd p{out_, POLLIN, 0};
            if (poll(&p, 1, timeout_ms) <= 0) return std::nullopt;
            char c;
            if (read(out_, &c, 1) != 1) return std::nullopt;
            if (c == '\n') return line;
            line.push_back(c);
        }
    }

    // Writes `line` and a newline to the child's stdin (with_stdin); false when it cannot.
    bool write_line(const std::string& line) {
        const std::string text = line + "\n";
        return in_ >= 0 && ::write(in_, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    }

    void signal(int sig) { if (pid_ > 0) kill(pid_, sig); }

    // Waits for exit (at most timeout_ms); the exit code, or nullopt if it did not exit normally.
    std::optional<int> wait(int timeout_ms = 10000) {
        if (status_) return WIFEXITED(*status_) ? std::optional<int>(WEXITSTATUS(*status_)) : std::nullopt;  // reaped
        for (int waited = 0; waited <= timeout_ms; waited += 10) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                status_ = status;
                if (WIFEXITED(status)) return WEXITSTATUS(status);
                return std::nullopt;
            }
            usleep(10000);
        }
        return std::nullopt;
    }

private:
    pid_t pid_ = -1;
    int out_ = -1;
    int in_ = -1;
    std::optional<int> status_;
};

// "listening on 127.0.0.1:41234" → 41234 (0 when the line is not that).
inline unsigned short port_from_listening_line(const std::string& line) {
    auto colon = line.rfind(':');
    if (line.rfind("listening on ", 0) != 0 || colon == std::string::npos) return 0;
    return static_cast<unsigned short>(std::stoi(line.substr(colon + 1)));
}

// A server process that announces "listening on HOST:PORT"; stopped with SIGTERM.
struct server_process {
    child_process process;
    unsigned short port = 0;

    explicit server_process(std::vector<std::string> argv) : process(std::move(argv)) {
        if (auto line = process.read_line(20000)) port = port_from_listening_line(*line);
    }
    ~server_process() {
        process.signal(SIGTERM);
        process.wait();
    }
};

// What a program run to the end printed, and its exit code (nullopt: killed at the limit).
struct script_result {
    std::vector<std::string> lines;
    std::optional<int> exit_code;
    std::string output() const {
        std::string all;
        for (const auto& l : lines) all += l + "\n";
        return all;
    }
};

inline script_result run_to_end(std::vector<std::string> argv, int limit_ms) {
    child_process program(std::move(argv));
    script_result r;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        auto line = program.read_line(static_cast<int>(std::max<long>(1, left.count())));
        if (!line) break;  // EOF (the program ended) or the deadline
        r.lines.push_back(*line);
    }
    r.exit_code = program.wait(2000);
    return r;
}

}  // namespace sealed_test
