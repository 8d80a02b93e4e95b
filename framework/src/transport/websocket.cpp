#include <sealed/transport/websocket.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/detail/frame.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>

namespace sealed::transport {
namespace {

constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

// The first read of a message takes at most first_read_bytes (see max_size() below): less held
// by every quiet connection, for one more pass through Beast's read loop (a post) for messages
// over 256 bytes (both figures: docs/benchmarks.md, "Memory per idle connection"). A buffer a big message grew past
// retained_read_capacity is given back before waiting for the next one; smaller ones are kept
// so busy connections do not allocate per message.
constexpr std::size_t first_read_bytes = 256;
constexpr std::size_t retained_read_capacity = 4 * 1024;

// DynamicBuffer (v1) over a message_buffer so Beast reads straight into the connection's
// reusable buffer: no copy per message.
class message_dynamic_buffer {
public:
    using const_buffers_type = net::const_buffer;
    using mutable_buffers_type = net::mutable_buffer;

    message_dynamic_buffer(message_buffer& b, std::size_t max) : buffer_(b), max_(max) {}
    std::size_t size() const noexcept { return buffer_.size(); }
    // Memory per idle connection: Beast sizes its first prepare() by max_size() (at most
    // 1 536 bytes), made before the message arrives and held while the connection is quiet.
    // Until the first bytes are in, the limit says first_read_bytes; once the frame header is
    // read, Beast prepares what is left of the message. Overflow is still read_message_max's.
    std::size_t max_size() const noexcept { return buffer_.size() == 0 ? std::min(max_, first_read_bytes) : max_; }
    std::size_t capacity() const noexcept { return buffer_.capacity(); }
    const_buffers_type data() const noexcept { return {buffer_.data(), buffer_.size()}; }
    mutable_buffers_type data() noexcept { return {buffer_.data(), buffer_.size()}; }
    mutable_buffers_type prepare(std::size_t n) {
        if (n > max_ - std::min(max_, buffer_.size())) throw std::length_error("message_dynamic_buffer overflow");
        auto span = buffer_.prepare(n);
        return {span.data(), span.size()};
    }
    void commit(std::size_t n) noexcept { buffer_.commit(n); }
    void consume(std::size_t n) noexcept {
        n = std::min(n, buffer_.size());
        auto rest = buffer_.size() - n;
        if (rest != 0) std::memmove(buffer_.data(), buffer_.data() + n, rest);
        buffer_.resize(rest);
    }

private:
    message_buffer& buffer_;
    std::size_t max_;
};

// `answer`: the Sec-WebSocket-Protocol a server's 101 carries (empty: none).
void configure(auto& ws, const websocket_options& opts, beast::role_type role, std::string_view answer = {}) {
    // Whole messages in one frame and one write: Beast's 4 KiB auto-fragment would split a
    // 16 KiB message into four writes (DESIGN.md §5). permessage-deflate stays off.
    ws.auto_fragment(false);
    ws.write_buffer_bytes(64 * 1024);
    ws.read_message_max(opts.max_message_size);
    websocket::stream_base::timeout t{};
    t.handshake_timeout = opts.upgrade_timeout;
    // Servers run their own keepalive (ping_interval/pong_timeout); clients may use Beast's.
    const bool keepalive = opts.idle_timeout > std::chrono::steady_clock::duration::zero();
    t.idle_timeout = keepalive ? opts.idle_timeout : websocket::stream_base::none();
    t.keep_alive_pings = keepalive;
    ws.set_option(t);
    const std::string agent = opts.user_agent;
    if (role == beast::role_type::server)
        ws.set_option(websocket::stream_base::decorator([agent, protocol = std::string(answer)](websocket::response_type& res) {
            res.set(http::field::server, agent);
            if (!protocol.empty()) res.set(http::field::sec_websocket_protocol, protocol);
        }));
    else
        ws.set_option(websocket::stream_base::decorator(
            [agent](websocket::request_type& req) { req.set(http::field::user_agent, agent); }));
}

void set_nodelay(beast::tcp_stream& s) {
    boost::system::error_code ignored;
    s.socket().set_option(net::ip::tcp::no_delay(true), ignored);
}

}  // namespace

std::string remote_of(beast::tcp_stream& s) {
    boost::system::error_code ec;
    auto ep = s.socket().remote_endpoint(ec);
    return ec ? std::string("unknown") : to_string(ep);
}

std::string to_string(const tcp_endpoint& ep) {
    auto addr = ep.address();
    return (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" + std::to_string(ep.port());
}

template <class NextLayer>
websocket_stream<NextLayer>::websocket_stream(native_type ws, std::string remote)
    : ws_(std::make_unique<native_type>(std::move(ws))), remote_(std::move(remote)) {}

template <class NextLayer>
awaitable<error_code> websocket_stream<NextLayer>::async_read(message_buffer& in) {
    in.clear();
    if (in.capacity() > retained_read_capacity) in.shrink(0);
    message_dynamic_buffer buf(in, ws_->read_message_max() ? ws_->read_message_max() : std::size_t(-1));
    auto [ec, n] = co_await ws_->async_read(buf, use_nothrow);
    (void)n;
    // read_message_max refuses a message as message_too_big; the buffer's own bound (the same
    // number) would report websocket::error::buffer_overflow.
    if (ec == websocket::error::message_too_big || ec == websocket::error::buffer_overflow) co_return errc::message_too_big;
    if (ec) co_return ec;
    in.set_kind(ws_->got_text() ? message_kind::text : message_kind::binary);
    co_return error_code{};
}

template <class NextLayer>
awaitable<error_code> websocket_stream<NextLayer>::async_write(const_bytes out, message_kind kind) {
    ws_->text(kind == message_kind::text);
    auto [ec, n] = co_await ws_->async_write(net::buffer(out.data(), out.size()), use_nothrow);
    (void)n;
    co_return ec;
}

template <class NextLayer>
awaitable<void> websocket_stream<NextLayer>::async_close(const close_reason& reason) {
    boost::system::error_code ignored;
    // Beast reports a stream closed once an operation on it failed or was cancelled (a write
    // that timed out): no close frame can go out, but the socket is still open and would hold
    // its fd and its max_connections slot until the keepalive noticed.
    if (!ws_->is_open()) {
        beast::get_lowest_layer(*ws_).socket().close(ignored);
        co_return;
    }
    // A close frame holds 125 bytes: the code and at most 123 of reason. Codes RFC 6455 forbids
    // on the wire (1004 reserved, 1005/1006/1015 local-only) make Beast, browsers and gorilla
    // fail the connection, so they go out as 1001 (going away) with the reason text kept.
    const bool sendable = websocket::detail::is_valid_close_code(reason.code);
    websocket::close_reason cr(sendable ? static_cast<websocket::close_code>(reason.code)
                                        : websocket::close_code::going_away,
                               std::string_view(reason.reason).substr(0, 123));
    // Bounded: a peer that never answers the close frame must not hold the coroutine.
    beast::get_lowest_layer(*ws_).expires_after(std::chrono::seconds(5));
    auto [ec] = co_await ws_->async_close(cr, use_nothrow);
    (void)ec;
    beast::get_lowest_layer(*ws_).expires_never();
    beast::get_lowest_layer(*ws_).socket().close(ignored);
}

template <class NextLayer>
std::optional<close_reason> websocket_stream<NextLayer>::peer_close_reason() const {
    const auto& r = ws_->reason();
    if (r.code == websocket::close_code::none) return std::nullopt;
    return close_reason{static_cast<std::uint16_t>(r.code), std::string(r.reason.c_str())};
}

template <class NextLayer>
void websocket_stream<NextLayer>::fail_if_close_code_undefined() {
    if (ws_->reason().code < 5000) return;
    boost::system::error_code ignored;
    beast::get_lowest_layer(*ws_).socket().shutdown(net::socket_base::shutdown_both, ignored);
}

template class websocket_stream<draining_tcp_stream>;
template class websocket_stream<beast::ssl_stream<beast::tcp_stream>>;

namespace {
// Beast hands bytes to a new stream only through accept(buffers), which parses the request
// from them again. The request it needs is just the handshake's fields (the front has read and
// admitted the real one); what follows it is the start of the first frames.
std::string replay_of_upgrade(const http_request& req, std::string_view already_read) {
    std::string out = "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nHost: ";
    out.append(req[http::field::host]);
    out.append("\r\nSec-WebSocket-Version: ");
    out.append(req[http::field::sec_websocket_version]);
    out.append("\r\nSec-WebSocket-Key: ");
    out.append(req[http::field::sec_websocket_key]);
    out.append("\r\n\r\n");
    out.append(already_read);
    return out;
}

template <class Next>
awaitable<result<websocket_stream<Next>>> accept_upgrade(Next stream, const http_request& req,
                                                         std::string_view already_read,
                                                         const websocket_options& opts) {
    auto remote = remote_of(beast::get_lowest_layer(stream));
    set_nodelay(beast::get_lowest_layer(stream));
    beast::get_lowest_layer(stream).expires_never();  // the websocket timeout option takes over
    websocket::stream<Next> ws(std::move(stream));
    const auto offered = offered_subprotocols(req);
    const bool answer = !opts.subprotocol.empty() &&
                        std::find(offered.begin(), offered.end(), opts.subprotocol) != offered.end();
    configure(ws, opts, beast::role_type::server, answer ? std::string_view(opts.subprotocol) : std::string_view{});
    error_code ec;
    if (already_read.empty()) {
        std::tie(ec) = co_await ws.async_accept(req, use_nothrow);
    } else {
        // Beast's read buffer holds one TCP frame's worth (1 536 bytes): more than that sent
        // with the upgrade is refused as buffer_overflow rather than dropped.
        const std::string replay = replay_of_upgrade(req, already_read);
        std::tie(ec) = co_await ws.async_accept(net::buffer(replay), use_nothrow);
    }
    if (ec) co_return ec;
    co_return websocket_stream<Next>(std::move(ws), std::move(remote));
}
}  // namespace

awaitable<result<ws_stream>> async_accept_upgrade(beast::tcp_stream stream, const http_request& req,
                                                  std::string_view already_read,
                                                  const websocket_options& opts) {
    return accept_upgrade(draining_tcp_stream(std::move(stream)), req, already_read, opts);
}

awaitable<result<wss_stream>> async_accept_upgrade(beast::ssl_stream<beast::tcp_stream> stream,
                                                   const http_request& req, std::string_view already_read,
                                                   const websocket_options& opts) {
    return accept_upgrade(std::move(stream), req, already_read, opts);
}

awaitable<result<beast::tcp_stream>> async_connect_tcp(net::any_io_executor ex, const std::string& host,
                                                       std::uint16_t port,
                                                       std::chrono::steady_clock::duration timeout) {
    net::ip::tcp::resolver resolver(ex);
    // tcp_stream's variadic constructor hides result's error constructor: say which one we mean.
    using outcome = result<beast::tcp_stream>;
    auto [rec, results] = co_await resolver.async_resolve(host, std::to_string(port), use_nothrow);
    if (rec) co_return outcome(boost::system::in_place_error, rec);
    beast::tcp_stream stream(ex);
    stream.expires_after(timeout);
    auto [cec, ep] = co_await stream.async_connect(results, use_nothrow);
    (void)ep;
    if (cec) co_return outcome(boost::system::in_place_error, cec);
    stream.expires_never();
    set_nodelay(stream);
    co_return std::move(stream);
}

awaitable<result<ws_stream>> async_connect_ws(net::any_io_executor ex, const url& target,
                                              const websocket_options& opts) {
    auto tcp = co_await async_connect_tcp(ex, target.host, target.port, opts.upgrade_timeout);
    if (!tcp) co_return tcp.error();
    auto remote = remote_of(*tcp);
    websocket::stream<draining_tcp_stream> ws(draining_tcp_stream(std::move(*tcp)));
    configure(ws, opts, beast::role_type::client);
    auto [ec] = co_await ws.async_handshake(target.host_header(), target.target, use_nothrow);
    if (ec) co_return ec;
    co_return ws_stream(std::move(ws), std::move(remote));
}

awaitable<result<wss_stream>> async_connect_wss(net::any_io_executor ex, const url& target,
                                                net::ssl::context& tls, const websocket_options& opts) {
    auto tcp = co_await async_connect_tcp(ex, target.host, target.port, opts.upgrade_timeout);
    if (!tcp) co_return tcp.error();
    auto remote = remote_of(*tcp);
    beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(*tcp), tls);
    // Verify the certificate against what we dialled (a no-op with verify_none). An IP literal
    // is matched against the certificate's IP SANs and is never sent as SNI (RFC 6066 §3).
    boost::system::error_code ip_ec;
    net::ip::make_address(target.host, ip_ec);
    if (!ip_ec) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls_stream.native_handle()), target.host.c_str());
    } else {
        if (!SSL_set_tlsext_host_name(tls_stream.native_handle(), target.host.c_str()))
            co_return make_error_code(errc::invalid_argument);
        SSL_set1_host(tls_stream.native_handle(), target.host.c_str());
    }
    beast::get_lowest_layer(tls_stream).expires_after(opts.upgrade_timeout);
    auto [hec] = co_await tls_stream.async_handshake(net::ssl::stream_base::client, use_nothrow);
    if (hec) co_return hec;
    beast::get_lowest_layer(tls_stream).expires_never();
    websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(std::move(tls_stream));
    configure(ws, opts, beast::role_type::client);
    auto [ec] = co_await ws.async_handshake(target.host_header(), target.target, use_nothrow);
    if (ec) co_return ec;
    co_return wss_stream(std::move(ws), std::move(remote));
}

}  // namespace sealed::transport
