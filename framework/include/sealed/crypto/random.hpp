// The CSPRNG (the operating system's, through the default provider). Failure is fatal: there is
// no safe way to continue without randomness, so it terminates rather than returning.
#pragma once

#include <sealed/bytes.hpp>

#include <array>

namespace sealed::crypto {

void random_bytes(mutable_bytes out);

template <std::size_t N>
std::array<byte, N> random_array() {
    std::array<byte, N> a;
    random_bytes(a);
    return a;
}

}  // namespace sealed::crypto
