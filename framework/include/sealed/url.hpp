// ws://host:port/path?query, wss://…, tcp://host:port — what clients connect to.
#pragma once

#include <sealed/error.hpp>

#include <cstdint>
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

}  // namespace sealed
