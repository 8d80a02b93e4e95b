// Logging is injected: components ask for a named logger; spdlog is the default sink.
// Never log plaintext, keys or peer-supplied payloads.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace sealed::log {

// The logger for a component ("server", "ecdh_gcm", ...), created on first use with the
// process-wide sink and level. Apps may replace the sink with set_sink().
std::shared_ptr<spdlog::logger> get(const std::string& component);
void set_level(spdlog::level::level_enum level);
// Parses trace|debug|info|warn|error|critical|off; false when unknown.
bool set_level(const std::string& level);
void set_sink(spdlog::sink_ptr sink);

// At most one line per period for an event a peer can cause at will (a refused request, a
// failed accept): the lines held back are counted into the next one. Thread-safe.
class throttle {
public:
    explicit throttle(std::chrono::steady_clock::duration period) : period_(period.count()) {}
    // true: log now, with `held` lines held back since the last one; false: this one is held.
    bool allow(std::uint64_t& held) noexcept {
        const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        auto next = next_.load(std::memory_order_relaxed);
        if (now < next || !next_.compare_exchange_strong(next, now + period_, std::memory_order_relaxed)) {
            held_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        held = held_.exchange(0, std::memory_order_relaxed);
        return true;
    }

private:
    std::chrono::steady_clock::rep period_;
    std::atomic<std::chrono::steady_clock::rep> next_{0};
    std::atomic<std::uint64_t> held_{0};
};

}  // namespace sealed::log
