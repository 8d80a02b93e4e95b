// The client address behind proxies, over real sockets (issue 31): the PROXY protocol (v1, v2,
// from raw sockets and from a real HAProxy with send-proxy/send-proxy-v2), X-Forwarded-For from
// a trusted proxy (and not from anyone else), and the per-address handshake rate. The client
// address is what the limits count and what the session's remote_endpoint() says.
#include "runtime_fixture.hpp"

#include <sealed_test/cluster.hpp>
#include <sealed_test/http.hpp>

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace {

using namespace runtime_fixture;

// Tells each session where the server thinks it comes from, then echoes.
awaitable<void> tell_remote(connection_t& c) {
    const auto who = c.remote_endpoint();
    c.send(bytes(who.begin(), who.end()), message_kind::text);
    co_await echo(c);
}

// An upgrade to /ws as bytes (to be written behind a PROXY header in one write).
std::string upgrade_text(std::string_view forwarded_for = {}) {
    auto req = sealed_test::upgrade_request("/ws");
    if (!forwarded_for.empty()) req.set("X-Forwarded-For", forwarded_for);
    std::ostringstream out;
    out << req;
    return out.str();
}

// A v2 header naming 203.0.113.<last>:5000 (TCP over IPv4) as the client.
std::string v2_header(std::uint8_t last) {
    return std::string{'\x0D', '\x0A', '\x0D', '\x0A', '\x00', '\x0D', '\x0A', '\x51', '\x55', '\x49', '\x54', '\x0A',
                       '\x21', '\x11', '\x00', '\x0C', '\xCB', '\x00', '\x71', static_cast<char>(last),
                     '\x7F', '\x00', '\x00', '\x01', '\x13', '\x88', '\x23', '\x82'};
}

net::ip::tcp::socket socket_from(net::io_context& io, const char* source) {
    net::ip::tcp::socket s(io);
    s.open(net::ip::tcp::v4());
    s.bind({net::ip::make_address(source), 0});
    return s;
}

// `written` in one write from `source`; the HTTP status that comes back (0: the server closed
// without an answer). Callers name their strings: no temporaries in co_await (ADR-0001).
awaitable<unsigned> upgrade_status(net::io_context& io, std::uint16_t port, const char* source, std::string_view written,
                                   std::string* retry_after = nullptr, const char* host = "127.0.0.1") {
    beast::tcp_stream stream(socket_from(io, source));
    stream.expires_after(5s);
    co_await stream.async_connect(tcp_endpoint{net::ip::make_address(host), port}, net::use_awaitable);
    co_await net::async_write(stream, net::buffer(written.data(), written.size()), net::use_awaitable);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    auto [ec, n] = co_await http::async_read(stream, buffer, res, nothrow);
    if (ec) co_return 0;
    if (retry_after) *retry_after = std::string(res[http::field::retry_after]);
    co_return static_cast<unsigned>(res.result_int());
}

// A named-scheme session from `source` (with an X-Forwarded-For, if given): what the server
// says our address is, our own port, and the stream (kept open by the caller).
struct probe {
    std::optional<websocket::stream<beast::tcp_stream>> ws;
    std::string seen;
    std::uint16_t local_port = 0;
};

awaitable<probe> open_probe(net::io_context& io, std::uint16_t port, const char* source,
                            std::string_view forwarded_for = {}, const char* host = "127.0.0.1") {
    probe p;
    p.ws.emplace(socket_from(io, source));
    auto& ws = *p.ws;
    const std::string xff(forwarded_for);
    ws.set_option(websocket::stream_base::decorator([xff](websocket::request_type& req) {
        if (!xff.empty()) req.set("X-Forwarded-For", xff);
    }));
    beast::get_lowest_layer(ws).expires_after(5s);
    co_await beast::get_lowest_layer(ws).async_connect(tcp_endpoint{net::ip::make_address(host), port},
                                                       net::use_awaitable);
    p.local_port = beast::get_lowest_layer(ws).socket().local_endpoint().port();
    auto [ec] = co_await ws.async_handshake("127.0.0.1", "/ws", nothrow);
    if (ec) co_return p;
    ws.text(true);
    co_await ws.async_write(net::buffer(std::string_view("hello probe")), net::use_awaitable);
    beast::flat_buffer ok, who;
    co_await ws.async_read(ok, net::use_awaitable);
    co_await ws.async_read(who, net::use_awaitable);
    p.seen = beast::buffers_to_string(who.data());
    co_return p;
}

TEST(proxy_protocol, the_header_and_the_upgrade_in_one_write_name_the_client_the_limits_count) {
    fixture f;
    f.cfg.proxy_protocol = true;
    f.cfg.max_connections_per_ip = 1;
    f.start(tell_remote);
    run(f.io, [&]() -> awaitable<void> {
        // Held open (status 101) while the next ones come: the same client is over its share.
        beast::tcp_stream held(socket_from(f.io, "127.0.0.1"));
        co_await held.async_connect(tcp_endpoint{net::ip::make_address("127.0.0.1"), f.port}, net::use_awaitable);
        const auto first = v2_header(7) + upgrade_text();
        co_await net::async_write(held, net::buffer(first), net::use_awaitable);
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        co_await http::async_read(held, buffer, res, net::use_awaitable);
        EXPECT_EQ(res.result(), http::status::switching_protocols);
        std::string retry;
        EXPECT_EQ(co_await upgrade_status(f.io, f.port, "127.0.0.1", first, &retry), 429u);
        EXPECT_EQ(retry, "1");
        // Another client behind the same proxy, in a v1 header.
        const auto other = "PROXY TCP4 203.0.113.8 127.0.0.1 5001 9000\r\n" + upgrade_text();
        EXPECT_EQ(co_await upgrade_status(f.io, f.port, "127.0.0.1", other), 101u);
        EXPECT_EQ(f.srv->stats().refused_per_ip, 1u);
    }());
}

TEST(proxy_protocol, a_connection_without_a_valid_header_is_closed_and_the_rest_are_served) {
    fixture f;
    f.cfg.proxy_protocol = true;
    f.cfg.trusted_proxies = {"127.0.0.1"};
    f.cfg.handshake_timeout = 300ms;
    f.start(tell_remote);
    run(f.io, [&]() -> awaitable<void> {
        const auto plain = upgrade_text();
        const auto nonsense = "PROXY TCP4 nonsense\r\n" + plain;
        const auto proper = v2_header(1) + plain;
        EXPECT_EQ(co_await upgrade_status(f.io, f.port, "127.0.0.1", plain), 0u) << "no header";
        EXPECT_EQ(co_await upgrade_status(f.io, f.port, "127.0.0.1", nonsense), 0u);
        // Not a trusted proxy: closed before anything is read.
        EXPECT_EQ(co_await upgrade_status(f.io, f.port, "127.0.0.2", proper), 0u);
        // A header that never comes: closed at handshake_timeout.
        beast::tcp_stream silent(socket_from(f.io, "127.0.0.1"));
        co_await silent.async_connect(tcp_endpoint{net::ip::make_address("127.0.0.1"), f.port}, net::use_awaitable);
        const auto begun = std::chrono::steady_clock::now();
        std::array<char, 16> sink;
        silent.expires_after(3s);
        auto [eof, n] = co_await silent.async_read_some(net::buffer(sink), nothrow);
        EXPECT_EQ(eof, net::error::eof);
        EXPECT_LT(std::chrono::steady_clock::now() - begun, 2s);
        // A header that trickles in a byte at a time still makes it; the session sees its client.
        beast::tcp_stream slow(socket_from(f.io, "127.0.0.1"));
        co_await slow.async_connect(tcp_endpoint{net::ip::make_address("127.0.0.1"), f.port}, net::use_awaitable);
        const std::string line = "PROXY TCP6 2001:db8::5 ::1 6000 9000\r\n";
        for (char ch : line) {
            co_await net::async_write(slow, net::buffer(&ch, 1), net::use_awaitable);
            co_await sleep_for(2ms);
        }
        co_await net::async_write(slow, net::buffer(plain), net::use_awaitable);
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        co_await http::async_read(slow, buffer, res, net::use_awaitable);
        EXPECT_EQ(res.result(), http::status::switching_protocols);
        EXPECT_EQ(f.srv->stats().refused_proxy_protocol, 4u);
    }());
}

TEST(trusted_proxies, x_forwarded_for_names_the_client_only_from_a_trusted_peer) {
    fixture f;
    f.cfg.trusted_proxies = {"127.0.0.1/32"};
    f.cfg.max_connections_per_ip = 1;
    f.start(tell_remote);
    run(f.io, [&]() -> awaitable<void> {
        auto proxied = co_await open_probe(f.io, f.port, "127.0.0.1", "6.6.6.6, 198.51.100.1");
        EXPECT_EQ(proxied.seen, "198.51.100.1:0");
        const auto same = upgrade_text("198.51.100.1"), another = upgrade_text("198.51.100.2");
        EXPECT_EQ(co_await upgrade_status(f.io, f.port, "127.0.0.1", same), 429u);
        EXPECT_EQ(co_await upgrade_status(f.io, f.port, "127.0.0.1", another), 101u);
        // 127.0.0.3 is no proxy of ours: what it claims is ignored.
        auto forged = co_await open_probe(f.io, f.port, "127.0.0.3", "198.51.100.1");
        EXPECT_EQ(forged.seen, "127.0.0.3:" + std::to_string(forged.local_port));
    }());
}

TEST(handshake_rate_per_ip, past_the_burst_an_address_gets_429_with_retry_after) {
    fixture f;
    f.cfg.handshake_rate_per_ip = {3, 0.5};
    f.start(tell_remote);
    run(f.io, [&]() -> awaitable<void> {
        const auto plain = upgrade_text();
        for (int i = 0; i < 3; ++i) EXPECT_EQ(co_await upgrade_status(f.io, f.port, "127.0.0.1", plain), 101u);
        std::string retry;
        EXPECT_EQ(co_await upgrade_status(f.io, f.port, "127.0.0.1", plain, &retry), 429u);
        EXPECT_EQ(retry, "2");
        EXPECT_EQ(co_await upgrade_status(f.io, f.port, "127.0.0.2", plain), 101u);
        EXPECT_EQ(co_await sealed_test::node_metric(f.port, "sealed_connections_refused_total{reason=\"handshake_rate\"}"),
                  1);
    }());
}

// HAProxy in front: tcp mode with send-proxy-v2 and send-proxy to one server, http mode with
// `option forwardfor` to another. Each session is told its own address and port. HAProxy listens
// on an address of its own (127.0.0.5), so no other test's port can be taken meanwhile.
constexpr const char* haproxy_host = "127.0.0.5";

bool haproxy_listens(std::uint16_t port) {
    net::io_context io;
    net::ip::tcp::socket s(io);
    boost::system::error_code ec;
    s.connect({net::ip::make_address(haproxy_host), port}, ec);
    return !ec;
}

TEST(haproxy, send_proxy_v2_v1_and_forwardfor_reach_the_server_as_the_client) {
    std::string why;
    if (!sealed_test::chat_cluster::available(&why)) GTEST_SKIP() << why;
    fixture direct, forwarded;
    direct.cfg.proxy_protocol = true;
    direct.cfg.trusted_proxies = {"127.0.0.1"};
    direct.cfg.max_connections_per_ip = 1;
    direct.start(tell_remote);
    forwarded.cfg.trusted_proxies = {"127.0.0.1"};
    forwarded.start(tell_remote);
    const auto v2_port = sealed_test::free_loopback_port(), v1_port = sealed_test::free_loopback_port(),
               http_port = sealed_test::free_loopback_port();
    sealed_test::temp_dir dir("sealed-haproxy-");
    std::filesystem::create_directories(dir.path);
    {
        std::ofstream cfg(dir.path / "haproxy.cfg");
        cfg << "global\n  maxconn 64\n"
            << "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 10s\n  timeout server 10s\n"
            << "  timeout tunnel 10s\n"
            << "frontend v2\n  bind " << haproxy_host << ":" << v2_port << "\n  default_backend v2\n"
            << "backend v2\n  server s 127.0.0.1:" << direct.port << " send-proxy-v2\n"
            << "frontend v1\n  bind " << haproxy_host << ":" << v1_port << "\n  default_backend v1\n"
            << "backend v1\n  server s 127.0.0.1:" << direct.port << " send-proxy\n"
            << "frontend web\n  mode http\n  option forwardfor\n  bind " << haproxy_host << ":" << http_port
            << "\n  default_backend web\n"
            << "backend web\n  mode http\n  server s 127.0.0.1:" << forwarded.port << "\n";
    }
    std::string binary = sealed_test::find_executable("haproxy");
    if (binary.empty()) binary = "/usr/sbin/haproxy";
    sealed_test::child_process haproxy({binary, "-f", (dir.path / "haproxy.cfg").string(), "-db"});
    for (int waited = 0; waited < 5000 && !haproxy_listens(http_port); waited += 20) usleep(20000);
    run(direct.io, [&]() -> awaitable<void> {
        auto a = co_await open_probe(direct.io, v2_port, "127.0.0.2", "", haproxy_host);
        EXPECT_EQ(a.seen, "127.0.0.2:" + std::to_string(a.local_port));
        auto b = co_await open_probe(direct.io, v1_port, "127.0.0.3", "", haproxy_host);
        EXPECT_EQ(b.seen, "127.0.0.3:" + std::to_string(b.local_port));
        // 127.0.0.2 already holds its one upgrade: HAProxy carries the 429 back.
        const auto plain = upgrade_text();
        EXPECT_EQ(co_await upgrade_status(direct.io, v2_port, "127.0.0.2", plain, nullptr, haproxy_host), 429u);
        EXPECT_EQ(direct.srv->stats().refused_per_ip, 1u);
    }());
    run(forwarded.io, [&]() -> awaitable<void> {
        auto c = co_await open_probe(forwarded.io, http_port, "127.0.0.4", "", haproxy_host);
        EXPECT_EQ(c.seen, "127.0.0.4:0");
    }());
}

}  // namespace
