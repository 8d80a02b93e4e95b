// Whether this test binary (and so the binaries it starts, built the same way) runs under ASan
// or TSan: a few tests measure what a sanitizer changes, resident memory or descriptors.
#pragma once

namespace sealed_test {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool built_with_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool built_with_sanitizer = true;
#else
inline constexpr bool built_with_sanitizer = false;
#endif
#else
inline constexpr bool built_with_sanitizer = false;
#endif

}  // namespace sealed_test
