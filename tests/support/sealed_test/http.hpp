// One HTTP request over a fresh loopback connection, for tests of HTTP routes; a gauge from a
// node's /metrics; waiting for a node's bus subscriptions.
#pragma once

#include <sealed/net.hpp>
#include <sealed/transport/websocket.hpp>

#include <sealed_test/run.hpp>

#include <boost/asio/this_coro.hpp>

#include <cctype>
#include <cstdlib>
#include <string>
#include <vector>

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

// A WebSocket upgrade request for `target` as clients send it (with a fixed, valid key).
inline sealed::http_request upgrade_request(std::string_view target) {
    namespace http = sealed::http;
    sealed::http_request req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    req.set(http::field::sec_websocket_version, "13");
    return req;
}

inline sealed::awaitable<sealed::http_response> http_get(std::uint16_t port, std::string_view target) {
    const sealed::http_request req{sealed::http::verb::get, target, 11};
    co_return co_await http_exchange(port, req);
}

// A metric's value from a node's /metrics (-1 when absent). `name` is matched at a line start.
inline sealed::awaitable<long> node_metric(unsigned short port, std::string_view name) {
    auto res = co_await http_get(port, "/metrics");
    const std::string body = "\n" + res.body();
    const std::string start = "\n" + std::string(name) + " ";  // labels and all: no regex
    const auto at = body.find(start);
    if (at == std::string::npos) co_return -1;
    const auto digits = body.c_str() + at + start.size();
    co_return std::isdigit(static_cast<unsigned char>(*digits)) ? std::strtol(digits, nullptr, 10) : -1;
}

// Polls until every node's pub/sub connection holds the bus's subscriptions: IGNIS's four, and
// sealed:bus too on a sealed bus.
inline sealed::awaitable<bool> all_subscribed(const std::vector<unsigned short>& ports, long expected = 4) {
    for (int round = 0; round < 200; ++round) {
        bool all = true;
        for (auto port : ports) all = all && co_await node_metric(port, "sealed_redis_subscriptions") == expected;
        if (all) co_return true;
        co_await sleep_for(std::chrono::milliseconds(20));
    }
    co_return false;
}

}  // namespace sealed_test
