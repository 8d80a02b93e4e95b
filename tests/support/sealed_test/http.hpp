// One HTTP request over a fresh loopback connection, for tests of HTTP routes.
#pragma once

#include <sealed/net.hpp>
#include <sealed/transport/websocket.hpp>

#include <boost/asio/this_coro.hpp>

namespace sealed_test {

// The request as built by the caller (target, method, headers); Host is set if missing. Taken
// by reference and copied: a by-value coroutine parameter from a temporary is destroyed twice
// by GCC 12 (ADR-0001).
inline sealed::awaitable<sealed::http_response> http_exchange(std::uint16_t port, const sealed::http_request& request) {
    auto req = request;
    namespace net = sealed::net;
    namespace http = sealed::http;
    sealed::beast::tcp_stream s(co_await net::this_coro::executor);
    s.expires_after(std::chrono::seconds(5));
    co_await s.async_connect(sealed::tcp_endpoint{net::ip::make_address("127.0.0.1"), port}, net::use_awaitable);
    if (req[http::field::host].empty()) req.set(http::field::host, "127.0.0.1");
    req.prepare_payload();
    co_await http::async_write(s, req, net::use_awaitable);
    sealed::beast::flat_buffer buf;
    sealed::http_response res;
    if (req.method() == http::verb::head) {
        http::response_parser<http::string_body> parser;
        parser.skip(true);
        co_await http::async_read(s, buf, parser, net::use_awaitable);
        res = parser.release();
    } else {
        co_await http::async_read(s, buf, res, net::use_awaitable);
    }
    co_return res;
}

inline sealed::awaitable<sealed::http_response> http_get(std::uint16_t port, std::string_view target) {
    const sealed::http_request req{sealed::http::verb::get, target, 11};
    co_return co_await http_exchange(port, req);
}

}  // namespace sealed_test
