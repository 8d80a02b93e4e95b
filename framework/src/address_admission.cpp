#include <sealed/detail/address_admission.hpp>

#include <sealed/detail/proxy_protocol.hpp>

namespace sealed::detail {

error_code address_admission::configure(const server_config& cfg) {
    auto proxies = policy::trusted_proxies::parse(cfg.trusted_proxies);
    if (!proxies) return proxies.error();
    proxies_ = std::move(*proxies);
    max_per_ip_ = cfg.max_connections_per_ip;
    rate_ = cfg.handshake_rate_per_ip;
    proxy_protocol_ = cfg.proxy_protocol;
    return {};
}

awaitable<std::optional<policy::client_address>> address_admission::transport_peer(
    beast::tcp_stream& stream, std::chrono::steady_clock::time_point deadline, runtime_stats& stats,
    const logger& log) const {
    error_code ec;
    const auto remote = stream.socket().remote_endpoint(ec);
    if (ec) co_return std::nullopt;
    const policy::client_address peer{policy::unmapped(remote.address()), remote.port()};
    if (!proxy_protocol_) co_return peer;
    if (!proxies_.empty() && !proxies_.trusts(peer.address)) {
        stats.refused_proxy_protocol++;
        log.warn("refused a connection from {}: not a trusted proxy", policy::to_string(peer));
        co_return std::nullopt;
    }
    auto header = co_await proxy_protocol::read_header(stream, deadline);
    if (!header) {
        stats.refused_proxy_protocol++;
        log.info("refused a connection from {}: no PROXY protocol header ({})", policy::to_string(peer),
                 header.error().message());
        co_return std::nullopt;
    }
    if (!header->source) co_return peer;
    co_return policy::client_address{policy::unmapped(header->source->address()), header->source->port()};
}

std::optional<http_response> address_admission::admit(const http_request& req, const net::ip::address& client,
                                                       std::uint64_t connection, runtime_stats& stats,
                                                       const logger& log) {
    if (rate_.enabled()) {
        if (const auto wait = begun_.take(client, rate_); wait != std::chrono::steady_clock::duration::zero()) {
            stats.refused_handshake_rate++;
            log.debug("refused an upgrade from {}: over handshake_rate_per_ip", client.to_string());
            auto res = make_response(req, http::status::too_many_requests, "too many handshakes from this address\n");
            res.set(http::field::retry_after, std::to_string(std::chrono::ceil<std::chrono::seconds>(wait).count()));
            return res;
        }
    }
    if (max_per_ip_ == 0 || held_.take(client, connection, max_per_ip_)) return std::nullopt;
    stats.refused_per_ip++;
    log.warn("refused an upgrade from {}: it holds max_connections_per_ip ({})", client.to_string(), max_per_ip_);
    auto res = make_response(req, http::status::too_many_requests, "too many connections from this address\n");
    res.set(http::field::retry_after, "1");
    return res;
}

}  // namespace sealed::detail
