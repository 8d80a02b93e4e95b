// One Prometheus metric in text exposition format 0.0.4 (HELP, TYPE, the sample): shared by the
// runtime's, the Redis client's and the bus's /metrics text.
#pragma once

#include <cstdint>
#include <ostream>
#include <string_view>

namespace sealed::detail {

inline void write_metric(std::ostream& out, std::string_view name, std::string_view type, std::string_view help,
                         std::uint64_t value) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
        << name << ' ' << value << '\n';
}

}  // namespace sealed::detail
