#include <sealed/http.hpp>

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

}  // namespace sealed
