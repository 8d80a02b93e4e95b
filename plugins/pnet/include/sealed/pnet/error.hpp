// PSK-pnet's own errors, mapped onto the shared sealed conditions.
#pragma once

#include <sealed/error.hpp>

namespace sealed::pnet {

enum class error {
    bad_psk_header = 1,     // a PSK file that does not start with /key/swarm/psk/1.0.0/
    unknown_psk_encoding,   // an encoding line other than /base16/, /base64/ or /bin/
    bad_psk_characters,     // key text that is not valid in its encoding
    bad_psk_length,         // a key that does not decode to 32 bytes
    bad_master_secret,      // a master secret file that is not hex of at least 32 bytes
    invalid_did,            // a path segment that is not a W3C DID
};

const boost::system::error_category& error_category() noexcept;
inline error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace sealed::pnet

template <>
struct boost::system::is_error_code_enum<sealed::pnet::error> : std::true_type {};
