// libp2p identify (libp2p/specs identify/README.md): the Identify message a peer writes on
// `/ipfs/id/1.0.0` (uvarint-length-prefixed, then FIN), and the binary multiaddrs it carries.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/error.hpp>
#include <sealed/net.hpp>

#include <string>
#include <vector>

namespace sealed::libp2p {

inline constexpr std::string_view identify_protocol = "/ipfs/id/1.0.0";
inline constexpr std::string_view ping_protocol = "/ipfs/ping/1.0.0";

struct identify_info {
    std::string protocol_version = "ipfs/0.1.0";
    std::string agent_version;
    bytes public_key;                 // the PublicKey protobuf (js requires it)
    std::vector<bytes> listen_addrs;  // binary multiaddrs
    bytes observed_addr;              // how we see the peer
    std::vector<std::string> protocols;
};
// Fields in the order js writes them: 5, 6, 1, 2, 4, 3.
bytes encode_identify(const identify_info& info);
result<identify_info> parse_identify(const_bytes protobuf);

// The binary multiaddr /ip4|ip6/<ip>/tcp/<port>[/ws|/wss].
enum class multiaddr_transport : unsigned char { tcp, ws, wss };
bytes endpoint_multiaddr(const net::ip::address& ip, std::uint16_t port, multiaddr_transport over);

}  // namespace sealed::libp2p
