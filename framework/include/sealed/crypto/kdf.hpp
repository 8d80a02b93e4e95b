// HKDF-SHA-256 (RFC 5869).
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/crypto/provider.hpp>
#include <sealed/error.hpp>

namespace sealed::crypto {

// Fills `out` (1 .. 255*32 bytes, else errc::invalid_argument). An empty salt means
// HashLen zero bytes, as RFC 5869 says.
error_code hkdf_sha256(const_bytes ikm, const_bytes salt, const_bytes info, mutable_bytes out,
                       provider p = default_provider(primitive::hkdf_sha256));

}  // namespace sealed::crypto
