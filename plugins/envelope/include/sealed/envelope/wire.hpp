// The envelope's JSON forms (PROTOCOLS.md §2, docs/schemes/envelope.md): the request, the sealed
// response and the refusal. Parsing checks presence, types and decoded sizes (step 1 of the
// documented order); the semantic checks (version, kid, time, point, tag, nonce) come after.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/envelope/error.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sealed::envelope {

inline constexpr std::int64_t protocol_version = 1;
inline constexpr std::size_t iv_size = 12;
inline constexpr std::size_t nonce_size = 16;
inline constexpr std::size_t epk_size = 65;  // SEC1 uncompressed P-256 point
inline constexpr std::size_t tag_size = 16;
inline constexpr std::uint64_t max_timestamp = (std::uint64_t{1} << 53) - 1;  // JS's safe integers

struct request_envelope {
    std::int64_t version = protocol_version;
    std::string kid;
    bytes epk;
    std::array<byte, iv_size> iv{};
    bytes ct;  // ciphertext ‖ tag
    std::uint64_t ts = 0;
    std::string nonce;  // the base64 text as sent: the AAD and the replay key use it verbatim
};

struct response_envelope {
    std::array<byte, iv_size> iv{};
    bytes ct;
};

// error::malformed_envelope for anything that is not a well-formed v-anything envelope.
result<request_envelope> parse_request(std::string_view json);
std::string serialize_request(const request_envelope& e);  // fields in wire order

result<response_envelope> parse_response(std::string_view json);
std::string serialize_response(const response_envelope& e);

// {"error":"<code>","message":"<text>"}; the message defaults to the error's own text.
std::string refusal_body(error e, std::string_view message = {});
// The code of a refusal body, or nullopt when the body is not one.
std::optional<std::string> refusal_code(std::string_view json);

// AADs: `v1|<kid>|<ts>|<nonce>` and the same with `|response`.
std::string request_aad(std::string_view kid, std::uint64_t ts, std::string_view nonce);
std::string response_aad(std::string_view kid, std::uint64_t ts, std::string_view nonce);

}  // namespace sealed::envelope
