// The TCP stream under ws:// connections: Beast's tcp_stream, with a WebSocket teardown that
// reads what the peer is still sending before it closes the socket.
//
// Why: when a server refuses a frame (1009 for one over the size limit), Beast sends the close
// frame and tears the connection down. Beast 1.81's teardown stops reading after the first
// read_some (its loop tests the operation's bytes_transferred parameter, which is 0, instead of
// what the read returned), so a peer still writing a large message leaves bytes unread; closing
// a socket with unread bytes makes the kernel send a reset, and the reset discards the close
// frame before the peer reads it. The peer then sees "broken pipe" instead of 1009.
// Beast finds async_teardown by argument-dependent lookup on the stream type; this overload for
// draining_tcp_stream is the most specialised match (without it Beast's catch-all template,
// which rejects unknown streams, would be chosen over the one for basic_stream).
#pragma once

#include <sealed/error.hpp>
#include <sealed/net.hpp>

#include <boost/asio/compose.hpp>
#include <boost/asio/coroutine.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <array>
#include <chrono>
#include <memory>

namespace sealed::transport {

class draining_tcp_stream : public beast::tcp_stream {
public:
    // A peer may make the server read this much, for this long, after the close frame; then the
    // socket is closed whatever is left (and the peer gets its reset).
    static constexpr std::size_t drain_limit = 16 * 1024 * 1024;
    static constexpr std::chrono::seconds drain_timeout{2};

    using beast::tcp_stream::tcp_stream;
    explicit draining_tcp_stream(beast::tcp_stream&& stream) : beast::tcp_stream(std::move(stream)) {}
};

namespace detail {

// Server: half-close, then read and discard until the peer closes (or the limits above).
// Client: read until the server closes, then half-close (RFC 6455 §7.1.1: the server closes first).
class drain_then_close_op : public net::coroutine {
public:
    drain_then_close_op(draining_tcp_stream& stream, beast::role_type role)
        : stream_(stream), role_(role), buffer_(std::make_unique_for_overwrite<std::array<char, 64 * 1024>>()) {}

    // Always completes without an error: the socket is closed either way, and Beast reports a
    // teardown error in place of the one that started the close (message_too_big would become
    // a timeout or a reset from a peer that went away meanwhile).
    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
        BOOST_ASIO_CORO_REENTER(*this) {
            if (role_ == beast::role_type::server) stream_.socket().shutdown(net::socket_base::shutdown_send, ec);
            if (ec) {
                // Complete through the executor, never inside the call that started us.
                BOOST_ASIO_CORO_YIELD net::post(stream_.get_executor(), std::move(self));
                return finish(self);
            }
            stream_.expires_after(draining_tcp_stream::drain_timeout);
            do {
                BOOST_ASIO_CORO_YIELD stream_.async_read_some(net::buffer(*buffer_), std::move(self));
                drained_ += n;
            } while (!ec && n != 0 && drained_ < draining_tcp_stream::drain_limit);
            if (role_ == beast::role_type::client)
                stream_.socket().shutdown(net::socket_base::shutdown_send, ec);
            finish(self);
        }
    }

private:
    template <class Self>
    void finish(Self& self) {
        stream_.expires_never();  // also drops the 5 s bound websocket_stream::async_close set: we are done
        error_code ignored;
        stream_.socket().close(ignored);
        self.complete(error_code{});
    }

    draining_tcp_stream& stream_;
    beast::role_type role_;
    std::unique_ptr<std::array<char, 64 * 1024>> buffer_;  // stable while the op object moves
    std::size_t drained_ = 0;
};

}  // namespace detail

template <class TeardownHandler>
void async_teardown(beast::role_type role, draining_tcp_stream& stream, TeardownHandler&& handler) {
    net::async_compose<TeardownHandler, void(error_code)>(detail::drain_then_close_op(stream, role), handler,
                                                          stream);
}

// The synchronous form: Beast's for the socket (its synchronous loop reads until the end, with
// no bound; sealed uses only the asynchronous one).
inline void teardown(beast::role_type role, draining_tcp_stream& stream, error_code& ec) {
    beast::websocket::teardown(role, stream.socket(), ec);
}

}  // namespace sealed::transport
