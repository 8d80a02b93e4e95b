#include <sealed/signaling/error.hpp>

namespace sealed::signaling {
namespace {

class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "sealed.signaling"; }
    std::string message(int ev) const override { return std::string(wire_message(static_cast<error>(ev))); }
    boost::system::error_condition default_error_condition(int ev) const noexcept override {
        switch (static_cast<error>(ev)) {
        case error::invalid_key:
        case error::id_taken:
        case error::not_registered:
        case error::invalid_api_token: return condition::authentication_failed;
        case error::missing_parameters:
        case error::invalid_id:
        case error::malformed_message: return condition::protocol_violation;
        case error::concurrent_limit:
        case error::queue_full: return condition::resource_exhausted;
        case error::server_error: break;
        }
        return {ev, *this};
    }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
    static const category instance;
    return instance;
}

std::string_view wire_message(error e) noexcept {
    switch (e) {
    case error::missing_parameters: return "No id, token, or key supplied to websocket server";
    case error::invalid_key: return "Invalid key provided";
    case error::id_taken: return "ID is taken";
    case error::concurrent_limit: return "Server has reached its concurrent user limit";
    case error::invalid_id: return "Invalid id provided";
    case error::invalid_api_token: return "Invalid API token provided";
    case error::malformed_message: return "Invalid message: expected a JSON object with a string type";
    case error::queue_full: return "Too many messages queued for this peer";
    case error::not_registered: return "This socket no longer holds its id: reconnect to register";
    case error::server_error: return "Server error";
    }
    return "Server error";
}

error error_from_message(std::string_view msg) noexcept {
    for (auto e : {error::missing_parameters, error::invalid_key, error::id_taken, error::concurrent_limit,
                   error::invalid_id, error::invalid_api_token, error::malformed_message, error::queue_full,
                   error::not_registered})
        if (msg == wire_message(e)) return e;
    return error::server_error;
}

}  // namespace sealed::signaling
