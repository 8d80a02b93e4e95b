// The HTTP side of a WebSocket listener: reads requests under the handshake deadline, answers
// plain requests (app routes, 404), refuses upgrades to another path (404) and those the
// admission hook rejects (max_connections, Origin, the scheme's checks), and upgrades the rest.
#pragma once

#include <sealed/http.hpp>
#include <sealed/transport/websocket.hpp>

#include <sealed/log.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sealed::detail {

// Looks at an upgrade request: nullopt admits it, a response refuses it with that response.
using admission_hook = std::function<std::optional<http_response>(const http_request&)>;

struct http_front_options {
    std::string_view ws_path;
    std::size_t body_limit = 1024 * 1024;
    // For the first request; each further request on a keep-alive connection must arrive within
    // keepalive_timeout of the previous response (a trickle does not renew it).
    std::chrono::steady_clock::time_point deadline;
    std::string_view scheme_name;
    admission_hook admit;
    std::chrono::steady_clock::duration keepalive_timeout = std::chrono::seconds(5);
    std::size_t max_requests = 1000;       // then the connection closes (Connection: close)
    std::function<void()> on_answered;     // after each plain response (the server's eviction order)
    std::function<std::string()> client_name;  // for log lines; unset: the TCP peer
    // server_config::bearer_subprotocol: an offered sealed.bearer.<token> is checked before
    // admission and handed on as Authorization: Bearer <token> in the upgraded request.
    bool bearer_subprotocol = false;
};

template <class Stream>
struct upgraded {
    Stream stream;
    http_request request;  // the admitted upgrade request (path parameters, query, headers)
};

awaitable<std::optional<upgraded<transport::ws_stream>>> http_front(
    beast::tcp_stream stream, const http_front_options& front, const transport::websocket_options& ws,
    const async_http_handler& handler, const logger& log);
awaitable<std::optional<upgraded<transport::wss_stream>>> http_front(
    beast::ssl_stream<beast::tcp_stream> stream, const http_front_options& front,
    const transport::websocket_options& ws, const async_http_handler& handler, const logger& log);

}  // namespace sealed::detail
