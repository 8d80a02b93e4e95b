// base64 (RFC 4648 §4, padded), base64url (§5, unpadded) and hex. Decoders are strict: no
// whitespace, no missing or extra padding, no stray characters (errc::invalid_encoding), so
// two different strings never decode to the same bytes.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/error.hpp>

#include <string>
#include <string_view>

namespace sealed::crypto {

std::string base64_encode(const_bytes data);
void base64_encode(const_bytes data, std::string& out);  // appends; reuses out's capacity
result<bytes> base64_decode(std::string_view text);
// Decodes into out (capacity >= base64_decoded_max(text.size())); returns the decoded size.
result<std::size_t> base64_decode(std::string_view text, mutable_bytes out);
constexpr std::size_t base64_decoded_max(std::size_t text_size) noexcept { return text_size / 4 * 3; }
constexpr std::size_t base64_encoded_size(std::size_t n) noexcept { return (n + 2) / 3 * 4; }

std::string base64url_encode(const_bytes data);
result<bytes> base64url_decode(std::string_view text);

std::string hex_encode(const_bytes data);  // lowercase
result<bytes> hex_decode(std::string_view text);  // either case, even length

}  // namespace sealed::crypto
