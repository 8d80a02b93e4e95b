#include <sealed/detail/http_front.hpp>

#include <sealed/crypto/encoding.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace sealed::detail {
namespace {

// "/ws" takes exactly /ws; a path ending in '/' ("/swarm/") takes every path below it, whose
// rest the scheme reads from the request (path parameters such as a DID).
bool upgrade_path_matches(std::string_view path, std::string_view ws_path) {
    if (ws_path.size() > 1 && ws_path.back() == '/') return path.size() > ws_path.size() && path.starts_with(ws_path);
    return path == ws_path;
}

// RFC 6455 §4.1: the key is a base64-encoded random 16-byte nonce. Beast takes any string.
bool valid_websocket_key(std::string_view key) {
    if (key.size() != 24) return false;
    auto nonce = crypto::base64_decode(key);
    return nonce && nonce->size() == 16;
}

// server_config::bearer_subprotocol: a refusal for a bearer offered wrongly (without
// sealed.v1, twice, beside an Authorization header); the token is then moved into
// Authorization, where schemes read it (bearer_token()).
std::optional<http_response> take_subprotocol_bearer(http_request& req) {
    std::string_view token;
    bool names_ours = false;
    int bearers = 0;
    for (auto p : offered_subprotocols(req)) {
        names_ours = names_ours || p == sealed_subprotocol;
        if (p.starts_with(bearer_subprotocol_prefix)) {
            token = p.substr(bearer_subprotocol_prefix.size());
            ++bearers;
        }
    }
    if (bearers == 0) return std::nullopt;
    auto refuse = [&](const char* why) { return make_response(req, http::status::bad_request, why); };
    if (!names_ours) return refuse("offer sealed.v1 with sealed.bearer.<token>\n");
    if (bearers > 1 || token.empty()) return refuse("offer exactly one non-empty sealed.bearer.<token>\n");
    if (!req[http::field::authorization].empty()) return refuse("a bearer subprotocol and an Authorization header\n");
    req.set(http::field::authorization, "Bearer " + std::string(token));
    return std::nullopt;
}

constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);
constexpr std::size_t header_limit = 8 * 1024;

using transport::remote_of;

template <class Stream>
awaitable<bool> write_response(Stream& stream, http_response res) {
    res.prepare_payload();
    auto [ec, n] = co_await http::async_write(stream, res, use_nothrow);
    (void)n;
    co_return !ec && res.keep_alive();
}

template <class Result, class Next>
awaitable<std::optional<Result>> run_front(Next stream, const http_front_options& front,
                                           const transport::websocket_options& ws,
                                           const async_http_handler& handler, const logger& log) {
    beast::flat_buffer buffer;
    auto& lowest = beast::get_lowest_layer(stream);
    auto deadline = front.deadline;
    for (std::size_t answered = 0;; ++answered) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(header_limit);
        parser.body_limit(front.body_limit);
        lowest.expires_at(deadline);
        auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, use_nothrow);
        if (!ec && !parser.is_done()) {
            // Room for the whole declared body first: from an empty buffer Beast reads 512 bytes
            // at a time, 32 receive calls for a 16 KiB body.
            const auto declared = parser.content_length().value_or(0);
            if (declared <= front.body_limit) buffer.reserve(buffer.size() + static_cast<std::size_t>(declared));
            std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, use_nothrow);
        }
        (void)n;
        if (buffer.capacity() > header_limit && buffer.size() == 0) buffer.shrink_to_fit();  // idle keep-alive
        if (ec) {
            if (ec == http::error::body_limit || ec == http::error::header_limit) {
                http_request stub;
                co_await write_response(stream, make_response(stub, http::status::payload_too_large,
                                                              "request too large\n"));
            }
            if (ec != http::error::end_of_stream)
                log.debug("HTTP read from {} ended: {}", remote_of(lowest), ec.message());
            co_return std::nullopt;
        }
        http_request req = parser.release();

        if (!websocket::is_upgrade(req)) {
            std::optional<http_response> res;
            if (handler) res = co_await handler(req);
            if (!res) res = make_response(req, http::status::not_found, "not found\n");
            if (answered + 1 >= front.max_requests) res->keep_alive(false);
            if (!co_await write_response(stream, std::move(*res))) co_return std::nullopt;
            if (front.on_answered) front.on_answered();
            deadline = std::chrono::steady_clock::now() + front.keepalive_timeout;
            continue;
        }

        std::optional<http_response> refusal;
        if (!upgrade_path_matches(target_path(req.target()), front.ws_path))
            refusal = make_response(req, http::status::not_found, "no WebSocket endpoint here\n");
        else if (!valid_websocket_key(req[http::field::sec_websocket_key]))
            refusal = make_response(req, http::status::bad_request, "Sec-WebSocket-Key is not a base64 16-byte nonce\n");
        if (!refusal && front.bearer_subprotocol) refusal = take_subprotocol_bearer(req);
        if (!refusal && front.admit) refusal = front.admit(req);
        if (refusal) {
            refusal->keep_alive(false);
            log.info("refused upgrade to {} from {}: HTTP {}", std::string(req.target()),
                     front.client_name ? front.client_name() : remote_of(lowest), refusal->result_int());
            co_await write_response(stream, std::move(*refusal));
            co_return std::nullopt;
        }

        const std::string_view already_read(static_cast<const char*>(buffer.data().data()), buffer.size());
        auto upgraded_stream = co_await transport::async_accept_upgrade(std::move(stream), req, already_read, ws);
        if (!upgraded_stream) {
            log.info("WebSocket upgrade failed: {}", upgraded_stream.error().message());
            co_return std::nullopt;
        }
        co_return Result{std::move(*upgraded_stream), std::move(req)};
    }
}

}  // namespace

awaitable<std::optional<upgraded<transport::ws_stream>>> http_front(
    beast::tcp_stream stream, const http_front_options& front, const transport::websocket_options& ws,
    const async_http_handler& handler, const logger& log) {
    return run_front<upgraded<transport::ws_stream>>(std::move(stream), front, ws, handler, log);
}

awaitable<std::optional<upgraded<transport::wss_stream>>> http_front(
    beast::ssl_stream<beast::tcp_stream> stream, const http_front_options& front,
    const transport::websocket_options& ws, const async_http_handler& handler, const logger& log) {
    return run_front<upgraded<transport::wss_stream>>(std::move(stream), front, ws, handler, log);
}

}  // namespace sealed::detail
