#include <sealed/hmac_x25519/wire.hpp>

#include <sealed/crypto/random.hpp>
#include <sealed/json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <cstdio>
#include <ctime>

namespace sealed::hmac_x25519::wire {
namespace json = boost::json;

namespace {

// Strings of the envelope; anything else (a number, an object) refuses the message.
bool take_string(const json::object& o, std::string_view key, std::string& out) {
    auto* v = o.if_contains(key);
    if (!v || v->is_null()) return true;
    if (!v->is_string()) return false;
    out = std::string(v->get_string());
    return true;
}

void write_escape(unsigned char u, std::string& out) {
    static constexpr char hex[] = "0123456789abcdef";
    const char escape[6] = {'\\', 'u', '0', '0', hex[u >> 4], hex[u & 0xf]};
    out.append(escape, sizeof escape);
}

// Which bytes stop a run of bytes copied as they are: controls, '"', '\\', every byte of 0x80
// and above (a UTF-8 sequence is checked, and copied when valid) and, with HTML escaping, <, >
// and &.
struct stop_table {
    bool plain[256]{}, html[256]{};
    constexpr stop_table() {
        for (int c = 0; c < 0x20; ++c) plain[c] = html[c] = true;
        for (int c = 0x80; c < 0x100; ++c) plain[c] = html[c] = true;
        for (int c : {int('"'), int('\\')}) plain[c] = html[c] = true;
        for (int c : {int('<'), int('>'), int('&')}) html[c] = true;
    }
};
constexpr stop_table stops;

// The length of the valid UTF-8 sequence (RFC 3629, as Go's utf8.DecodeRune) at s[i], whose
// first byte is 0x80 or above; 0 when it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto at = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
    const auto in = [](unsigned c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; };
    const unsigned lead = at(0), second = at(1);
    std::size_t length = 0;
    if (in(lead, 0xC2, 0xDF)) length = in(second, 0x80, 0xBF) ? 2 : 0;
    else if (lead == 0xE0) length = in(second, 0xA0, 0xBF) ? 3 : 0;
    else if (lead == 0xED) length = in(second, 0x80, 0x9F) ? 3 : 0;  // not a UTF-16 surrogate
    else if (in(lead, 0xE1, 0xEF)) length = in(second, 0x80, 0xBF) ? 3 : 0;
    else if (lead == 0xF0) length = in(second, 0x90, 0xBF) ? 4 : 0;
    else if (lead == 0xF4) length = in(second, 0x80, 0x8F) ? 4 : 0;  // not past U+10FFFF
    else if (in(lead, 0xF1, 0xF3)) length = in(second, 0x80, 0xBF) ? 4 : 0;
    for (std::size_t k = 2; k < length; ++k)
        if (!in(at(k), 0x80, 0xBF)) return 0;
    return length;
}

}  // namespace

void write_json_string(std::string_view s, std::string& out, bool escape_html) {
    const bool* stop = escape_html ? stops.html : stops.plain;
    out.reserve(out.size() + s.size() + 2);
    out += '"';
    std::size_t run = 0;  // start of the bytes not yet written
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto u = static_cast<unsigned char>(s[i]);
        if (!stop[u]) continue;
        std::size_t sequence = 0;
        if (u >= 0x80) {
            sequence = utf8_sequence(s, i);
            // U+2028 / U+2029 (E2 80 A8 / E2 80 A9): Go escapes them for JavaScript's sake.
            const bool separator = sequence == 3 && u == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                                   (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8;
            if (sequence != 0 && !separator) {
                i += sequence - 1;  // valid UTF-8: part of the run
                continue;
            }
        }
        out.append(s.data() + run, i - run);
        switch (u) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (u < 0x80) {
                write_escape(u, out);
            } else if (sequence == 3) {  // U+2028 / U+2029
                out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
                i += 2;
            } else {
                out += "\\ufffd";  // as Go's encoder writes a byte that is not UTF-8
            }
            break;
        }
        run = i + 1;
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
}

