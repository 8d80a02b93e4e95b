// SHA-256, HMAC-SHA-256 (with constant-time verification) and SHAKE-128.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/crypto/provider.hpp>

#include <array>
#include <initializer_list>

namespace sealed::crypto {

using sha256_digest = std::array<byte, 32>;

sha256_digest sha256(const_bytes data, provider p = default_provider(primitive::sha256));
// SHA-256 of the concatenation of `parts`, without building it.
sha256_digest sha256(std::initializer_list<const_bytes> parts,
                     provider p = default_provider(primitive::sha256));

sha256_digest hmac_sha256(const_bytes key, const_bytes message,
                          provider p = default_provider(primitive::hmac_sha256));

// True when `tag` is the full 32-byte HMAC of `message`; compared in constant time.
bool hmac_sha256_verify(const_bytes key, const_bytes message, const_bytes tag,
                        provider p = default_provider(primitive::hmac_sha256));

// Constant-time comparison (different sizes compare unequal; the size is not secret).
bool constant_time_equal(const_bytes a, const_bytes b) noexcept;

// XORs `data` with SHA-256(prefix ‖ u64be(0)) ‖ SHA-256(prefix ‖ u64be(1)) ‖ … (a hash in
// counter mode; Enchantrix's pre-obfuscation stream). One digest per 32 bytes, so per-call
// overhead is the cost: OpenSSL's one-block path serves it where compiled in.
void sha256_counter_xor(const_bytes prefix, mutable_bytes data);

// SHAKE-128 XOF with out.size() bytes of output (used for libp2p's PSK fingerprint).
void shake128(const_bytes data, mutable_bytes out);

}  // namespace sealed::crypto
