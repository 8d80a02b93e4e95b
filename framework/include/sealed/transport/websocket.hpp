// WebSocket over TCP (ws) and over TLS (wss), Beast's layering:
//   websocket::stream<ssl_stream<tcp_stream>>; ws:// runs over draining_tcp_stream, a
//   tcp_stream whose close reads what the peer still sends (see draining_tcp_stream.hpp).
// The heavy templates are instantiated once, in src/transport/websocket.cpp.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/error.hpp>
#include <sealed/http.hpp>
#include <sealed/net.hpp>
#include <sealed/transport/draining_tcp_stream.hpp>
#include <sealed/url.hpp>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace sealed {

namespace websocket = boost::beast::websocket;

namespace transport {

struct websocket_options {
    std::size_t max_message_size = 1024 * 1024;
    std::chrono::steady_clock::duration upgrade_timeout = std::chrono::seconds(10);
    std::string user_agent = "sealed";
    // Beast's keepalive (clients): ping after half of idle_timeout without traffic, close after
    // idle_timeout. Zero: off (servers run their own keepalive with ping_interval).
    std::chrono::steady_clock::duration idle_timeout{};
    // Server: the subprotocol answered when the client offers it (empty: none is negotiated).
    std::string subprotocol;
};

template <class NextLayer>
class websocket_stream {
public:
    using next_layer_type = NextLayer;
    using native_type = websocket::stream<NextLayer>;
    using executor_type = typename native_type::executor_type;

    websocket_stream(native_type ws, std::string remote);
    websocket_stream(websocket_stream&&) noexcept = default;
    websocket_stream& operator=(websocket_stream&&) noexcept = default;

    awaitable<error_code> async_read(message_buffer& in);
    awaitable<error_code> async_write(const_bytes out, message_kind kind);
    awaitable<void> async_close(const close_reason& reason);
    std::string remote_endpoint() const { return remote_; }
    // Servers behind a proxy: the client the proxy named, in place of the TCP peer.
    void set_remote_endpoint(std::string remote) { remote_ = std::move(remote); }
    executor_type get_executor() noexcept { return ws_->get_executor(); }

    native_type& native() noexcept { return *ws_; }
    // The close frame the peer sent, once a read has failed with websocket::error::closed.
    std::optional<close_reason> peer_close_reason() const;
    void set_max_message_size(std::size_t n) { ws_->read_message_max(n); }
    // For a control callback, on a close frame, before Beast answers it. RFC 6455 §7.4.2 defines
    // codes up to 4999; Beast 1.81 echoes any code from 3000 up. An undefined one fails the
    // connection (RFC 6455 §7.1.7: the socket is shut, the echo is never written).
    void fail_if_close_code_undefined();

private:
    // Heap-allocated so the stream's address is stable while the object moves (coroutines
    // suspended inside Beast keep references to it).
    std::unique_ptr<native_type> ws_;
    std::string remote_;
};

using ws_stream = websocket_stream<draining_tcp_stream>;
using wss_stream = websocket_stream<beast::ssl_stream<beast::tcp_stream>>;
extern template class websocket_stream<draining_tcp_stream>;
extern template class websocket_stream<beast::ssl_stream<beast::tcp_stream>>;

// Server side: completes the upgrade of an HTTP request that has already been read (and
// admitted) on `stream`. The request must be a WebSocket upgrade; `already_read` is what the
// reader took from the stream past the request (frames a client sent with its upgrade), which
// the WebSocket stream reads first. Both are only read during the call.
awaitable<result<ws_stream>> async_accept_upgrade(beast::tcp_stream stream, const http_request& req,
                                                  std::string_view already_read,
                                                  const websocket_options& opts);
awaitable<result<wss_stream>> async_accept_upgrade(beast::ssl_stream<beast::tcp_stream> stream,
                                                   const http_request& req, std::string_view already_read,
                                                   const websocket_options& opts);

// Client side: resolve, connect, (TLS with SNI,) upgrade. The url's scheme picks ws or wss.
awaitable<result<ws_stream>> async_connect_ws(net::any_io_executor ex, const url& target,
                                              const websocket_options& opts);
awaitable<result<wss_stream>> async_connect_wss(net::any_io_executor ex, const url& target,
                                                net::ssl::context& tls,
                                                const websocket_options& opts);

// Connects TCP (with a deadline) to host:port; shared by every client transport.
awaitable<result<beast::tcp_stream>> async_connect_tcp(net::any_io_executor ex, const std::string& host,
                                                       std::uint16_t port,
                                                       std::chrono::steady_clock::duration timeout);

std::string to_string(const tcp_endpoint& ep);
// The peer of a connected stream as text ("unknown" when the socket no longer knows).
std::string remote_of(beast::tcp_stream& s);

}  // namespace transport

// Transport families: what server<> and client<> are parameterised on.
struct ws {
    using stream_type = transport::ws_stream;
    static constexpr bool is_websocket = true;
    static constexpr bool uses_tls = false;
    static constexpr std::string_view url_scheme = "ws";
};
struct wss {
    using stream_type = transport::wss_stream;
    static constexpr bool is_websocket = true;
    static constexpr bool uses_tls = true;
    static constexpr std::string_view url_scheme = "wss";
};

}  // namespace sealed
