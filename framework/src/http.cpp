#include <sealed/http.hpp>

#include <boost/beast/core/string.hpp>

namespace sealed {

http_response make_response(const http_request& req, http::status status, std::string body,
                            std::string_view content_type) {
    http_response res{status, req.version() ? req.version() : 11};
    res.set(http::field::server, "sealed");
    res.set(http::field::content_type, content_type);
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    // HEAD: the headers of a GET (its Content-Length) and no body, which the client would read
    // as the start of the next response.
    if (req.method() == http::verb::head) res.body().clear();
    return res;
}

std::string_view target_path(std::string_view target) noexcept {
    return target.substr(0, target.find('?'));
}

std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string_view bearer_token(const http_request& req) {
    const auto value = trim_ows(req[http::field::authorization]);
    if (value.size() < 7 || value[6] != ' ' || !beast::iequals(value.substr(0, 6), "bearer")) return {};
    return trim_ows(value.substr(7));
}

std::vector<std::string_view> offered_subprotocols(const http_request& req) {
    std::vector<std::string_view> offered;
    for (auto [it, end] = req.equal_range(http::field::sec_websocket_protocol); it != end; ++it) {
        std::string_view rest = it->value();
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            if (auto item = trim_ows(rest.substr(0, comma)); !item.empty()) offered.push_back(item);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
    }
    return offered;
}

}  // namespace sealed
