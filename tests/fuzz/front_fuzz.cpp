// libFuzzer target for what every WebSocket server reads before a scheme runs (issue 31): the
// PROXY protocol header (v1 and v2, fed whole and in two pieces, which must agree), the client
// address walk over Forwarded / X-Forwarded-For from a trusted proxy, the offered subprotocols
// and an Authorization bearer. The first input byte picks the parser. Build and run: scripts/fuzz.
#include <sealed/detail/proxy_protocol.hpp>
#include <sealed/http.hpp>
#include <sealed/policy/forwarded.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace sealed;
namespace pp = sealed::detail::proxy_protocol;

namespace {

const policy::trusted_proxies& trusted() {
    static const auto t = policy::trusted_proxies::parse({"10.0.0.0/8", "127.0.0.1", "fd00::/8"}).value();
    return t;
}

void proxy_header(const_bytes input) {
    const auto whole = pp::parse(input);
    if (whole.state == pp::status::done && (whole.size == 0 || whole.size > input.size())) std::abort();
    // A header that parses is never "needs more" on its own bytes, and a strict prefix of it
    // never parses to something else.
    for (std::size_t cut : {std::size_t(1), input.size() / 2}) {
        if (cut >= input.size()) continue;
        const auto part = pp::parse(input.first(cut));
        if (part.state == pp::status::done && whole.state != pp::status::done) std::abort();
        if (part.state == pp::status::done && part.size != whole.size) std::abort();
    }
}

void forwarded(std::string_view text) {
    http_request req{http::verb::get, "/ws", 11};
    const auto half = text.size() / 2;
    req.insert(text.size() % 2 ? "Forwarded" : "X-Forwarded-For", text.substr(0, half));
    req.insert("X-Forwarded-For", text.substr(half));
    const policy::client_address peer{net::ip::make_address("127.0.0.1"), 1};
    const auto client = policy::forwarded_client(req, peer, trusted());
    // An untrusted client is where the walk stops, so asking again from it changes nothing.
    if (!trusted().trusts(client.address) && policy::forwarded_client(req, client, trusted()) != client) std::abort();
    (void)policy::to_string(client);
}

void upgrade_headers(std::string_view text) {
    http_request req{http::verb::get, "/ws", 11};
    const auto half = text.size() / 2;
    req.insert(http::field::sec_websocket_protocol, text.substr(0, half));
    req.insert(http::field::authorization, text.substr(half));
    for (auto p : offered_subprotocols(req))
        if (p.empty()) std::abort();
    (void)bearer_token(req);
    (void)policy::address_range::parse(text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const const_bytes input(data + 1, size - 1);
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 3) {
    case 0: proxy_header(input); break;
    case 1:
        // Header values cannot hold CR or LF (Beast would refuse the request).
        if (text.find_first_of("\r\n") != std::string_view::npos) break;
        forwarded(text);
        break;
    case 2:
        if (text.find_first_of("\r\n") != std::string_view::npos) break;
        upgrade_headers(text);
        break;
    }
    return 0;
}
