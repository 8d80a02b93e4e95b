#include <sealed/transport/tcp.hpp>
#include <sealed/transport/websocket.hpp>  // async_connect_tcp, to_string(endpoint)

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace sealed::transport {
namespace {

constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

void close_socket(beast::tcp_stream& s) {
    boost::system::error_code ignored;
    s.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    s.socket().close(ignored);
}

}  // namespace

framed_stream::framed_stream(beast::tcp_stream stream, tcp_options opts)
    : stream_(std::make_unique<beast::tcp_stream>(std::move(stream))), options_(opts),
      remote_(remote_of(*stream_)) {
    boost::system::error_code ignored;
    stream_->socket().set_option(net::ip::tcp::no_delay(true), ignored);
}

awaitable<error_code> framed_stream::async_read(message_buffer& in) {
    std::array<byte, header_size> header;
    auto [hec, hn] = co_await net::async_read(*stream_, net::buffer(header), use_nothrow);
    (void)hn;
    if (hec) co_return hec;
    const std::uint32_t word = (std::uint32_t(header[0]) << 24) | (std::uint32_t(header[1]) << 16) |
                               (std::uint32_t(header[2]) << 8) | std::uint32_t(header[3]);
    const std::size_t length = word & ~text_flag;
    if (length > options_.max_message_size) {
        close_socket(*stream_);
        co_return errc::message_too_big;
    }
    auto body = in.resize(length);
    if (length != 0) {
        auto [bec, bn] = co_await net::async_read(*stream_, net::buffer(body.data(), body.size()), use_nothrow);
        (void)bn;
        if (bec) co_return bec;
    }
    in.set_kind((word & text_flag) ? message_kind::text : message_kind::binary);
    co_return error_code{};
}

awaitable<error_code> framed_stream::async_write(const_bytes out, message_kind kind) {
    if (out.size() > (text_flag - 1)) co_return errc::message_too_big;
    std::uint32_t word = static_cast<std::uint32_t>(out.size());
    if (kind == message_kind::text) word |= text_flag;
    const std::array<byte, header_size> header{byte(word >> 24), byte(word >> 16), byte(word >> 8), byte(word)};
    const std::array<net::const_buffer, 2> buffers{net::buffer(header), net::buffer(out.data(), out.size())};
    auto [ec, n] = co_await net::async_write(*stream_, buffers, use_nothrow);
    (void)n;
    co_return ec;
}

awaitable<void> framed_stream::async_close(const close_reason&) {
    close_socket(*stream_);
    co_return;
}

byte_stream::byte_stream(beast::tcp_stream stream, tcp_options opts)
    : stream_(std::make_unique<beast::tcp_stream>(std::move(stream))), options_(opts),
      remote_(remote_of(*stream_)) {
    boost::system::error_code ignored;
    stream_->socket().set_option(net::ip::tcp::no_delay(true), ignored);
}

awaitable<error_code> byte_stream::async_read(message_buffer& in) {
    in.clear();
    auto space = in.prepare(options_.read_chunk);
    auto [ec, n] = co_await stream_->async_read_some(net::buffer(space.data(), space.size()), use_nothrow);
    if (ec) co_return ec;
    in.commit(n);
    in.set_kind(message_kind::binary);
    co_return error_code{};
}

awaitable<error_code> byte_stream::async_write(const_bytes out, message_kind) {
    auto [ec, n] = co_await net::async_write(*stream_, net::buffer(out.data(), out.size()), use_nothrow);
    (void)n;
    co_return ec;
}

awaitable<void> byte_stream::async_close(const close_reason&) {
    close_socket(*stream_);
    co_return;
}

awaitable<result<framed_stream>> async_connect_framed(net::any_io_executor ex, const url& target,
                                                      const tcp_options& opts) {
    auto s = co_await async_connect_tcp(ex, target.host, target.port, opts.connect_timeout);
    if (!s) co_return s.error();
    co_return framed_stream(std::move(*s), opts);
}

awaitable<result<byte_stream>> async_connect_bytes(net::any_io_executor ex, const url& target,
                                                   const tcp_options& opts) {
    auto s = co_await async_connect_tcp(ex, target.host, target.port, opts.connect_timeout);
    if (!s) co_return s.error();
    co_return byte_stream(std::move(*s), opts);
}

}  // namespace sealed::transport
