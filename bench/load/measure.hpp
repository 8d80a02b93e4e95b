// What sealed_loadgen's drivers share: the command line's settings, the counters a run fills,
// and the server's CPU and memory read from /proc.
#pragma once

#include <sealed/error.hpp>
#include <sealed/pnet/psk.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace loadgen {

using clock_type = std::chrono::steady_clock;

struct settings {
    std::string scheme = "ecdh_gcm", url, mode = "echo", master_secret_file;
    sealed::pnet::psk pnet_key;  // from master_secret_file and the URL's DID, checked in main
    std::size_t connections = 1, size = 1024;
    double duration = 5;
    int server_pid = 0;
};

struct totals {
    std::uint64_t handshakes = 0, messages = 0, errors = 0;
    std::vector<std::uint32_t> latency_us;
    std::string first_error;
    void error(const sealed::error_code& ec) { error(ec.message()); }
    void error(const std::string& what) {
        if (errors++ == 0) first_error = what;
    }
    void record(clock_type::time_point since) {
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - since).count();
        latency_us.push_back(static_cast<std::uint32_t>(us));
    }
};

// The server's CPU seconds and memory, from /proc (0 without --server-pid).
struct server_usage {
    double cpu_s = 0;
    long rss_kb = 0, peak_rss_kb = 0;
};

inline server_usage read_usage(int pid) {
    server_usage u;
    if (pid <= 0) return u;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    if (auto close = text.rfind(')'); close != std::string::npos) {
        std::istringstream rest(text.substr(close + 2));
        std::string field;
        unsigned long utime = 0, stime = 0;
        for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15: utime, stime
            if (i == 14) utime = std::stoul(field);
            if (i == 15) stime = std::stoul(field);
        }
        u.cpu_s = double(utime + stime) / double(sysconf(_SC_CLK_TCK));
    }
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) u.rss_kb = std::stol(line.substr(6));
        if (line.rfind("VmHWM:", 0) == 0) u.peak_rss_kb = std::stol(line.substr(6));
    }
    return u;
}

inline std::uint32_t percentile(std::vector<std::uint32_t>& v, double p) {
    if (v.empty()) return 0;
    const auto at = static_cast<std::size_t>(p * double(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(at), v.end());
    return v[at];
}

}  // namespace loadgen
