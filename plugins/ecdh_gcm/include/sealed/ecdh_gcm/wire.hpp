// The JSON frames of PROTOCOLS.md §1: {"event": …, "data": …}. Parsing never throws; every
// refusal is an ecdh_gcm::error.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/ecdh_gcm/error.hpp>

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace sealed::ecdh_gcm::wire {

struct frame {
    std::string event;
    boost::json::value data;  // null when absent
};

// error::invalid_message_format unless `text` is a JSON object with a string "event".
result<frame> parse_frame(std::string_view text);
std::string make_frame(std::string_view event, const boost::json::value& data);
// For cluster::router: a bus message's frame, without "data" when it carried none (as IGNIS
// delivers {"event":"x"}).
std::string make_bus_frame(std::string_view event, const boost::json::value* data);

struct authenticate {
    std::string type;
    std::string token;
    std::optional<std::string> client_public_key;  // base64, as sent
};
// From an authenticate frame's data (missing fields are empty / nullopt).
authenticate parse_authenticate(const boost::json::value& data);

struct connected {
    std::string id, user_id, time, server_public_key, salt;  // key and salt are base64
};
std::string make_connected(const connected& c);
result<connected> parse_connected(const boost::json::value& data);

// {"event":"error","data":{"message":…,"code":…}}
std::string make_error(error e, std::string_view message);

// ISO 8601 UTC with milliseconds, as JavaScript's Date.toISOString().
std::string iso8601_now();

}  // namespace sealed::ecdh_gcm::wire
