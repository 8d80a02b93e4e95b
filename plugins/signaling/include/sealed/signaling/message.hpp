// Signaling frames (PROTOCOLS.md §5): one JSON object per WebSocket text frame,
// {"type","src","dst","payload"}. The broker reads type and dst, forces src to the sender's id
// and passes payload through as it came (SDP and ICE are opaque to it, and never logged).
#pragma once

#include <sealed/error.hpp>

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace sealed::signaling {

// The types npm `peer` 1.0.2 knows. Relayed: offer, answer, candidate, leave, expire.
enum class message_type { open, leave, candidate, offer, answer, expire, heartbeat, id_taken, error, unknown };

message_type type_of(std::string_view wire) noexcept;  // "OFFER" → offer; anything else → unknown
std::string_view to_string(message_type t) noexcept;  // offer → "OFFER"; unknown → ""
bool is_relayed(message_type t) noexcept;

struct message {
    std::string type;  // as it came ("OFFER"; an unknown type is kept, and dropped by the broker)
    std::optional<std::string> src;
    std::optional<std::string> dst;
    std::optional<boost::json::value> payload;  // absent and null differ, as in JSON.stringify

    message_type kind() const noexcept { return type_of(type); }
};

// A frame as the broker reads it: a JSON object whose type is a string and whose src and dst,
// when present, are strings; other members are ignored. signaling::error::malformed_message
// otherwise (not JSON, not an object, no type, a field of the wrong type).
result<message> parse_message(std::string_view frame);

// The frame in the reference's member order (type, src, dst, payload), absent members left out.
std::string serialize(const message& m);
// {"type":"ERROR","payload":{"msg":"…"}} (or "ID-TAKEN" for error::id_taken), as the broker
// sends them before it closes a refused socket.
std::string refusal_frame(const error_code& why);
// The same with a reason after the error's text: "Invalid token: expired".
std::string refusal_frame(const error_code& why, std::string_view reason);

// The peerjs client's id syntax: letters and digits, single ' ', '_' or '-' between them.
bool valid_id(std::string_view id) noexcept;

}  // namespace sealed::signaling
