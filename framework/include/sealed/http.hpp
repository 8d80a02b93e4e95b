// The HTTP a WebSocket server speaks before the upgrade: the request and response types an
// app's routes and a scheme's admit() hook see, the handler types server::on_http takes, and
// the two helpers every route needs.
#pragma once

#include <sealed/net.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealed {

namespace http = boost::beast::http;
using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

// Answers a plain HTTP request (not an upgrade), or nullopt for "not mine" (→ 404).
using http_handler = std::function<std::optional<http_response>(const http_request&)>;
// The same for routes that wait on I/O (a replay store in Redis) without holding the thread.
using async_http_handler = std::function<awaitable<std::optional<http_response>>(const http_request&)>;

// A small response with a text body; keep-alive and version from the request, no body for HEAD.
http_response make_response(const http_request& req, http::status status, std::string body,
                            std::string_view content_type = "text/plain; charset=utf-8");

// The path of a request target, without the query.
std::string_view target_path(std::string_view target) noexcept;

// A header value or list element without the optional whitespace (spaces, tabs) around it.
std::string_view trim_ows(std::string_view s) noexcept;

// The token of an `Authorization: Bearer <token>` header, or empty. Schemes that authenticate
// on the upgrade read it here; browsers, which cannot set the header on a WebSocket, send it as
// a subprotocol instead (server_config::bearer_subprotocol).
std::string_view bearer_token(const http_request& req);

// The subprotocol a sealed server answers, and the prefix of the one that carries a token:
// a browser offers ["sealed.v1", "sealed.bearer.<token>"] (RFC 7230 token characters).
inline constexpr std::string_view sealed_subprotocol = "sealed.v1";
inline constexpr std::string_view bearer_subprotocol_prefix = "sealed.bearer.";

// The subprotocols a WebSocket upgrade offers (every Sec-WebSocket-Protocol line), in order.
std::vector<std::string_view> offered_subprotocols(const http_request& req);

}  // namespace sealed
