#include <sealed/log.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <unordered_map>

namespace sealed::log {
namespace {

struct registry {
    std::mutex mutex;
    spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    spdlog::level::level_enum level = spdlog::level::info;
    std::unordered_map<std::string, std::shared_ptr<spdlog::logger>> loggers;
};

registry& instance() {
    static registry r;
    return r;
}

}  // namespace

std::shared_ptr<spdlog::logger> get(const std::string& component) {
    auto& r = instance();
    std::lock_guard lock(r.mutex);
    auto& slot = r.loggers[component];
    if (!slot) {
        slot = std::make_shared<spdlog::logger>(component, r.sink);
        slot->set_level(r.level);
        slot->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
    }
    return slot;
}

void set_level(spdlog::level::level_enum level) {
    auto& r = instance();
    std::lock_guard lock(r.mutex);
    r.level = level;
    for (auto& [name, logger] : r.loggers) logger->set_level(level);
}

bool set_level(const std::string& level) {
    auto parsed = spdlog::level::from_str(level);
    if (parsed == spdlog::level::off && level != "off") return false;
    set_level(parsed);
    return true;
}

void set_sink(spdlog::sink_ptr sink) {
    auto& r = instance();
    std::lock_guard lock(r.mutex);
    r.sink = std::move(sink);
    for (auto& [name, logger] : r.loggers) {
        logger->sinks().clear();
        logger->sinks().push_back(r.sink);
    }
}

}  // namespace sealed::log
