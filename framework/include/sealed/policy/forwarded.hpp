// The client's address behind reverse proxies. The TCP peer is the client unless it is a trusted
// proxy; then the hops it reports (RFC 7239 `Forwarded: for=`, or else `X-Forwarded-For`) are
// read from the nearest one outwards, and the first hop that is not itself trusted is the
// client. A hop that cannot be read (garbage, "unknown", an obfuscated name) ends the walk at
// the proxy that reported it: an untrusted client cannot choose its own address.
#pragma once

#include <sealed/error.hpp>
#include <sealed/http.hpp>
#include <sealed/net.hpp>

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sealed::policy {

// "10.0.0.0/8", "fd00::/8"; a bare address is a range of one. IPv4-mapped IPv6 addresses
// ("::ffff:10.1.2.3") are matched as the IPv4 address they carry.
class address_range {
public:
    static result<address_range> parse(std::string_view text);
    bool contains(const net::ip::address& address) const noexcept;
    std::string to_string() const;

private:
    address_range(net::ip::address base, unsigned prefix) : base_(base), prefix_(prefix) {}
    net::ip::address base_;
    unsigned prefix_;
};

// The proxies whose reports of the client address are believed.
class trusted_proxies {
public:
    trusted_proxies() = default;
    // CIDR ranges, bare addresses, or "*" for every address (the `peer` CLI's --proxied: every
    // hop is believed, so the client is the first address the nearest proxy reports).
    static result<trusted_proxies> parse(const std::vector<std::string>& ranges);
    bool trusts(const net::ip::address& address) const noexcept;
    bool empty() const noexcept { return !any_ && ranges_.empty(); }

private:
    std::vector<address_range> ranges_;
    bool any_ = false;
};

struct client_address {
    net::ip::address address;
    std::uint16_t port = 0;  // 0 when the proxy did not say
    bool operator==(const client_address&) const = default;
};

// IPv4-mapped IPv6 addresses as IPv4, so limits and logs count one client once.
net::ip::address unmapped(const net::ip::address& address) noexcept;

// The client behind `peer` (the TCP peer, or what a PROXY protocol header named).
client_address forwarded_client(const http_request& req, const client_address& peer, const trusted_proxies& trusted);

// "1.2.3.4:5", "[::1]:5" (the form remote_endpoint() has; port 0 when the proxy did not say).
std::string to_string(const client_address& client);

}  // namespace sealed::policy
