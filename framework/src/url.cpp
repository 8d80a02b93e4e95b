#include <sealed/url.hpp>

#include <charconv>

namespace sealed {
namespace {

result<std::uint16_t> parse_port(std::string_view s) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || value > 65535)
        return make_error_code(errc::invalid_argument);
    return static_cast<std::uint16_t>(value);
}

// Splits "host:port" / "[v6]:port" / "host"; port_required says whether a port must be present.
result<std::pair<std::string, std::string_view>> split_host_port(std::string_view s) {
    if (!s.empty() && s.front() == '[') {
        auto close = s.find(']');
        if (close == std::string_view::npos) return make_error_code(errc::invalid_argument);
        std::string host(s.substr(1, close - 1));
        auto rest = s.substr(close + 1);
        if (rest.empty()) return std::pair{host, std::string_view{}};
        if (rest.front() != ':') return make_error_code(errc::invalid_argument);
        return std::pair{host, rest.substr(1)};
    }
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::pair{std::string(s), std::string_view{}};
    return std::pair{std::string(s.substr(0, colon)), s.substr(colon + 1)};
}

std::uint16_t default_port(std::string_view scheme) {
    if (scheme == "wss" || scheme == "https") return 443;
    if (scheme == "ws" || scheme == "http") return 80;
    return 0;
}

}  // namespace

result<url> url::parse(std::string_view text) {
    auto sep = text.find("://");
    if (sep == std::string_view::npos || sep == 0) return make_error_code(errc::invalid_argument);
    url u;
    u.scheme = std::string(text.substr(0, sep));
    auto rest = text.substr(sep + 3);
    auto slash = rest.find_first_of("/?");
    auto authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        u.target = std::string(rest.substr(slash));
        if (u.target.front() == '?') u.target.insert(0, "/");
    }
    auto hp = split_host_port(authority);
    if (!hp || hp->first.empty()) return make_error_code(errc::invalid_argument);
    u.host = std::move(hp->first);
    if (hp->second.empty()) {
        u.port = default_port(u.scheme);
        if (u.port == 0) return make_error_code(errc::invalid_argument);
    } else {
        auto port = parse_port(hp->second);
        if (!port) return port.error();
        u.port = *port;
    }
    return u;
}

std::string url::host_header() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port != default_port(scheme)) h += ":" + std::to_string(port);
    return h;
}

result<listen_address> listen_address::parse(std::string_view text) {
    auto hp = split_host_port(text);
    if (!hp || hp->second.empty()) return make_error_code(errc::invalid_argument);
    auto port = parse_port(hp->second);
    if (!port) return port.error();
    listen_address a;
    a.host = hp->first.empty() ? "0.0.0.0" : std::move(hp->first);
    a.port = *port;
    return a;
}

}  // namespace sealed
