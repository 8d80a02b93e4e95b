// The client address behind proxies (issue 31), without sockets: trusted ranges, the walk over
// Forwarded / X-Forwarded-For, the PROXY protocol parser (v1 and v2, byte by byte), and the
// per-address handshake bucket.
#include <sealed/detail/address_limit.hpp>
#include <sealed/detail/proxy_protocol.hpp>
#include <sealed/policy/forwarded.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace sealed;
namespace pp = sealed::detail::proxy_protocol;

net::ip::address ip(const char* text) { return net::ip::make_address(text); }

policy::trusted_proxies trust(std::vector<std::string> ranges) { return policy::trusted_proxies::parse(ranges).value(); }

http_request with(std::vector<std::pair<std::string, std::string>> headers) {
    http_request req{http::verb::get, "/ws", 11};
    for (auto& [name, value] : headers) req.insert(name, value);
    return req;
}

std::string client_of(const http_request& req, const char* peer, const policy::trusted_proxies& trusted) {
    return policy::to_string(policy::forwarded_client(req, {ip(peer), 40000}, trusted));
}

TEST(address_range, matches_by_prefix_and_maps_ipv4_in_ipv6) {
    auto r = policy::address_range::parse("10.1.0.0/16").value();
    EXPECT_TRUE(r.contains(ip("10.1.255.3")));
    EXPECT_FALSE(r.contains(ip("10.2.0.1")));
    EXPECT_TRUE(r.contains(ip("::ffff:10.1.2.3")));
    EXPECT_FALSE(r.contains(ip("::1")));
    auto odd = policy::address_range::parse("192.168.1.128/25").value();
    EXPECT_TRUE(odd.contains(ip("192.168.1.200")));
    EXPECT_FALSE(odd.contains(ip("192.168.1.127")));
    auto v6 = policy::address_range::parse("fd00::/8").value();
    EXPECT_TRUE(v6.contains(ip("fd12::1")));
    EXPECT_FALSE(v6.contains(ip("fe80::1")));
    EXPECT_TRUE(policy::address_range::parse("127.0.0.1").value().contains(ip("127.0.0.1")));
    EXPECT_FALSE(policy::address_range::parse("127.0.0.1").value().contains(ip("127.0.0.2")));
    for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0/8", "example.com", "10.0.0.0/8x"})
        EXPECT_FALSE(policy::address_range::parse(bad)) << bad;
    EXPECT_FALSE(policy::trusted_proxies::parse({"127.0.0.1", "nonsense"}));
}

TEST(forwarded_client, an_untrusted_peer_is_the_client_whatever_it_says) {
    const auto req = with({{"X-Forwarded-For", "1.2.3.4"}, {"Forwarded", "for=5.6.7.8"}});
    EXPECT_EQ(client_of(req, "127.0.0.9", trust({"127.0.0.1/32"})), "127.0.0.9:40000");
    EXPECT_EQ(client_of(req, "127.0.0.9", trust({})), "127.0.0.9:40000");
}

TEST(forwarded_client, walks_x_forwarded_for_from_the_nearest_hop_to_the_first_untrusted) {
    const auto trusted = trust({"10.0.0.0/8", "127.0.0.1"});
    // The client put a forged address first; the edge proxy (10.0.0.2) appended the real one.
    const auto req = with({{"X-Forwarded-For", "6.6.6.6, 198.51.100.7"}, {"X-Forwarded-For", "10.0.0.2"}});
    EXPECT_EQ(client_of(req, "127.0.0.1", trusted), "198.51.100.7:0");
    EXPECT_EQ(client_of(with({{"X-Forwarded-For", " 203.0.113.9:5555 "}}), "127.0.0.1", trusted), "203.0.113.9:5555");
    EXPECT_EQ(client_of(with({{"X-Forwarded-For", "2001:db8::1"}}), "127.0.0.1", trusted), "[2001:db8::1]:0");
    EXPECT_EQ(client_of(with({{"X-Forwarded-For", "[2001:db8::1]:80"}}), "127.0.0.1", trusted), "[2001:db8::1]:80");
    // No header: the proxy itself.
    EXPECT_EQ(client_of(with({}), "127.0.0.1", trusted), "127.0.0.1:40000");
    // Every hop trusted ("*", the peer CLI's --proxied): the farthest one.
    EXPECT_EQ(client_of(req, "127.0.0.1", trust({"*"})), "6.6.6.6:0");
}

