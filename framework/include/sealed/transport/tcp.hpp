// Raw TCP transports:
//  - framed_stream: length-prefixed messages. Each message is a 4-byte big-endian header
//    (top bit = text, low 31 bits = length) followed by the payload.
//  - byte_stream: no framing; async_read yields whatever bytes arrived (libp2p pnet over TCP).
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/error.hpp>
#include <sealed/net.hpp>
#include <sealed/url.hpp>

#include <boost/beast/core/tcp_stream.hpp>

#include <array>
#include <chrono>
#include <string>

namespace sealed {
namespace transport {

struct tcp_options {
    std::size_t max_message_size = 1024 * 1024;  // framed: the largest length accepted
    std::size_t read_chunk = 16 * 1024;           // byte_stream: the largest chunk per read
    std::chrono::steady_clock::duration connect_timeout = std::chrono::seconds(10);
};

class framed_stream {
public:
    using executor_type = beast::tcp_stream::executor_type;
    static constexpr std::uint32_t text_flag = 0x8000'0000u;
    static constexpr std::size_t header_size = 4;

    framed_stream(beast::tcp_stream stream, tcp_options opts = {});
    framed_stream(framed_stream&&) noexcept = default;
    framed_stream& operator=(framed_stream&&) noexcept = default;

    // errc::message_too_big when the header announces more than max_message_size: the
    // connection is closed without reading (or buffering) the payload.
    awaitable<error_code> async_read(message_buffer& in);
    awaitable<error_code> async_write(const_bytes out, message_kind kind);
    awaitable<void> async_close(const close_reason& reason);
    std::string remote_endpoint() const { return remote_; }
    // Servers behind a proxy: the client the proxy named, in place of the TCP peer.
    void set_remote_endpoint(std::string remote) { remote_ = std::move(remote); }
    executor_type get_executor() noexcept { return stream_->get_executor(); }
    beast::tcp_stream& native() noexcept { return *stream_; }
    void set_max_message_size(std::size_t n) noexcept { options_.max_message_size = n; }

private:
    std::unique_ptr<beast::tcp_stream> stream_;
    tcp_options options_;
    std::string remote_;
};

class byte_stream {
public:
    using executor_type = beast::tcp_stream::executor_type;

    byte_stream(beast::tcp_stream stream, tcp_options opts = {});
    byte_stream(byte_stream&&) noexcept = default;
    byte_stream& operator=(byte_stream&&) noexcept = default;

    awaitable<error_code> async_read(message_buffer& in);  // 1 .. read_chunk bytes
    awaitable<error_code> async_write(const_bytes out, message_kind kind);
    awaitable<void> async_close(const close_reason& reason);
    std::string remote_endpoint() const { return remote_; }
    // Servers behind a proxy: the client the proxy named, in place of the TCP peer.
    void set_remote_endpoint(std::string remote) { remote_ = std::move(remote); }
    executor_type get_executor() noexcept { return stream_->get_executor(); }
    beast::tcp_stream& native() noexcept { return *stream_; }
    void set_max_message_size(std::size_t) noexcept {}  // a byte stream has no messages

private:
    std::unique_ptr<beast::tcp_stream> stream_;
    tcp_options options_;
    std::string remote_;
};

awaitable<result<framed_stream>> async_connect_framed(net::any_io_executor ex, const url& target,
                                                      const tcp_options& opts = {});
awaitable<result<byte_stream>> async_connect_bytes(net::any_io_executor ex, const url& target,
                                                   const tcp_options& opts = {});

}  // namespace transport

// Transport families for server<> and client<>: length-prefixed messages, and raw bytes.
struct tcp {
    using stream_type = transport::framed_stream;
    static constexpr bool is_websocket = false;
    static constexpr bool uses_tls = false;
    static constexpr std::string_view url_scheme = "tcp";
};
struct tcp_raw {
    using stream_type = transport::byte_stream;
    static constexpr bool is_websocket = false;
    static constexpr bool uses_tls = false;
    static constexpr std::string_view url_scheme = "tcp";
};

}  // namespace sealed
