#include <sealed/envelope/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace sealed::envelope {
namespace {
constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);
}

http_client::http_client(net::any_io_executor ex, std::string host, std::uint16_t port,
                         std::chrono::milliseconds request_timeout)
    : executor_(std::move(ex)), host_(std::move(host)), port_(port), timeout_(request_timeout) {}

awaitable<result<http_response>> http_client::async_roundtrip(http_request& req) {
    req.set(http::field::host, host_ + ":" + std::to_string(port_));
    req.keep_alive(true);
    req.prepare_payload();
    // A kept-alive connection the server closed meanwhile fails on first use: retry once fresh.
    for (int attempt = 0; attempt < 2; ++attempt) {
        const bool reused = stream_.has_value();
        if (!stream_) {
            stream_.emplace(executor_);
            stream_->expires_after(timeout_);
            const tcp_endpoint endpoint(net::ip::make_address(host_), port_);
            auto [ec] = co_await stream_->async_connect(endpoint, use_nothrow);
            if (ec) {
                stream_.reset();
                co_return ec;
            }
        }
        stream_->expires_after(timeout_);
        auto [wec, wn] = co_await http::async_write(*stream_, req, use_nothrow);
        (void)wn;
        http_response res;
        error_code ec = wec;
        if (!ec) {
            http::response_parser<http::string_body> parser;
            parser.body_limit(16 * 1024 * 1024);
            auto [rec, rn] = co_await http::async_read(*stream_, buffer_, parser, use_nothrow);
            (void)rn;
            ec = rec;
            if (!ec) res = parser.release();
        }
        if (ec) {
            stream_.reset();
            buffer_.clear();
            if (reused && attempt == 0) continue;
            co_return ec;
        }
        if (!res.keep_alive()) {
            stream_.reset();
            buffer_.clear();
        }
        co_return res;
    }
    co_return make_error_code(errc::transport_closed);
}

awaitable<error_code> http_client::async_fetch_keys(std::string_view path) {
    http_request req{http::verb::get, path, 11};
    auto res = co_await async_roundtrip(req);
    if (!res) co_return res.error();
    last_status_ = res->result_int();
    if (last_status_ != 200) co_return make_error_code(error::bad_key_file);
    auto keys = parse_jwks(res->body());
    if (!keys) co_return keys.error();
    keys_ = std::move(*keys);
    co_return error_code{};
}

awaitable<result<raw_response>> http_client::async_get(std::string_view path) {
    http_request req{http::verb::get, path, 11};
    auto res = co_await async_roundtrip(req);
    if (!res) co_return res.error();
    last_status_ = res->result_int();
    co_return raw_response{last_status_, std::move(res->body())};
}

awaitable<result<raw_response>> http_client::async_post_raw(std::string_view path, std::string_view body) {
    http_request req{http::verb::post, path, 11};
    req.set(http::field::content_type, "application/json");
    req.body() = std::string(body);
    auto res = co_await async_roundtrip(req);
    if (!res) co_return res.error();
    last_status_ = res->result_int();
    co_return raw_response{last_status_, std::move(res->body())};
}

awaitable<result<api_response>> http_client::async_post(std::string_view path, std::string_view plaintext) {
    if (keys_.empty()) throw std::logic_error("envelope::http_client: fetch the server's keys first");
    auto pending = seal_request(keys_.front(), as_bytes(plaintext));
    if (!pending) co_return pending.error();
    auto res = co_await async_post_raw(path, pending->body());
    if (!res) co_return res.error();
    if (auto code = refusal_code(res->body)) {
        auto e = error_from_code(*code);
        co_return make_error_code(e ? *e : error::malformed_envelope);
    }
    auto plain = pending->open_response(res->body);
    if (!plain) co_return plain.error();
    co_return api_response{res->status, std::move(*plain)};
}

}  // namespace sealed::envelope
