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

namespace {
std::optional<int> hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return std::nullopt;
}
}  // namespace

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out.push_back(text[i]);
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;
        auto hi = hex_digit(text[i + 1]), lo = hex_digit(text[i + 2]);
        if (!hi || !lo) return std::nullopt;
        out.push_back(static_cast<char>(*hi * 16 + *lo));
        i += 2;
    }
    return out;
}

std::string percent_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
    const auto question = target.find('?');
    if (question == std::string_view::npos) return std::nullopt;
    auto query = target.substr(question + 1);
    if (auto hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
    std::optional<std::string> found;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const auto eq = pair.find('=');
        auto decode = [](std::string_view raw) {
            std::string spaced(raw);
            for (auto& c : spaced)
                if (c == '+') c = ' ';
            return percent_decode(spaced);
        };
        auto key = decode(pair.substr(0, eq));
        if (!key || *key != name) continue;
        found = decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
        if (!found) return std::nullopt;
    }
    return found;
}

}  // namespace sealed
