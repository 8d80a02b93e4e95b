// The server runtime's view of opened inner events (PROTOCOLS.md §1 item 6, IGNIS's helper):
// heartbeats refresh liveness, join/leave change rooms, a second authenticate and events that
// are not events get an error event; everything else goes to the app.
#include <sealed/ecdh_gcm/scheme.hpp>

namespace sealed::ecdh_gcm {
namespace {

constexpr std::size_t max_room_name = 256;
constexpr std::string_view internal_prefix = "ws:";  // IGNIS's Redis channels; never a room

outgoing_message error_event(error e) {
    const auto text = wire::make_error(e, make_error_code(e).message());
    return {bytes(text.begin(), text.end()), message_kind::text};
}

// IGNIS keeps non-empty strings up to 256 characters that do not start with "ws:".
std::vector<std::string> room_names(const boost::json::value& data) {
    std::vector<std::string> rooms;
    const auto* object = data.if_object();
    const auto* list = object ? object->if_contains("rooms") : nullptr;
    if (!list || !list->is_array()) return rooms;
    for (const auto& room : list->get_array()) {
        if (!room.is_string()) continue;
        std::string_view name = room.get_string();
        if (name.empty() || name.size() > max_room_name || name.starts_with(internal_prefix)) continue;
        rooms.emplace_back(name);
    }
    return rooms;
}

}  // namespace

inbound scheme::inspect(const_bytes plaintext) {
    auto frame = wire::parse_frame(as_string_view(plaintext));
    if (!frame) return inbound::refuse(error_event(error::invalid_message_format));
    if (frame->event == "heartbeat") return inbound::heartbeat();
    if (frame->event == "authenticate") return inbound::refuse(error_event(error::already_authenticated));
    if (frame->event == "join") return {inbound::kind::join, room_names(frame->data), std::nullopt};
    if (frame->event == "leave") return {inbound::kind::leave, room_names(frame->data), std::nullopt};
    return inbound::app();
}

outgoing_message scheme::rate_limited_reply() { return error_event(error::rate_limited); }

}  // namespace sealed::ecdh_gcm
