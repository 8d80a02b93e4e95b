// Helpers shared by the crypto tests: hex literals and provider-parameterised suites.
#pragma once

#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/provider.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace sealed_test {

// Test vectors are written in hex; a typo is a test bug, so it fails loudly.
inline sealed::bytes unhex(std::string_view h) {
    auto r = sealed::crypto::hex_decode(h);
    if (!r) throw std::invalid_argument("bad hex in test vector");
    return *r;
}

inline std::string hex(sealed::const_bytes b) { return sealed::crypto::hex_encode(b); }

inline std::string provider_name(const testing::TestParamInfo<sealed::crypto::provider>& info) {
    return std::string(sealed::crypto::to_string(info.param));
}

// Bytes first..last inclusive (the RFC vectors' keys and nonces are such ranges).
inline sealed::bytes range_bytes(int first, int last) {
    sealed::bytes b;
    for (int i = first; i <= last; ++i) b.push_back(static_cast<sealed::byte>(i));
    return b;
}

inline auto all_providers() {
    const auto ps = sealed::crypto::compiled_providers();
    return testing::ValuesIn(ps.begin(), ps.end());
}

}  // namespace sealed_test

// Skips the current test when the provider under test lacks the primitive.
#define SEALED_REQUIRE_PRIMITIVE(p, what)                                                     \
    do {                                                                                      \
        if (!sealed::crypto::provides((p), (what)))                                           \
            GTEST_SKIP() << sealed::crypto::to_string(p) << " does not provide "              \
                         << sealed::crypto::to_string(what);                                  \
    } while (false)
