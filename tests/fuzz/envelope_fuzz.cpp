// libFuzzer target for what the sealed envelope parses from the network and from disk: request
// and response envelopes, refusal bodies, JWKS documents and PEM key files; a request that
// parses is also opened against a fixed keyring (the semantic checks after parsing).
// The first input byte picks the parser. Build and run: scripts/fuzz (docs/reliability.md).
#include <sealed/envelope/seal.hpp>

#include <cstddef>
#include <cstdint>

using namespace sealed;
using namespace sealed::envelope;

namespace {
const keyring& fixed_ring() {
    static const keyring ring{make_server_key(crypto::p256_private_key::generate())};
    return ring;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 5) {
    case 0:
        if (auto e = parse_request(input)) {
            // What parses must serialize and parse back to the same fields.
            auto again = parse_request(serialize_request(*e));
            if (!again || again->kid != e->kid || again->ts != e->ts || again->nonce != e->nonce || again->ct != e->ct)
                __builtin_trap();
        }
        (void)open_request(input, fixed_ring(), wall_clock::now());
        break;
    case 1:
        (void)parse_response(input);
        break;
    case 2:
        (void)refusal_code(input);
        break;
    case 3:
        (void)parse_jwks(input);
        break;
    case 4:
        (void)from_pem(input);
        break;
    }
    return 0;
}
