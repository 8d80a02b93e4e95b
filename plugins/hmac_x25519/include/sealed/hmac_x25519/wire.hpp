// The node transport's JSON (PROTOCOLS.md §3): the message envelope every frame carries, written
// the way Go's encoding/json writes it, so our bytes are the bytes a Go node would send.
//   {"id":<uuid>,"type":…,"from":<node id>,"to":<node id or "">,"ts":<RFC 3339 nanos>,
//    "payload":<JSON>,"replyTo":<id, omitted when empty>}
// Parsing never throws; a refusal is error::invalid_message.
#pragma once

#include <sealed/hmac_x25519/error.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace sealed::hmac_x25519::wire {

inline constexpr std::string_view protocol_version = "1.0";

// Message types of the Go transport (apps add their own, e.g. "chat").
namespace type {
inline constexpr std::string_view handshake = "handshake";
inline constexpr std::string_view handshake_ack = "handshake_ack";
inline constexpr std::string_view ping = "ping";
inline constexpr std::string_view pong = "pong";
inline constexpr std::string_view disconnect = "disconnect";
inline constexpr std::string_view error = "error";
}  // namespace type

struct envelope {
    std::string id;
    std::string type;
    std::string from;
    std::string to;
    std::string ts;              // RFC 3339, as sent
    boost::json::value payload;  // null when absent
    std::string reply_to;        // empty: omitted
};

// A fresh envelope: a random UUID v4 and the current time.
envelope make_envelope(std::string_view type, std::string_view from, std::string_view to,
                       boost::json::value payload, std::string_view reply_to = {});
// Go's Message.Reply(): from/to swapped, replyTo = the original's id.
envelope make_reply(const envelope& original, std::string_view type, boost::json::value payload);

// The Go worker's answer to a ping: {"sentAt":<the ping's>,"receivedAt":<now, Unix ms>}.
envelope make_pong(const envelope& ping);
std::int64_t unix_millis_now();

std::string serialize(const envelope& e);
// error::invalid_message unless `text` is a JSON object whose id/type/from/to/ts/replyTo are
// strings (absent ones are empty) and whose type is non-empty.
result<envelope> parse(std::string_view text);
// Just the id of an envelope (for dedup); empty when there is none.
std::string_view find_id(std::string_view text);

// Go's encoding/json output for `v`: object keys in their order, no spaces; with `escape_html`
// (json.Marshal's default) also <, > and & as \u003c, \u003e, \u0026. U+2028/U+2029 are always
// escaped, and each byte that is not part of valid UTF-8 is written as \ufffd, as Go does.
void write_json(const boost::json::value& v, std::string& out, bool escape_html);
void write_json_string(std::string_view s, std::string& out, bool escape_html);

// Go's time.Time JSON form: RFC 3339 with nanoseconds, trailing zeros trimmed, in UTC ("Z").
std::string rfc3339_nano(std::chrono::system_clock::time_point t);
std::string new_uuid();  // random (version 4), lowercase, hyphenated

}  // namespace sealed::hmac_x25519::wire
