// Whether a JSON text repeats a key within one object. Boost.JSON keeps one of the duplicates
// silently, and a JavaScript peer's JSON.parse keeps the last: two parsers reading different
// fields from one envelope is the kind of differential an attacker looks for, so we refuse it.
#pragma once

#include <string_view>

namespace sealed::envelope::detail {

// False for text that is not JSON too; the caller's own parse reports that.
bool has_duplicate_keys(std::string_view json);

}  // namespace sealed::envelope::detail
