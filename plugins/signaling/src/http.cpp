// The broker's HTTP routes, as npm `peer` 1.0.2 answers them (express + cors({origin: true})):
// GET <path>/ → the app info JSON, GET <path>/<key>/id → a fresh id, GET <path>/<key>/peers →
// the ids when discovery is on (else 401); every answer under <path> carries CORS headers that
// reflect the request's Origin, and preflights get 204. The key in these routes is not checked
// (as the reference); with an API token, /id and /peers need it (apiToken= or a Bearer header).
#include <sealed/signaling/broker.hpp>

#include <sealed/crypto/hash.hpp>
#include <sealed/crypto/random.hpp>
#include <sealed/http.hpp>
#include <sealed/url.hpp>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>

namespace sealed::signaling {
namespace {

constexpr std::string_view info_json =
    R"({"name":"PeerJS Server","description":"A server side element to broker connections between PeerJS clients.","website":"https://peerjs.com/"})";

std::string uuid_v4() {
    std::array<byte, 16> b{};
    crypto::random_bytes(b);
    b[6] = static_cast<byte>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<byte>((b[8] & 0x3f) | 0x80);
    char out[37];
    std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                  b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return out;
}

void add_cors(const http_request& req, http_response& res) {
    if (auto origin = req[http::field::origin]; !origin.empty())
        res.set(http::field::access_control_allow_origin, origin);
    res.set(http::field::vary, "Origin");
}

}  // namespace

std::optional<http_response> broker::http(const http_request& req) const {
    const auto path = target_path(req.target());
    std::string_view base = options_.path;
    if (base.back() == '/') base.remove_suffix(1);  // "/" → "", "/myapp/" → "/myapp"
    if (!(path == base || (path.size() > base.size() && path.starts_with(base) && path[base.size()] == '/')))
        return std::nullopt;
    const auto rest = path.substr(base.size());  // "", "/", "/<key>/id", …

    if (req.method() == http::verb::options) {
        auto res = make_response(req, http::status::no_content, "", "");
        res.erase(http::field::content_type);
        add_cors(req, res);
        res.set(http::field::access_control_allow_methods, "GET,HEAD,PUT,PATCH,POST,DELETE");
        if (auto asked = req[http::field::access_control_request_headers]; !asked.empty()) {
            res.set(http::field::access_control_allow_headers, asked);
            res.set(http::field::vary, "Origin, Access-Control-Request-Headers");
        }
        return res;
    }
    auto answer = [&](http::status status, std::string body, std::string_view type) {
        auto res = make_response(req, status, std::move(body), type);
        add_cors(req, res);
        return res;
    };
    auto not_found = [&] {
        return answer(http::status::not_found, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error</title></head><body><pre>Cannot " +
                                                   std::string(req.method_string()) + " " + std::string(path) +
                                                   "</pre></body></html>\n",
                      "text/html; charset=utf-8");
    };
    if (req.method() != http::verb::get && req.method() != http::verb::head) return not_found();
    if (rest.empty() || rest == "/") return answer(http::status::ok, std::string(info_json), "application/json; charset=utf-8");

    // "/<key>/id" or "/<key>/peers"
    const auto slash = rest.find('/', 1);
    if (slash == std::string_view::npos || slash == 1) return not_found();
    const auto route = rest.substr(slash);
    if (route != "/id" && route != "/peers") return not_found();
    if (!options_.api_token.empty()) {
        auto presented = query_param(req.target(), "apiToken").value_or("");
        if (auto auth = req[http::field::authorization]; auth.starts_with("Bearer ")) presented = std::string(auth.substr(7));
        if (!crypto::constant_time_equal(as_bytes(presented), as_bytes(options_.api_token)))
            return answer(http::status::unauthorized, "Unauthorized", "text/plain; charset=utf-8");
    }
    if (route == "/id") {
        std::string id = uuid_v4();
        for (auto taken = ids(); std::find(taken.begin(), taken.end(), id) != taken.end();) id = uuid_v4();
        return answer(http::status::ok, std::move(id), "text/html; charset=utf-8");
    }
    if (!options_.allow_discovery) return answer(http::status::unauthorized, "Unauthorized", "text/plain; charset=utf-8");
    boost::json::array list;
    for (auto& id : ids()) list.emplace_back(id);
    return answer(http::status::ok, boost::json::serialize(list), "application/json; charset=utf-8");
}

}  // namespace sealed::signaling