void write_json(const json::value& v, std::string& out, bool escape_html) {
    switch (v.kind()) {
    case json::kind::object: {
        out += '{';
        bool first = true;
        for (const auto& [key, value] : v.get_object()) {
            if (!first) out += ',';
            first = false;
            write_json_string(key, out, escape_html);
            out += ':';
            write_json(value, out, escape_html);
        }
        out += '}';
        return;
    }
    case json::kind::array: {
        out += '[';
        bool first = true;
        for (const auto& element : v.get_array()) {
            if (!first) out += ',';
            first = false;
            write_json(element, out, escape_html);
        }
        out += ']';
        return;
    }
    case json::kind::string: write_json_string(v.get_string(), out, escape_html); return;
    default: out += json::serialize(v); return;  // numbers, booleans, null
    }
}

std::string rfc3339_nano(std::chrono::system_clock::time_point t) {
    const auto since_epoch = t.time_since_epoch();
    auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
    auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - seconds).count();
    const std::time_t tt = seconds.count();
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out = date;
    if (nanos > 0) {
        char frac[32];
        std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(nanos));
        std::string f = frac;
        while (f.back() == '0') f.pop_back();
        out += f;
    }
    out += 'Z';
    return out;
}

std::string new_uuid() {
    auto b = crypto::random_array<16>();
    b[6] = static_cast<byte>((b[6] & 0x0F) | 0x40);  // version 4
    b[8] = static_cast<byte>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        out += hex[b[i] >> 4];
        out += hex[b[i] & 0xF];
    }
    return out;
}

envelope make_envelope(std::string_view type, std::string_view from, std::string_view to, json::value payload,
                       std::string_view reply_to) {
    return envelope{new_uuid(),
                    std::string(type),
                    std::string(from),
                    std::string(to),
                    rfc3339_nano(std::chrono::system_clock::now()),
                    std::move(payload),
                    std::string(reply_to)};
}

envelope make_reply(const envelope& original, std::string_view type, json::value payload) {
    return make_envelope(type, original.to, original.from, std::move(payload), original.id);
}

std::int64_t unix_millis_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

envelope make_pong(const envelope& ping) {
    json::object payload;
    const auto* sent = ping.payload.is_object() ? ping.payload.get_object().if_contains("sentAt") : nullptr;
    payload["sentAt"] = sent && sent->is_int64() ? sent->get_int64() : std::int64_t{0};
    payload["receivedAt"] = unix_millis_now();
    return make_reply(ping, type::pong, std::move(payload));
}

std::string serialize(const envelope& e) {
    // Go's transport writes with SetEscapeHTML(false), in the struct's field order.
    std::string out;
    out.reserve(160 + e.type.size());
    out += "{\"id\":";
    write_json_string(e.id, out, false);
    out += ",\"type\":";
    write_json_string(e.type, out, false);
    out += ",\"from\":";
    write_json_string(e.from, out, false);
    out += ",\"to\":";
    write_json_string(e.to, out, false);
    out += ",\"ts\":";
    write_json_string(e.ts, out, false);
    out += ",\"payload\":";
    write_json(e.payload, out, false);
    if (!e.reply_to.empty()) {
        out += ",\"replyTo\":";
        write_json_string(e.reply_to, out, false);
    }
    out += '}';
    return out;
}

result<envelope> parse(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object() || !all_numbers_finite(v)) return make_error_code(error::invalid_message);
    auto& o = v.get_object();
    envelope e;
    if (!take_string(o, "id", e.id) || !take_string(o, "type", e.type) || !take_string(o, "from", e.from) ||
        !take_string(o, "to", e.to) || !take_string(o, "ts", e.ts) || !take_string(o, "replyTo", e.reply_to) ||
        e.type.empty())
        return make_error_code(error::invalid_message);
    if (auto* p = o.if_contains("payload")) e.payload = std::move(*p);
    return e;
}

std::string_view find_id(std::string_view text) {
    // Go and sealed nodes write "id" first; an envelope in another key order is not deduplicated
    // (parsing every message twice to find it would cost more than the duplicates it catches).
    constexpr std::string_view prefix = "{\"id\":\"";
    if (text.starts_with(prefix)) {
        const auto end = text.find('"', prefix.size());
        const auto id = text.substr(prefix.size(), end == std::string_view::npos ? 0 : end - prefix.size());
        if (end != std::string_view::npos && id.find('\\') == std::string_view::npos) return id;
    }
    return {};
}

}  // namespace sealed::hmac_x25519::wire
