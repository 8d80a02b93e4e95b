// JSON that sealed relays must stay JSON. Boost.JSON reads a number past the range of a double
// (1e400, a 400-digit integer) as ±infinity, and writes that back as `Infinity` or `NaN`, which
// no JSON parser accepts: one sender could make every receiver of a relayed frame fail. Parsers
// of frames that are relayed refuse such a frame with their own "malformed" error instead.
#pragma once

#include <boost/json/value.hpp>

namespace sealed {

// false if any number in `v` (at any depth) is infinite or NaN.
bool all_numbers_finite(const boost::json::value& v) noexcept;

}  // namespace sealed
