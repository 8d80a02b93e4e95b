#include <sealed/ecdh_gcm/wire.hpp>

#include <sealed/json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace sealed::ecdh_gcm::wire {
namespace json = boost::json;
namespace {

std::string string_field(const json::object& o, std::string_view key) {
    if (auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->get_string());
    return {};
}

}  // namespace

result<frame> parse_frame(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object() || !all_numbers_finite(v)) return make_error_code(error::invalid_message_format);
    auto& o = v.get_object();
    auto* event = o.if_contains("event");
    if (!event || !event->is_string() || event->get_string().empty())
        return make_error_code(error::invalid_message_format);
    frame f;
    f.event = std::string(event->get_string());
    if (auto* data = o.if_contains("data")) f.data = std::move(*data);
    return f;
}

std::string make_frame(std::string_view event, const json::value& data) {
    json::object o;
    o["event"] = event;
    o["data"] = data;
    return json::serialize(o);
}

std::string make_bus_frame(std::string_view event, const json::value* data) {
    if (data) return make_frame(event, *data);
    json::object o;
    o["event"] = event;
    return json::serialize(o);
}

authenticate parse_authenticate(const json::value& data) {
    authenticate a;
    if (!data.is_object()) return a;
    const auto& o = data.get_object();
    a.type = string_field(o, "type");
    a.token = string_field(o, "token");
    // IGNIS's docs name the field publicKey; its helper reads clientPublicKey. Either is taken.
    auto* key = o.if_contains("clientPublicKey");
    if (!key || key->is_null()) key = o.if_contains("publicKey");
    if (key && !key->is_null())
        a.client_public_key = key->is_string() ? std::string(key->get_string()) : std::string("<not a string>");
    return a;
}

std::string make_connected(const connected& c) {
    json::object d;
    d["id"] = c.id;
    d["userId"] = c.user_id;
    d["time"] = c.time;
    if (!c.server_public_key.empty()) {
        d["serverPublicKey"] = c.server_public_key;
        d["salt"] = c.salt;
    }
    return make_frame("connected", d);
}

result<connected> parse_connected(const json::value& data) {
    if (!data.is_object()) return make_error_code(error::invalid_message_format);
    const auto& o = data.get_object();
    connected c{string_field(o, "id"), string_field(o, "userId"), string_field(o, "time"),
                string_field(o, "serverPublicKey"), string_field(o, "salt")};
    if (c.id.empty()) return make_error_code(error::invalid_message_format);
    return c;
}

std::string make_error(error e, std::string_view message) {
    json::object d;
    d["message"] = message;
    d["code"] = code_name(e);
    return make_frame("error", d);
}


std::string iso8601_now() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const std::time_t t = system_clock::to_time_t(now);
    const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm utc{};
    gmtime_r(&t, &utc);
    char buf[64];  // room for any int the compiler can imagine in each field
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms));
    return buf;
}

}  // namespace sealed::ecdh_gcm::wire
