// ws://host:port/path?query, wss://…, tcp://host:port — what clients connect to.
#pragma once

#include <sealed/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sealed {

struct url {
    std::string scheme;  // ws, wss, tcp, http, https
    std::string host;    // without brackets for IPv6
    std::uint16_t port = 0;
    std::string target = "/";  // path and query

    // errc::invalid_argument for anything that is not scheme://host[:port][/target].
    static result<url> parse(std::string_view text);
    bool secure() const noexcept { return scheme == "wss" || scheme == "https" || scheme == "tls"; }
    std::string host_header() const;  // host[:port] as the Host header wants it
};

// "HOST:PORT" (":9091" = all interfaces, "[::1]:0" for IPv6) as --listen takes it.
struct listen_address {
    std::string host;
    std::uint16_t port = 0;
    static result<listen_address> parse(std::string_view text);
};

// "%41b" → "Ab"; nullopt for a '%' not followed by two hex digits. '+' stays '+'.
std::optional<std::string> percent_decode(std::string_view text);

// Escapes everything but RFC 3986's unreserved characters, for a query value.
std::string percent_encode(std::string_view text);

// The value of query parameter `name` in a request target ("/p?key=k&id=a%20b"), decoded as a
// browser's URLSearchParams does ('+' is a space, percent-escapes decoded, the last of repeated
// names wins); nullopt when absent or badly escaped. "?id=" gives an empty string.
std::optional<std::string> query_param(std::string_view target, std::string_view name);

}  // namespace sealed
