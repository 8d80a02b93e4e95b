#include <sealed/libp2p/error.hpp>
#include <sealed/libp2p/identify.hpp>
#include <sealed/libp2p/varint.hpp>

#include "protobuf_fields.hpp"

#include <protozero/pbf_reader.hpp>
#include <protozero/pbf_writer.hpp>

namespace sealed::libp2p {
namespace {

// Multiaddr protocol codes (multiformats/multicodec).
constexpr std::uint64_t ip4_code = 4, ip6_code = 41, tcp_code = 6, ws_code = 477, wss_code = 478;

const char* chars(const bytes& b) { return reinterpret_cast<const char*>(b.data()); }

}  // namespace

bytes encode_identify(const identify_info& info) {
    std::string out;
    {
        protozero::pbf_writer writer(out);
        writer.add_string(5, info.protocol_version);
        writer.add_string(6, info.agent_version);
        writer.add_bytes(1, chars(info.public_key), info.public_key.size());
        for (const auto& addr : info.listen_addrs) writer.add_bytes(2, chars(addr), addr.size());
        if (!info.observed_addr.empty()) writer.add_bytes(4, chars(info.observed_addr), info.observed_addr.size());
        for (const auto& protocol : info.protocols) writer.add_string(3, protocol);
    }
    return bytes(out.begin(), out.end());
}

result<identify_info> parse_identify(const_bytes protobuf) {
    identify_info info;
    info.protocol_version.clear();
    try {
        detail::for_each_bytes_field(protozero::pbf_reader(reinterpret_cast<const char*>(protobuf.data()), protobuf.size()),
                                     [&](auto tag, protozero::data_view v) {
            const auto field = [&] { return bytes(v.data(), v.data() + v.size()); };
            switch (tag) {
            case 1: info.public_key = field(); break;
            case 2: info.listen_addrs.push_back(field()); break;
            case 3: info.protocols.emplace_back(v.data(), v.size()); break;
            case 4: info.observed_addr = field(); break;
            case 5: info.protocol_version.assign(v.data(), v.size()); break;
            case 6: info.agent_version.assign(v.data(), v.size()); break;
            default: break;
            }
        });
    } catch (const protozero::exception&) {
        return error::malformed_protobuf;
    }
    return info;
}

bytes endpoint_multiaddr(const net::ip::address& ip, std::uint16_t port, multiaddr_transport over) {
    bytes out;
    if (ip.is_v4()) {
        append_uvarint(ip4_code, out);
        const auto b = ip.to_v4().to_bytes();
        out.insert(out.end(), b.begin(), b.end());
    } else {
        append_uvarint(ip6_code, out);
        const auto b = ip.to_v6().to_bytes();
        out.insert(out.end(), b.begin(), b.end());
    }
    append_uvarint(tcp_code, out);
    out.push_back(static_cast<byte>(port >> 8));
    out.push_back(static_cast<byte>(port));
    if (over == multiaddr_transport::ws) append_uvarint(ws_code, out);
    if (over == multiaddr_transport::wss) append_uvarint(wss_code, out);
    return out;
}

}  // namespace sealed::libp2p
