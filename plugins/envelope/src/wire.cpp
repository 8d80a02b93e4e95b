#include <sealed/envelope/wire.hpp>

#include "unique_keys.hpp"

#include <sealed/crypto/encoding.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace sealed::envelope {
namespace {

const boost::json::object* as_object(const boost::json::value& v) { return v.if_object(); }

const boost::json::string* string_field(const boost::json::object& o, std::string_view name) {
    auto it = o.find(name);
    return it == o.end() ? nullptr : it->value().if_string();
}

// An integer field; doubles (1e300, 1.5) are not integers, whatever their value.
std::optional<std::int64_t> int_field(const boost::json::object& o, std::string_view name) {
    auto it = o.find(name);
    if (it == o.end()) return std::nullopt;
    if (auto* i = it->value().if_int64()) return *i;
    if (auto* u = it->value().if_uint64(); u && *u <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(*u);
    return std::nullopt;
}

bool decode_exact(const boost::json::string* text, std::span<byte> out) {
    if (!text) return false;
    auto decoded = crypto::base64_decode(std::string_view(*text));
    if (!decoded || decoded->size() != out.size()) return false;
    std::copy(decoded->begin(), decoded->end(), out.begin());
    return true;
}

std::optional<bytes> decode_min(const boost::json::string* text, std::size_t min_size) {
    if (!text) return std::nullopt;
    auto decoded = crypto::base64_decode(std::string_view(*text));
    if (!decoded || decoded->size() < min_size) return std::nullopt;
    return std::move(*decoded);
}

result<boost::json::value> parse_json(std::string_view json) {
    boost::system::error_code ec;
    auto value = boost::json::parse(json, ec);
    if (ec || detail::has_duplicate_keys(json)) return make_error_code(error::malformed_envelope);
    return value;
}

// JSON string escaping for the few fields we write that may hold arbitrary text (the message).
void append_json_string(std::string& out, std::string_view s) {
    out += boost::json::serialize(boost::json::string(s));
}

}  // namespace

result<request_envelope> parse_request(std::string_view json) {
    const auto malformed = make_error_code(error::malformed_envelope);
    auto value = parse_json(json);
    if (!value) return value.error();
    auto* o = as_object(*value);
    if (!o) return malformed;
    request_envelope e;
    auto v = int_field(*o, "v");
    auto ts = int_field(*o, "ts");
    auto* kid = string_field(*o, "kid");
    auto* nonce = string_field(*o, "nonce");
    if (!v || !ts || *ts < 0 || static_cast<std::uint64_t>(*ts) > max_timestamp || !kid || kid->empty() || !nonce)
        return malformed;
    std::array<byte, nonce_size> nonce_bytes{};
    if (!decode_exact(nonce, nonce_bytes) || !decode_exact(string_field(*o, "iv"), e.iv)) return malformed;
    auto epk = decode_min(string_field(*o, "epk"), epk_size);
    auto ct = decode_min(string_field(*o, "ct"), tag_size);
    if (!epk || epk->size() != epk_size || !ct) return malformed;
    e.version = *v;
    e.kid = std::string(*kid);
    e.ts = static_cast<std::uint64_t>(*ts);
    e.nonce = std::string(*nonce);
    e.epk = std::move(*epk);
    e.ct = std::move(*ct);
    return e;
}

std::string serialize_request(const request_envelope& e) {
    std::string out;
    out.reserve(160 + e.ct.size() * 4 / 3 + e.kid.size());
    out += "{\"v\":" + std::to_string(e.version) + ",\"kid\":";
    append_json_string(out, e.kid);
    out += ",\"epk\":\"" + crypto::base64_encode(e.epk) + "\",\"iv\":\"" + crypto::base64_encode(e.iv);
    out += "\",\"ct\":\"";
    crypto::base64_encode(e.ct, out);
    out += "\",\"ts\":" + std::to_string(e.ts) + ",\"nonce\":";
    append_json_string(out, e.nonce);
    out += '}';
    return out;
}

result<response_envelope> parse_response(std::string_view json) {
    const auto malformed = make_error_code(error::malformed_envelope);
    auto value = parse_json(json);
    if (!value) return value.error();
    auto* o = as_object(*value);
    if (!o) return malformed;
    auto v = int_field(*o, "v");
    if (!v) return malformed;
    if (*v != protocol_version) return make_error_code(error::unsupported_version);
    response_envelope e;
    auto ct = decode_min(string_field(*o, "ct"), tag_size);
    if (!decode_exact(string_field(*o, "iv"), e.iv) || !ct) return malformed;
    e.ct = std::move(*ct);
    return e;
}

std::string serialize_response(const response_envelope& e) {
    std::string out;
    out.reserve(48 + e.ct.size() * 4 / 3);
    out += "{\"v\":1,\"iv\":\"" + crypto::base64_encode(e.iv) + "\",\"ct\":\"";
    crypto::base64_encode(e.ct, out);
    out += "\"}";
    return out;
}

std::string refusal_body(error e, std::string_view message) {
    std::string out = "{\"error\":\"";
    out += code_of(e);
    out += "\",\"message\":";
    append_json_string(out, message.empty() ? make_error_code(e).message() : std::string(message));
    out += '}';
    return out;
}

std::optional<std::string> refusal_code(std::string_view json) {
    auto value = parse_json(json);
    if (!value) return std::nullopt;
    auto* o = as_object(*value);
    if (!o) return std::nullopt;
    auto* code = string_field(*o, "error");
    if (!code) return std::nullopt;
    return std::string(*code);
}

std::string request_aad(std::string_view kid, std::uint64_t ts, std::string_view nonce) {
    std::string aad = "v1|";
    aad += kid;
    aad += '|';
    aad += std::to_string(ts);
    aad += '|';
    aad += nonce;
    return aad;
}

std::string response_aad(std::string_view kid, std::uint64_t ts, std::string_view nonce) {
    return request_aad(kid, ts, nonce) + "|response";
}

}  // namespace sealed::envelope
