// The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2): the header a proxy sends
// before anything else on a connection it opens to us, naming the client it carries. A sans-I/O
// parser, and the reader a listener with server_config::proxy_protocol runs before TLS and HTTP.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/error.hpp>
#include <sealed/net.hpp>

#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <cstddef>
#include <optional>

namespace sealed::detail::proxy_protocol {

// Version 2's address block plus TLVs may say up to 64 KiB; more than this is refused.
constexpr std::size_t max_v2_body = 4096;
constexpr std::size_t max_v1_line = 107;  // "PROXY TCP6 <39> <39> 65535 65535\r\n"

enum class status { need_more, done, invalid };

struct parsed {
    status state = status::need_more;
    std::size_t size = 0;  // done: the header's length in bytes
    // The client and the address it connected to, when the header names them (a PROXY command
    // over TCP); a LOCAL command (the proxy's own health check) or an UNKNOWN/UNIX family names
    // none, and the connection's own addresses stand.
    std::optional<tcp_endpoint> source;
    std::optional<tcp_endpoint> destination;
};

// `input`: the first bytes of the connection. need_more: every byte of `input` belongs to the
// header (safe to consume) and more are needed.
parsed parse(const_bytes input);

// Reads exactly the header from `stream` (nothing past it: what follows is the TLS or HTTP
// the client sent), by `deadline`. errc::protocol_violation for a missing or malformed header,
// errc::timeout, or the socket's error.
awaitable<result<parsed>> read_header(beast::tcp_stream& stream, std::chrono::steady_clock::time_point deadline);

}  // namespace sealed::detail::proxy_protocol
