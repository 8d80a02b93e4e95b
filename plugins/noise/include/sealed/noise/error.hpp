// The noise scheme's own errors, mapped onto the shared sealed conditions (error_table.hpp's
// rule). Failures inside the Noise state machine itself are sealed::errc codes.
#pragma once

#include <sealed/error.hpp>

namespace sealed::noise {

enum class error {
    bad_frame = 1,         // a wire message that is not whole `u16 length ‖ Noise message` frames
    peer_not_allowed,      // the peer's static key is not on the allowlist
    unexpected_peer,       // the server's static key is not the one the client pinned
    bad_static_key_file,   // a static key file that is not 64 hex characters
    bad_allowlist_line,    // an allowlist line that is not a 64-hex-character public key
    no_static_key,         // options without a static key, for a pattern that sends one
};

const boost::system::error_category& error_category() noexcept;
inline error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace sealed::noise

template <>
struct boost::system::is_error_code_enum<sealed::noise::error> : std::true_type {};
