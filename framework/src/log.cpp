#include <sealed/log.hpp>

#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

namespace sealed {
namespace {

spdlog::level::level_enum to_spdlog(log_level level) noexcept {
    return static_cast<spdlog::level::level_enum>(static_cast<int>(level));
}
static_assert(static_cast<int>(log_level::off) == spdlog::level::off && static_cast<int>(log_level::warn) == spdlog::level::warn);

// One spdlog logger for the process; the component goes into the line, as spdlog's logger name
// did before loggers were values.
class spdlog_sink final : public log_sink {
public:
    spdlog_sink() : logger_("sealed", std::make_shared<spdlog::sinks::stderr_color_sink_mt>()) {
        logger_.set_level(spdlog::level::info);
        logger_.set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
    }
    bool enabled(log_level level) const noexcept override { return logger_.should_log(to_spdlog(level)); }
    void write(log_level level, std::string_view component, std::string_view message) override {
        logger_.log(to_spdlog(level), "[{}] {}", component, message);
    }
    void set_level(spdlog::level::level_enum level) { logger_.set_level(level); }
    void set_sink(spdlog::sink_ptr sink) {
        std::lock_guard lock(mutex_);
        logger_.sinks().clear();
        logger_.sinks().push_back(std::move(sink));
    }

private:
    std::mutex mutex_;
    spdlog::logger logger_;
};

std::shared_ptr<spdlog_sink> spdlog_default() {
    static const auto sink = std::make_shared<spdlog_sink>();
    return sink;
}

// A function as a sink, with a fixed minimum level.
class function_sink final : public log_sink {
public:
    function_sink(log_level min, logger::write_fn fn) : min_(min), fn_(std::move(fn)) {}
    bool enabled(log_level level) const noexcept override { return level >= min_ && level != log_level::off; }
    void write(log_level level, std::string_view component, std::string_view message) override {
        fn_(level, component, message);
    }

private:
    log_level min_;
    logger::write_fn fn_;
};

}  // namespace

std::shared_ptr<log_sink> default_log_sink() { return spdlog_default(); }

logger::logger(std::string component, log_level min, write_fn fn)
    : component_(std::move(component)), sink_(std::make_shared<function_sink>(min, std::move(fn))) {}

namespace log {

void set_level(log_level level) { spdlog_default()->set_level(to_spdlog(level)); }
void set_level(spdlog::level::level_enum level) { spdlog_default()->set_level(level); }

bool set_level(const std::string& level) {
    auto parsed = spdlog::level::from_str(level);
    if (parsed == spdlog::level::off && level != "off") return false;
    set_level(parsed);
    return true;
}

void set_sink(spdlog::sink_ptr sink) { spdlog_default()->set_sink(std::move(sink)); }

}  // namespace log
}  // namespace sealed
