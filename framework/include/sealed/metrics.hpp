// Counters every server keeps, rendered in Prometheus text format at /metrics.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace sealed {

class runtime_stats {
public:
    using counter = std::atomic<std::uint64_t>;

    counter connections_open{0}, connections_total{0};
    counter refused_max_connections{0}, refused_origin{0}, refused_admission{0}, refused_per_ip{0};
    counter refused_handshake_rate{0}, refused_proxy_protocol{0};
    counter handshakes_ok{0};
    counter messages_in{0}, messages_out{0}, bytes_in{0}, bytes_out{0};
    counter dropped_rate_limited{0}, dropped_duplicate{0}, closed_oversize{0}, closed_send_queue_full{0};
    counter dropped_send_queue{0};  // oldest queued messages dropped (send_queue_overflow::drop_oldest)
    counter closed_idle{0}, closed_liveness{0}, dropped_invalid{0}, dropped_failed_open{0};
    counter send_queue_bytes{0};  // a gauge: bytes queued to be written, all connections
    counter accept_failures{0};   // accept() errors (EMFILE: out of descriptors)
    counter evicted{0};           // connections closed to make room for a newcomer (config.hpp)

    void handshake_failed(const std::string& reason) {
        std::lock_guard lock(mutex_);
        ++handshake_failures_[reason];
    }
    void observe_handshake(std::chrono::steady_clock::duration d) {
        const double seconds = std::chrono::duration<double>(d).count();
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < latency_bounds.size(); ++i)
            if (seconds <= latency_bounds[i]) ++latency_buckets_[i];
        ++latency_count_;
        latency_sum_ += seconds;
    }

    // Prometheus exposition format (text, version 0.0.4), metric names prefixed `prefix`.
    std::string render(const std::string& prefix = "sealed") const;

    static constexpr std::array<double, 10> latency_bounds{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                           0.025, 0.05, 0.1, 0.5, 1.0};

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::uint64_t> handshake_failures_;
    std::array<std::uint64_t, latency_bounds.size()> latency_buckets_{};
    std::uint64_t latency_count_ = 0;
    double latency_sum_ = 0;
};

}  // namespace sealed
