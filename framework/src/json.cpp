#include <sealed/json.hpp>

#include <cmath>

namespace sealed {

// Recursion is bounded by the parser's max_depth (parse_options, 32 by default).
bool all_numbers_finite(const boost::json::value& v) noexcept {
    switch (v.kind()) {
    case boost::json::kind::double_: return std::isfinite(v.get_double());
    case boost::json::kind::array:
        for (const auto& item : v.get_array())
            if (!all_numbers_finite(item)) return false;
        return true;
    case boost::json::kind::object:
        for (const auto& field : v.get_object())
            if (!all_numbers_finite(field.value())) return false;
        return true;
    default: return true;
    }
}

}  // namespace sealed