TEST(forwarded_client, an_unreadable_hop_stops_at_the_proxy_that_reported_it) {
    const auto trusted = trust({"127.0.0.1", "10.0.0.0/8"});
    EXPECT_EQ(client_of(with({{"X-Forwarded-For", "1.2.3.4, garbage, 10.0.0.5"}}), "127.0.0.1", trusted), "10.0.0.5:0");
    EXPECT_EQ(client_of(with({{"X-Forwarded-For", "1.2.3.4:99999"}}), "127.0.0.1", trusted), "127.0.0.1:40000");
    EXPECT_EQ(client_of(with({{"Forwarded", "for=unknown"}}), "127.0.0.1", trusted), "127.0.0.1:40000");
    EXPECT_EQ(client_of(with({{"Forwarded", "for=_hidden"}}), "127.0.0.1", trusted), "127.0.0.1:40000");
}

TEST(forwarded_client, reads_rfc7239_and_prefers_it_over_x_forwarded_for) {
    const auto trusted = trust({"127.0.0.1"});
    const auto req = with({{"X-Forwarded-For", "9.9.9.9"},
                           {"Forwarded", R"(for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711")"}});
    EXPECT_EQ(client_of(req, "127.0.0.1", trusted), "[2001:db8:cafe::17]:4711");
    EXPECT_EQ(client_of(with({{"Forwarded", "proto=https;for=\"198.51.100.17:8443\""}}), "127.0.0.1", trusted),
              "198.51.100.17:8443");
    // An element without for= is unreadable: the walk stops at the proxy.
    EXPECT_EQ(client_of(with({{"Forwarded", "proto=https"}}), "127.0.0.1", trusted), "127.0.0.1:40000");
    // The TCP peer in its IPv4-mapped form is matched and shown as IPv4.
    EXPECT_EQ(client_of(with({{"Forwarded", "for=192.0.2.1"}}), "::ffff:127.0.0.1", trusted), "192.0.2.1:0");
}

// --- PROXY protocol ---------------------------------------------------------------------------

bytes raw(std::string_view s) { return bytes(s.begin(), s.end()); }

bytes v2(std::uint8_t ver_cmd, std::uint8_t family, bytes body) {
    bytes out{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, ver_cmd, family,
              static_cast<byte>(body.size() >> 8), static_cast<byte>(body.size())};
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

// Every strict prefix of a valid header needs more; the whole parses to `size`.
void expect_needs_more_until_whole(const bytes& header) {
    for (std::size_t n = 0; n < header.size(); ++n)
        EXPECT_EQ(pp::parse(const_bytes(header.data(), n)).state, pp::status::need_more) << "prefix " << n;
}

TEST(proxy_protocol, v1_tcp4_tcp6_and_unknown) {
    const auto line = raw("PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\nGET / HTTP/1.1\r\n");
    const auto h = pp::parse(line);
    ASSERT_EQ(h.state, pp::status::done);
    EXPECT_EQ(h.size, 45u);
    EXPECT_EQ(h.source->address().to_string(), "192.0.2.1");
    EXPECT_EQ(h.source->port(), 56324);
    EXPECT_EQ(h.destination->port(), 443);
    expect_needs_more_until_whole(bytes(line.begin(), line.begin() + 45));
    const auto six = pp::parse(raw("PROXY TCP6 2001:db8::1 ::1 1 65535\r\n"));
    ASSERT_EQ(six.state, pp::status::done);
    EXPECT_EQ(six.source->address().to_string(), "2001:db8::1");
    const auto unknown = pp::parse(raw("PROXY UNKNOWN ffff::1 ::2 3 4\r\n"));
    ASSERT_EQ(unknown.state, pp::status::done);
    EXPECT_FALSE(unknown.source);
}

TEST(proxy_protocol, v1_malformed_lines_are_invalid) {
    for (const char* bad : {"GET / HTTP/1.1\r\n", "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\n",
                            "PROXY TCP4 192.0.2.1  198.51.100.1 56324 443\r\n", "PROXY TCP4 ::1 ::1 1 2\r\n",
                            "PROXY TCP6 1.2.3.4 1.2.3.4 1 2\r\n", "PROXY TCP4 1.2.3.4 1.2.3.4 1 65536\r\n",
                            "PROXY TCP4 1.2.3.4 1.2.3.4 01 2\r\n", "PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n",
                            "PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n", "proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n",
                            "PROXY TCP4 1.2.3.4 1.2.3.4 1 2\rX\n"})
        EXPECT_EQ(pp::parse(raw(bad)).state, pp::status::invalid) << bad;
    // No line end within 107 bytes.
    EXPECT_EQ(pp::parse(raw("PROXY UNKNOWN " + std::string(120, 'x'))).state, pp::status::invalid);
}

TEST(proxy_protocol, v2_inet_inet6_local_and_tlvs) {
    bytes inet{192, 0, 2, 1, 198, 51, 100, 1, 0xDC, 0x04, 0x01, 0xBB};
    auto h4 = v2(0x21, 0x11, inet);
    expect_needs_more_until_whole(h4);
    auto p = pp::parse(h4);
    ASSERT_EQ(p.state, pp::status::done);
    EXPECT_EQ(p.size, 28u);
    EXPECT_EQ(p.source->address().to_string(), "192.0.2.1");
    EXPECT_EQ(p.source->port(), 56324);
    EXPECT_EQ(p.destination->port(), 443);
    // TLVs after the addresses are part of the header (skipped).
    auto with_tlv = inet;
    with_tlv.insert(with_tlv.end(), {0x04, 0x00, 0x02, 'h', 'i'});
    EXPECT_EQ(pp::parse(v2(0x21, 0x11, with_tlv)).size, 33u);
    bytes inet6(36, 0);
    inet6[15] = 1;     // ::1
    inet6[31] = 2;     // ::2
    inet6[33] = 80;    // source port 80
    auto p6 = pp::parse(v2(0x21, 0x21, inet6));
    ASSERT_EQ(p6.state, pp::status::done);
    EXPECT_EQ(p6.source->address().to_string(), "::1");
    EXPECT_EQ(p6.source->port(), 80);
    // LOCAL (a health check) and UDP name no client.
    EXPECT_FALSE(pp::parse(v2(0x20, 0x11, inet)).source);
    EXPECT_FALSE(pp::parse(v2(0x21, 0x12, inet)).source);
    EXPECT_EQ(pp::parse(v2(0x20, 0x00, {})).state, pp::status::done);
}

TEST(proxy_protocol, v2_malformed_headers_are_invalid) {
    bytes inet{192, 0, 2, 1, 198, 51, 100, 1, 0, 1, 0, 2};
    EXPECT_EQ(pp::parse(v2(0x11, 0x11, inet)).state, pp::status::invalid);                    // version 1
    EXPECT_EQ(pp::parse(v2(0x22, 0x11, inet)).state, pp::status::invalid);                    // command 2
    EXPECT_EQ(pp::parse(v2(0x21, 0x41, inet)).state, pp::status::invalid);                    // family 4
    EXPECT_EQ(pp::parse(v2(0x21, 0x11, bytes(inet.begin(), inet.begin() + 8))).state, pp::status::invalid);
    EXPECT_EQ(pp::parse(v2(0x21, 0x21, inet)).state, pp::status::invalid);                    // inet6 too short
    EXPECT_EQ(pp::parse(v2(0x21, 0x11, bytes(pp::max_v2_body + 1, 0))).state, pp::status::invalid);
    auto sig = v2(0x21, 0x11, inet);
    sig[5] = 'X';
    EXPECT_EQ(pp::parse(sig).state, pp::status::invalid);
}

TEST(address_rate, a_bucket_per_address_with_the_wait_until_the_next_token) {
    detail::address_rate rate;
    const policy::rate_limit limit{2, 4};  // 2 at once, one more every 250 ms
    const auto t0 = std::chrono::steady_clock::now();
    const auto a = ip("192.0.2.1"), b = ip("192.0.2.2");
    EXPECT_EQ(rate.take(a, limit, t0), std::chrono::steady_clock::duration::zero());
    EXPECT_EQ(rate.take(a, limit, t0), std::chrono::steady_clock::duration::zero());
    const auto wait = rate.take(a, limit, t0);
    EXPECT_GT(wait, std::chrono::milliseconds(240));
    EXPECT_LE(wait, std::chrono::milliseconds(250));
    EXPECT_EQ(rate.take(b, limit, t0), std::chrono::steady_clock::duration::zero());
    EXPECT_EQ(rate.take(a, limit, t0 + std::chrono::milliseconds(260)), std::chrono::steady_clock::duration::zero());
    // Refilled buckets are forgotten once the table has grown: 5000 one-off addresses later,
    // far fewer than 5000 are held.
    auto t = t0 + std::chrono::seconds(10);
    for (std::uint32_t i = 0; i < 5000; ++i) {
        rate.take(net::ip::address_v4(0x0A000000u + i), limit, t);
        t += std::chrono::seconds(1);
    }
    EXPECT_LT(rate.tracked(), 2100u);
}

}  // namespace
