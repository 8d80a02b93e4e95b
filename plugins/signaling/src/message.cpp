#include <sealed/signaling/error.hpp>
#include <sealed/signaling/message.hpp>
#include <sealed/json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <utility>

namespace sealed::signaling {
namespace {

constexpr std::array<std::pair<message_type, std::string_view>, 9> names{{
    {message_type::open, "OPEN"},
    {message_type::leave, "LEAVE"},
    {message_type::candidate, "CANDIDATE"},
    {message_type::offer, "OFFER"},
    {message_type::answer, "ANSWER"},
    {message_type::expire, "EXPIRE"},
    {message_type::heartbeat, "HEARTBEAT"},
    {message_type::id_taken, "ID-TAKEN"},
    {message_type::error, "ERROR"},
}};

bool alnum(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

message_type type_of(std::string_view wire) noexcept {
    for (auto& [t, name] : names)
        if (name == wire) return t;
    return message_type::unknown;
}

std::string_view to_string(message_type t) noexcept {
    for (auto& [type, name] : names)
        if (type == t) return name;
    return {};
}

bool is_relayed(message_type t) noexcept {
    switch (t) {
    case message_type::offer:
    case message_type::answer:
    case message_type::candidate:
    case message_type::leave:
    case message_type::expire: return true;
    default: return false;
    }
}

result<message> parse_message(std::string_view frame) {
    boost::system::error_code ec;
    auto parsed = boost::json::parse(frame, ec);
    if (ec || !parsed.is_object() || !all_numbers_finite(parsed)) return make_error_code(error::malformed_message);
    auto& object = parsed.as_object();
    message m;
    auto* type = object.if_contains("type");
    if (!type || !type->is_string()) return make_error_code(error::malformed_message);
    m.type = std::string(type->as_string());
    for (auto [field, name] : {std::pair{&m.src, "src"}, std::pair{&m.dst, "dst"}}) {
        auto* value = object.if_contains(name);
        if (!value) continue;
        if (!value->is_string()) return make_error_code(error::malformed_message);
        *field = std::string(value->as_string());
    }
    if (auto* payload = object.if_contains("payload")) m.payload = std::move(*payload);
    return m;
}

std::string serialize(const message& m) {
    boost::json::object out;
    out["type"] = m.type;
    if (m.src) out["src"] = *m.src;
    if (m.dst) out["dst"] = *m.dst;
    if (m.payload) out["payload"] = *m.payload;
    return boost::json::serialize(out);
}

std::string refusal_frame(const error_code& why) { return refusal_frame(why, {}); }

std::string refusal_frame(const error_code& why, std::string_view reason) {
    const bool taken = why == make_error_code(error::id_taken);
    std::string text = why.category() == error_category() ? std::string(wire_message(static_cast<error>(why.value())))
                                                           : why.message();
    if (!reason.empty()) text += ": " + std::string(reason);
    boost::json::object out;
    out["type"] = taken ? "ID-TAKEN" : "ERROR";
    out["payload"] = boost::json::object{{"msg", text}};
    return boost::json::serialize(out);
}

bool valid_id(std::string_view id) noexcept {
    if (id.empty() || !alnum(id.front()) || !alnum(id.back())) return false;
    for (std::size_t i = 1; i < id.size(); ++i) {
        const char c = id[i];
        if (alnum(c)) continue;
        if (c != ' ' && c != '_' && c != '-') return false;
        if (!alnum(id[i - 1])) return false;  // separators come singly
    }
    return true;
}

}  // namespace sealed::signaling
