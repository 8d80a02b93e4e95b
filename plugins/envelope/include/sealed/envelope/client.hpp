// A C++ client for envelope APIs over HTTP: fetches the server's JWKS, seals each request to the
// first published key, POSTs it on a keep-alive connection and opens the sealed response.
// The sealing is seal.hpp's, the same code the server opens with.
#pragma once

#include <sealed/envelope/seal.hpp>
#include <sealed/http.hpp>
#include <sealed/net.hpp>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <optional>
#include <string>
#include <vector>

namespace sealed::envelope {

struct api_response {
    unsigned status = 0;
    bytes plaintext;
    std::string text() const { return std::string(as_string_view(plaintext)); }
};

struct raw_response {
    unsigned status = 0;
    std::string body;
};

class http_client {
public:
    http_client(net::any_io_executor ex, std::string host, std::uint16_t port,
                std::chrono::milliseconds request_timeout = std::chrono::seconds(5));

    // GET /.well-known/sealed-keys; the keys must parse and their kids match their thumbprints.
    awaitable<error_code> async_fetch_keys(std::string_view path = "/.well-known/sealed-keys");
    const std::vector<server_public_key>& keys() const noexcept { return keys_; }
    void set_keys(std::vector<server_public_key> keys) { keys_ = std::move(keys); }

    // Seals to keys()[0] and opens the reply. A refusal comes back as its envelope::error
    // (replayed_nonce, stale_timestamp, ...); the HTTP status is then in last_status().
    awaitable<result<api_response>> async_post(std::string_view path, std::string_view plaintext);
    // Sends `body` as it is (a test's tampered or replayed envelope); any status is a result.
    awaitable<result<raw_response>> async_post_raw(std::string_view path, std::string_view body);
    // A plain GET (/health, /metrics): the status and body as they are.
    awaitable<result<raw_response>> async_get(std::string_view path);
    unsigned last_status() const noexcept { return last_status_; }

private:
    awaitable<result<http_response>> async_roundtrip(http_request& req);

    net::any_io_executor executor_;
    std::string host_;
    std::uint16_t port_;
    std::chrono::milliseconds timeout_;
    std::optional<beast::tcp_stream> stream_;
    beast::flat_buffer buffer_;
    std::vector<server_public_key> keys_;
    unsigned last_status_ = 0;
};

}  // namespace sealed::envelope
