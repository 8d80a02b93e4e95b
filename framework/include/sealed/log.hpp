// Logging is injected: a component takes a `logger` value (a name and a sink shared by its
// copies); spdlog is the default sink. Never log plaintext, keys or peer-supplied payloads.
#pragma once

#include <spdlog/common.h>
#include <spdlog/fmt/fmt.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace sealed {

enum class log_level : std::uint8_t { trace, debug, info, warn, error, critical, off };

// Where lines go. enabled() is asked before a line is formatted, so a quiet level costs no
// formatting; write() may be called from any thread.
class log_sink {
public:
    virtual ~log_sink() = default;
    virtual bool enabled(log_level level) const noexcept = 0;
    virtual void write(log_level level, std::string_view component, std::string_view message) = 0;
};

// The process-wide default: spdlog, with the level and sink that log::set_level/set_sink choose
// (also for loggers made before they were called).
std::shared_ptr<log_sink> default_log_sink();

class logger {
public:
    using write_fn = std::function<void(log_level, std::string_view component, std::string_view message)>;

    // `component` on the default sink.
    explicit logger(std::string component = "sealed")
        : component_(std::move(component)), sink_(default_log_sink()) {}
    logger(std::string component, std::shared_ptr<log_sink> sink)
        : component_(std::move(component)), sink_(std::move(sink)) {}
    // Lines at `min` and above go to `fn`.
    logger(std::string component, log_level min, write_fn fn);

    // The same sink under another component name.
    logger named(std::string component) const { return logger(std::move(component), sink_); }
    const std::string& component() const noexcept { return component_; }
    bool enabled(log_level level) const noexcept { return sink_->enabled(level); }

    template <class... Args>
    void log(log_level level, fmt::format_string<Args...> format, Args&&... args) const {
        if (!enabled(level)) return;
        fmt::memory_buffer line;
        fmt::format_to(std::back_inserter(line), format, std::forward<Args>(args)...);
        sink_->write(level, component_, std::string_view(line.data(), line.size()));
    }
    template <class... Args>
    void trace(fmt::format_string<Args...> format, Args&&... args) const {
        log(log_level::trace, format, std::forward<Args>(args)...);
    }
    template <class... Args>
    void debug(fmt::format_string<Args...> format, Args&&... args) const {
        log(log_level::debug, format, std::forward<Args>(args)...);
    }
    template <class... Args>
    void info(fmt::format_string<Args...> format, Args&&... args) const {
        log(log_level::info, format, std::forward<Args>(args)...);
    }
    template <class... Args>
    void warn(fmt::format_string<Args...> format, Args&&... args) const {
        log(log_level::warn, format, std::forward<Args>(args)...);
    }
    template <class... Args>
    void error(fmt::format_string<Args...> format, Args&&... args) const {
        log(log_level::error, format, std::forward<Args>(args)...);
    }
    template <class... Args>
    void critical(fmt::format_string<Args...> format, Args&&... args) const {
        log(log_level::critical, format, std::forward<Args>(args)...);
    }

private:
    std::string component_;
    std::shared_ptr<log_sink> sink_;
};

namespace log {

// A logger for `component` on the default sink.
inline logger get(std::string component) { return logger(std::move(component)); }
// The default sink's level and spdlog sink.
void set_level(log_level level);
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

}  // namespace log
}  // namespace sealed
