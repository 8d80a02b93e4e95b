#include <sealed/policy/forwarded.hpp>

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <charconv>
#include <optional>

namespace sealed::policy {
namespace {

// Hops read from one request at most: a longer chain is cut at its nearest end.
constexpr std::size_t max_hops = 64;

std::optional<std::uint16_t> parse_port(std::string_view s) noexcept {
    unsigned value = 0;
    if (s.empty() || s.size() > 5) return std::nullopt;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size() || value > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

std::optional<net::ip::address> parse_address(std::string_view s) {
    boost::system::error_code ec;
    auto a = net::ip::make_address(std::string(s), ec);
    if (ec) return std::nullopt;
    return unmapped(a);
}

// One hop: "1.2.3.4", "1.2.3.4:80", "[::1]", "[::1]:80", or a bare IPv6 address.
std::optional<client_address> parse_node(std::string_view s) {
    s = trim_ows(s);
    if (s.empty()) return std::nullopt;
    if (s.front() == '[') {
        const auto close = s.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        auto a = parse_address(s.substr(1, close - 1));
        if (!a) return std::nullopt;
        auto rest = s.substr(close + 1);
        if (rest.empty()) return client_address{*a, 0};
        if (rest.front() != ':') return std::nullopt;
        auto port = parse_port(rest.substr(1));
        if (!port) return std::nullopt;
        return client_address{*a, *port};
    }
    if (std::count(s.begin(), s.end(), ':') == 1) {  // IPv4 with a port
        const auto colon = s.find(':');
        auto a = parse_address(s.substr(0, colon));
        auto port = parse_port(s.substr(colon + 1));
        if (!a || !a->is_v4() || !port) return std::nullopt;
        return client_address{*a, *port};
    }
    auto a = parse_address(s);
    if (!a) return std::nullopt;
    return client_address{*a, 0};
}

// RFC 7239 §4: the `for` parameter of one forwarded-element ("for=1.2.3.4;proto=https").
std::optional<client_address> forwarded_for(std::string_view element) {
    while (!element.empty()) {
        const auto semi = element.find(';');
        auto pair = trim_ows(element.substr(0, semi));
        element = semi == std::string_view::npos ? std::string_view{} : element.substr(semi + 1);
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos || !beast::iequals(trim_ows(pair.substr(0, eq)), "for")) continue;
        auto value = trim_ows(pair.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        return parse_node(value);
    }
    return std::nullopt;
}

// Splits a comma list, respecting quoted strings (a quoted IPv6 node has no comma, but an
// obfuscated one may hold anything).
std::vector<std::string_view> split_list(std::string_view s, std::vector<std::string_view> into) {
    bool quoted = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
        if (i < s.size() && s[i] == '"') quoted = !quoted;
        if (i == s.size() || (s[i] == ',' && !quoted)) {
            if (auto item = trim_ows(s.substr(start, i - start)); !item.empty()) into.push_back(item);
            start = i + 1;
        }
    }
    return into;
}

// The reported hops, farthest first (the order proxies append in).
std::vector<std::optional<client_address>> reported_hops(const http_request& req) {
    std::vector<std::string_view> items;
    const bool standard = req.find(http::field::forwarded) != req.end();
    for (auto [it, end] = req.equal_range(standard ? "Forwarded" : "X-Forwarded-For"); it != end; ++it)
        items = split_list(it->value(), std::move(items));
    if (items.size() > max_hops) items.erase(items.begin(), items.end() - max_hops);
    std::vector<std::optional<client_address>> hops;
    hops.reserve(items.size());
    for (auto item : items) hops.push_back(standard ? forwarded_for(item) : parse_node(item));
    return hops;
}

}  // namespace

net::ip::address unmapped(const net::ip::address& address) noexcept {
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        return net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
    return address;
}

result<address_range> address_range::parse(std::string_view text) {
    text = trim_ows(text);
    const auto slash = text.find('/');
    auto base = parse_address(text.substr(0, slash));
    if (!base) return errc::invalid_argument;
    const unsigned bits = base->is_v4() ? 32 : 128;
    unsigned prefix = bits;
    if (slash != std::string_view::npos) {
        const auto p = text.substr(slash + 1);
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
        if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || prefix > bits) return errc::invalid_argument;
    }
    return address_range(*base, prefix);
}

bool address_range::contains(const net::ip::address& candidate) const noexcept {
    const auto a = unmapped(candidate);
    if (a.is_v4() != base_.is_v4()) return false;
    auto matches = [this](const auto& x, const auto& y) {
        for (unsigned i = 0; i < prefix_; i += 8) {
            const unsigned bits = std::min(8u, prefix_ - i);
            const auto mask = static_cast<unsigned char>(0xFF00u >> bits);
            if ((x[i / 8] & mask) != (y[i / 8] & mask)) return false;
        }
        return true;
    };
    if (a.is_v4()) return matches(a.to_v4().to_bytes(), base_.to_v4().to_bytes());
    return matches(a.to_v6().to_bytes(), base_.to_v6().to_bytes());
}

std::string address_range::to_string() const { return base_.to_string() + "/" + std::to_string(prefix_); }

result<trusted_proxies> trusted_proxies::parse(const std::vector<std::string>& ranges) {
    trusted_proxies out;
    for (const auto& r : ranges) {
        if (trim_ows(r) == "*") {
            out.any_ = true;
            continue;
        }
        auto range = address_range::parse(r);
        if (!range) return range.error();
        out.ranges_.push_back(*range);
    }
    return out;
}

bool trusted_proxies::trusts(const net::ip::address& address) const noexcept {
    return any_ || std::any_of(ranges_.begin(), ranges_.end(), [&](const auto& r) { return r.contains(address); });
}

client_address forwarded_client(const http_request& req, const client_address& peer, const trusted_proxies& trusted) {
    client_address current{unmapped(peer.address), peer.port};
    if (!trusted.trusts(current.address)) return current;
    const auto hops = reported_hops(req);
    for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
        if (!*hop) return current;
        current = **hop;
        if (!trusted.trusts(current.address)) return current;
    }
    return current;
}

std::string to_string(const client_address& client) {
    const auto text = client.address.to_string();
    return (client.address.is_v6() ? "[" + text + "]" : text) + ":" + std::to_string(client.port);
}

}  // namespace sealed::policy
