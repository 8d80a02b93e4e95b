// The CSPRNG (the operating system's, through the default provider). Failure is fatal: there is
// no safe way to continue without randomness, so it terminates rather than returning.
#pragma once

#include <sealed/bytes.hpp>

#include <array>
#include <string>

namespace sealed::crypto {

void random_bytes(mutable_bytes out);

template <std::size_t N>
std::array<byte, N> random_array() {
    std::array<byte, N> a;
    random_bytes(a);
    return a;
}

// A random (version 4, RFC 4122 variant) UUID in its 36-character text form, as
// crypto.randomUUID() makes: IGNIS's client and server ids.
std::string random_uuid();

}  // namespace sealed::crypto
