// Admission by client address (server_config's per-address settings): where the client is
// (the TCP peer, a PROXY protocol header, or the hops a trusted proxy reports), how many upgrades
// it holds (max_connections_per_ip) and how fast it may begin them (handshake_rate_per_ip).
// One per server; safe from every connection's strand.
#pragma once

#include <sealed/config.hpp>
#include <sealed/detail/address_limit.hpp>
#include <sealed/http.hpp>
#include <sealed/log.hpp>
#include <sealed/metrics.hpp>
#include <sealed/policy/forwarded.hpp>

#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <cstdint>
#include <optional>

namespace sealed::detail {

class address_admission {
public:
    // Takes the settings; errc::invalid_argument when a trusted_proxies entry is no range.
    error_code configure(const server_config& cfg);

    // The client as the TCP peer, or as the PROXY protocol header names it (proxy_protocol);
    // nullopt when the connection is refused (counted and logged here).
    awaitable<std::optional<policy::client_address>> transport_peer(beast::tcp_stream& stream,
                                                                   std::chrono::steady_clock::time_point deadline,
                                                                   runtime_stats& stats, const logger& log) const;
    // The client behind trusted proxies, for an HTTP request that came from `peer`.
    policy::client_address client_of(const http_request& req, const policy::client_address& peer) const {
        return policy::forwarded_client(req, peer, proxies_);
    }
    // Whether the client can differ from the TCP peer (streams then carry its address).
    bool names_clients() const noexcept { return proxy_protocol_ || !proxies_.empty(); }

    // One more upgrade for `client` under `connection`, or HTTP 429 with Retry-After (the
    // handshake rate first, then the address's share). Counted and logged.
    std::optional<http_response> admit(const http_request& req, const net::ip::address& client, std::uint64_t connection,
                                       runtime_stats& stats, const logger& log);
    // What `connection` took, given back (when it ends, or when a later check refused it).
    void release(std::uint64_t connection) {
        if (max_per_ip_ != 0) held_.release(connection);
    }

private:
    std::size_t max_per_ip_ = 0;
    policy::rate_limit rate_{0, 0};
    bool proxy_protocol_ = false;
    policy::trusted_proxies proxies_;
    address_limit held_;
    address_rate begun_;
};

}  // namespace sealed::detail
