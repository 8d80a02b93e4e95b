// Unsigned LEB128 varints, as every libp2p length prefix and multiaddr code is written.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/error.hpp>

#include <cstdint>
#include <optional>

namespace sealed::libp2p {

inline void append_uvarint(std::uint64_t v, bytes& out) {
    for (; v >= 0x80; v >>= 7) out.push_back(static_cast<byte>((v & 0x7f) | 0x80));
    out.push_back(static_cast<byte>(v));
}

// The varint at `at` in `in`, moving `at` past it; nullopt while it is incomplete;
// errc::protocol_violation past `max_bytes` bytes (9 covers 63 bits; length prefixes use fewer).
inline result<std::optional<std::uint64_t>> read_uvarint(const_bytes in, std::size_t& at, std::size_t max_bytes = 9) {
    std::uint64_t value = 0;
    for (std::size_t i = 0;; ++i) {
        if (i == max_bytes) return make_error_code(errc::protocol_violation);
        if (at + i == in.size()) return std::optional<std::uint64_t>{};
        const byte b = in[at + i];
        value |= std::uint64_t(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            at += i + 1;
            return std::optional<std::uint64_t>(value);
        }
    }
}

}  // namespace sealed::libp2p
