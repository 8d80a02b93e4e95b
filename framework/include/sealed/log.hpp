// Logging is injected: components ask for a named logger; spdlog is the default sink.
// Never log plaintext, keys or peer-supplied payloads.
#pragma once

#include <spdlog/logger.h>

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

}  // namespace sealed::log
