#include <sealed/signaling/error.hpp>

#include <sealed/error_table.hpp>

namespace sealed::signaling {
namespace {

using C = condition;
// The messages are npm peer's ERROR payloads, byte for byte (PROTOCOLS.md §5).
constexpr error_entry<error> errors[] = {
    {error::missing_parameters, "missing_parameters", "No id, token, or key supplied to websocket server", C::protocol_violation},
    {error::invalid_key, "invalid_key", "Invalid key provided", C::authentication_failed},
    {error::id_taken, "id_taken", "ID is taken", C::authentication_failed},
    {error::concurrent_limit, "concurrent_limit", "Server has reached its concurrent user limit", C::resource_exhausted},
    {error::invalid_id, "invalid_id", "Invalid id provided", C::protocol_violation},
    {error::invalid_api_token, "invalid_api_token", "Invalid API token provided", C::authentication_failed},
    {error::malformed_message, "malformed_message", "Invalid message: expected a JSON object with a string type", C::protocol_violation},
    {error::queue_full, "queue_full", "Too many messages queued for this peer", C::resource_exhausted},
    {error::not_registered, "not_registered", "This socket no longer holds its id: reconnect to register", C::authentication_failed},
    {error::invalid_token, "invalid_token", "Invalid token", C::authentication_failed},
    {error::server_error, "server_error", "Server error", std::nullopt},
};

const table_category<error>& category() noexcept {
    static const table_category<error> instance("sealed.signaling", errors);
    return instance;
}

}  // namespace

const boost::system::error_category& error_category() noexcept { return category(); }

std::string_view wire_message(error e) noexcept {
    const auto* entry = category().find(static_cast<int>(e));
    return entry ? entry->message : "Server error";
}

error error_from_message(std::string_view msg) noexcept {
    for (auto e : {error::missing_parameters, error::invalid_key, error::id_taken, error::concurrent_limit,
                   error::invalid_id, error::invalid_api_token, error::malformed_message, error::queue_full,
                   error::not_registered})
        if (msg == wire_message(e)) return e;
    if (msg.starts_with(wire_message(error::invalid_token))) return error::invalid_token;  // "…: <reason>"
    return error::server_error;
}

}  // namespace sealed::signaling
