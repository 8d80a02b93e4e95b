// The signaling broker's refusals. The first four are npm `peer` 1.0.2's, with its exact
// messages (they go on the wire as {"type":"ERROR","payload":{"msg":…}} or ID-TAKEN); the rest
// are sealed's own checks (docs/schemes/signaling.md lists every difference).
#pragma once

#include <sealed/error.hpp>

#include <optional>
#include <string_view>

namespace sealed::signaling {

enum class error {
    missing_parameters = 1,  // no id, token or key in the query
    invalid_key,             // key is not the broker's
    id_taken,                // the id is registered with another token
    concurrent_limit,        // concurrent_limit ids are registered
    invalid_id,              // sealed: the id does not follow the peerjs client's id syntax
    invalid_api_token,       // sealed: --api-token set and apiToken missing or wrong
    malformed_message,       // sealed: a frame that is not a JSON object with a string type
    queue_full,              // sealed: too many messages queued for an offline peer
    not_registered,          // sealed: this socket sent LEAVE, or a newer socket took its id over
    invalid_token,           // sealed: broker_options::authorize refused the token (a JWT policy)
    server_error,            // client side: an ERROR frame this client does not know
};

const boost::system::error_category& error_category() noexcept;
inline error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

// The text that goes in the ERROR (or ID-TAKEN) frame's payload.msg.
std::string_view wire_message(error e) noexcept;
// The error an ERROR / ID-TAKEN frame's msg names, for clients (unknown texts: server_error).
error error_from_message(std::string_view msg) noexcept;

}  // namespace sealed::signaling

template <>
struct boost::system::is_error_code_enum<sealed::signaling::error> : std::true_type {};
