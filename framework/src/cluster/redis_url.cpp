// redis://, rediss://, redis+sentinel:// and rediss+sentinel:// URLs → redis::config.
#include <sealed/cluster/redis.hpp>
#include <sealed/url.hpp>

#include <cctype>
#include <charconv>
#include <limits>
#include <optional>

namespace sealed::redis {
namespace {

template <class Int>
std::optional<Int> parse_number(std::string_view s, Int min, Int max) {
    long long value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || value < min || value > max)
        return std::nullopt;
    return static_cast<Int>(value);
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

}  // namespace

result<config> parse_url(std::string_view url) { return parse_url(url, nullptr); }

namespace {

// host[:port] or [v6]:port; the port stays `port` when none is given. The text of what is wrong
// otherwise.
std::optional<std::string> parse_host_port(std::string_view authority, std::string& host, std::uint16_t& port) {
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return "IPv6 address without a closing ']'";
        host = std::string(authority.substr(1, close - 1));
        const auto after = authority.substr(close + 1);
        if (!after.empty() && after.front() != ':') return "unexpected text after the IPv6 address";
        if (!after.empty()) port_text = after.substr(1);
        if (!after.empty() && port_text.empty()) return "empty port after ':'";
    } else {
        const auto colon = authority.rfind(':');
        if (colon != authority.find(':')) return "an IPv6 address needs brackets: redis://[::1]:6379";
        host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) return "empty port after ':'";
        }
    }
    if (host.empty()) return "missing host";
    if (!port_text.empty()) {
        auto parsed = parse_number<std::uint16_t>(port_text, 1, 65535);
        if (!parsed) return "port '" + std::string(port_text) + "' is not a number from 1 to 65535";
        port = *parsed;
    }
    return std::nullopt;
}

}  // namespace

result<config> parse_url(std::string_view url, std::string* why) {
    auto fail = [why](std::string text) -> result<config> {
        if (why != nullptr) *why = std::move(text);
        return make_error_code(errc::invalid_argument);
    };
    const auto sep = url.find("://");
    if (sep == std::string_view::npos) return fail("not a URL: expected redis://[[user]:password@]host[:port][/db]");
    const auto scheme = url.substr(0, sep);
    config cfg;
    bool sentinel = false;
    if (iequals(scheme, "rediss") || iequals(scheme, "rediss+sentinel")) cfg.tls.enabled = true;
    if (iequals(scheme, "redis+sentinel") || iequals(scheme, "rediss+sentinel")) sentinel = true;
    if (!cfg.tls.enabled && !sentinel && !iequals(scheme, "redis"))
        return fail("unsupported scheme '" + std::string(scheme) +
                    "://': expected redis://, rediss://, redis+sentinel:// or rediss+sentinel://");
    auto rest = url.substr(sep + 3);
    if (rest.find_first_of("?#") != std::string_view::npos) return fail("query strings and fragments are not supported");

    const auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    auto path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);

    // The last '@' ends the user info, so an unencoded '@' in a password still parses.
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        const auto userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        const auto colon = userinfo.find(':');
        if (colon == std::string_view::npos)
            return fail("user info without ':': write redis://:password@host or redis://user:password@host");
        auto user = percent_decode(userinfo.substr(0, colon));
        auto password = percent_decode(userinfo.substr(colon + 1));
        if (!user || !password) return fail("bad percent-encoding in the user or password");
        if (password->empty()) return fail("empty password after ':'");
        cfg.username = std::move(*user);
        cfg.password = std::move(*password);
    }

    if (!sentinel) {
        if (auto wrong = parse_host_port(authority, cfg.host, cfg.port)) return fail(*wrong);
    } else {
        for (std::size_t start = 0; start <= authority.size();) {
            const auto comma = std::min(authority.find(',', start), authority.size());
            sentinel_options::address node;
            if (auto wrong = parse_host_port(authority.substr(start, comma - start), node.host, node.port))
                return fail("sentinel " + std::to_string(cfg.sentinel.nodes.size() + 1) + ": " + *wrong);
            cfg.sentinel.nodes.push_back(std::move(node));
            start = comma + 1;
        }
        const auto name_end = std::min(path.find('/'), path.size());
        auto name = percent_decode(path.substr(0, name_end));
        if (!name || name->empty()) return fail("missing primary name: redis+sentinel://host:26379/<name>[/db]");
        cfg.sentinel.master_name = std::move(*name);
        path = name_end == path.size() ? std::string_view{} : path.substr(name_end + 1);
        cfg.host = cfg.sentinel.nodes.front().host;  // until a sentinel names the primary
    }
    if (!path.empty()) {
        auto db = parse_number<int>(path, 0, std::numeric_limits<int>::max());
        if (!db) return fail("database '" + std::string(path) + "' is not a non-negative number");
        cfg.db = *db;
    }
    return cfg;
}

std::string_view to_string(connection_state s) noexcept {
    switch (s) {
    case connection_state::connecting: return "connecting";
    case connection_state::connected: return "connected";
    case connection_state::reconnecting: return "reconnecting";
    case connection_state::stopped: return "stopped";
    }
    return "unknown";
}

}  // namespace sealed::redis
