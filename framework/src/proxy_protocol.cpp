#include <sealed/detail/proxy_protocol.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <string>
#include <string_view>

namespace sealed::detail::proxy_protocol {
namespace {

constexpr std::array<byte, 12> v2_signature{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::string_view v1_prefix = "PROXY ";
constexpr std::size_t v2_fixed = 16;

// Whether `input` starts like `prefix` (or is a beginning of it).
template <class Prefix>
bool starts_like(const_bytes input, const Prefix& prefix) {
    const auto n = std::min<std::size_t>(input.size(), std::size(prefix));
    return std::equal(input.begin(), input.begin() + n, std::begin(prefix),
                      [](byte a, auto b) { return a == static_cast<byte>(b); });
}

parsed invalid() { return {status::invalid}; }

std::optional<std::uint16_t> port_of(std::string_view s) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || s.size() > 5 || (s.size() > 1 && s.front() == '0') || ec != std::errc{} ||
        end != s.data() + s.size() || v > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(v);
}

// "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n": one space between fields, nothing else.
parsed parse_v1(const_bytes input) {
    const auto text = as_string_view(input);
    const auto end = text.find("\r\n");
    if (end == std::string_view::npos) {
        // No line end yet: only a CR as the last byte seen may still become one.
        const auto stray = text.find_first_of("\r\n");
        if (text.size() >= max_v1_line || (stray != std::string_view::npos && stray != text.size() - 1) ||
            (stray != std::string_view::npos && text[stray] == '\n'))
            return invalid();
        return {status::need_more};
    }
    if (end + 2 > max_v1_line) return invalid();
    const auto line = text.substr(v1_prefix.size(), end - v1_prefix.size());
    if (line.find_first_of("\r\n") != std::string_view::npos) return invalid();
    parsed out{status::done, end + 2};
    if (line.starts_with("UNKNOWN")) return out;
    std::array<std::string_view, 5> field;
    std::size_t n = 0, start = 0;
    for (std::size_t i = 0; i <= line.size(); ++i) {
        if (i != line.size() && line[i] != ' ') continue;
        if (n == field.size()) return invalid();
        field[n++] = line.substr(start, i - start);
        start = i + 1;
    }
    if (n != field.size() || (field[0] != "TCP4" && field[0] != "TCP6")) return invalid();
    boost::system::error_code ec_src, ec_dst;
    const bool v4 = field[0] == "TCP4";
    net::ip::address src, dst;
    if (v4) {
        src = net::ip::make_address_v4(std::string(field[1]), ec_src);
        dst = net::ip::make_address_v4(std::string(field[2]), ec_dst);
    } else {
        src = net::ip::make_address_v6(std::string(field[1]), ec_src);
        dst = net::ip::make_address_v6(std::string(field[2]), ec_dst);
    }
    const auto sport = port_of(field[3]);
    const auto dport = port_of(field[4]);
    if (ec_src || ec_dst || !sport || !dport) return invalid();
    out.source = tcp_endpoint(src, *sport);
    out.destination = tcp_endpoint(dst, *dport);
    return out;
}

std::uint16_t be16(const byte* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

parsed parse_v2(const_bytes input) {
    if (input.size() < v2_fixed) return {status::need_more};
    const byte version = input[12] >> 4, command = input[12] & 0x0F;
    const byte family = input[13] >> 4, transport = input[13] & 0x0F;
    const std::size_t body = be16(&input[14]);
    if (version != 2 || command > 1 || family > 3 || transport > 2 || body > max_v2_body) return invalid();
    if (input.size() < v2_fixed + body) return {status::need_more};
    parsed out{status::done, v2_fixed + body};
    const bool proxied_tcp = command == 1 && transport == 1;
    const byte* a = input.data() + v2_fixed;
    if (family == 1) {  // AF_INET: source, destination, source port, destination port
        if (body < 12) return invalid();
        if (!proxied_tcp) return out;
        auto v4 = [](const byte* p) { return net::ip::address_v4({p[0], p[1], p[2], p[3]}); };
        out.source = tcp_endpoint(v4(a), be16(a + 8));
        out.destination = tcp_endpoint(v4(a + 4), be16(a + 10));
    } else if (family == 2) {  // AF_INET6
        if (body < 36) return invalid();
        if (!proxied_tcp) return out;
        auto v6 = [](const byte* p) {
            net::ip::address_v6::bytes_type b;
            std::copy(p, p + 16, b.begin());
            return net::ip::address_v6(b);
        };
        out.source = tcp_endpoint(v6(a), be16(a + 32));
        out.destination = tcp_endpoint(v6(a + 16), be16(a + 34));
    } else if (family == 3 && body < 216) {
        return invalid();
    }
    return out;
}

constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

// Waits until `socket` has bytes (or end of stream) to read, or `deadline` passes.
awaitable<error_code> wait_readable(net::ip::tcp::socket& socket, std::chrono::steady_clock::time_point deadline) {
    net::steady_timer timer(socket.get_executor(), deadline);
    auto done = std::make_shared<bool>(false);
    auto expired = std::make_shared<bool>(false);
    timer.async_wait([&socket, done, expired](error_code ec) {
        if (ec || *done) return;
        *expired = true;
        boost::system::error_code ignored;
        socket.cancel(ignored);
    });
    auto [ec] = co_await socket.async_wait(net::ip::tcp::socket::wait_read, use_nothrow);
    *done = true;
    timer.cancel();
    co_return *expired ? error_code(errc::timeout) : ec;
}

}  // namespace

parsed parse(const_bytes input) {
    if (input.empty()) return {status::need_more};
    if (input[0] == v2_signature[0]) return starts_like(input, v2_signature) ? parse_v2(input) : invalid();
    if (!starts_like(input, v1_prefix)) return invalid();
    return input.size() < v1_prefix.size() ? parsed{status::need_more} : parse_v1(input);
}

// What is known to be header is consumed; the last read takes only the header's remaining
// bytes (seen first with MSG_PEEK), so the client's first TLS or HTTP bytes stay in the socket.
awaitable<result<parsed>> read_header(beast::tcp_stream& stream, std::chrono::steady_clock::time_point deadline) {
    auto& socket = stream.socket();
    bytes got;
    got.reserve(v2_fixed + 64);
    for (;;) {
        if (auto ec = co_await wait_readable(socket, deadline)) co_return ec;
        const std::size_t room = v2_fixed + max_v2_body - got.size();
        const auto before = got.size();
        got.resize(before + std::min<std::size_t>(room, 512));
        boost::system::error_code ec;
        const auto seen = socket.receive(net::buffer(got.data() + before, got.size() - before),
                                         net::socket_base::message_peek, ec);
        if (ec == net::error::would_block || ec == net::error::try_again) {
            got.resize(before);
            continue;
        }
        if (ec) co_return ec;
        if (seen == 0) co_return errc::transport_closed;
        got.resize(before + seen);
        auto header = parse(got);
        if (header.state == status::invalid) co_return errc::protocol_violation;
        const auto take = header.state == status::done ? header.size - before : seen;
        const auto taken = socket.receive(net::buffer(got.data() + before, take), 0, ec);
        if (ec) co_return ec;
        if (taken != take) co_return errc::protocol_violation;
        if (header.state == status::done) co_return header;
        got.resize(before + taken);
    }
}

}  // namespace sealed::detail::proxy_protocol
