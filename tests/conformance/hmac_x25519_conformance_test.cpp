// The conformance suite for HMAC-X25519 over the in-memory pipe, ws and wss.
#include "conformance.hpp"
#include "fault_injection.hpp"

#include <sealed/hmac_x25519/scheme.hpp>

namespace sealed_test {

template <class Family>
struct hmac_x25519_case {
    using family = Family;
    using scheme = sealed::hmac_x25519::scheme;
    static scheme::options node(std::string_view name) {
        scheme::options o;
        o.identity = std::make_shared<sealed::hmac_x25519::node_identity>(
            sealed::hmac_x25519::node_identity::generate(name));
        return o;
    }
    static scheme::options server_options() {
        static const auto responder = node("responder");
        return responder;
    }
    static scheme::options client_options() {
        auto o = node("initiator");
        o.expected_peer_id = server_options().identity->id();
        return o;
    }
    // Apps exchange envelopes; the filler pads one to about n bytes, with a fresh id each.
    static sealed::bytes message(std::size_t n, std::uint8_t seed) {
        std::string text = sealed::hmac_x25519::wire::serialize(sealed::hmac_x25519::wire::make_envelope(
            "m", "a", "b", boost::json::object{{"filler", ""}}));
        std::string filler;
        for (std::size_t i = 0; text.size() + filler.size() < n; ++i) filler += static_cast<char>('a' + (i + seed) % 26);
        text.insert(text.find(R"("filler":"")") + 10, filler);
        return sealed::bytes(text.begin(), text.end());
    }
};

using hmac_x25519_cases =
    ::testing::Types<hmac_x25519_case<memory>, hmac_x25519_case<sealed::ws>, hmac_x25519_case<sealed::wss>>;
INSTANTIATE_TYPED_TEST_SUITE_P(hmac_x25519, conformance, hmac_x25519_cases);
using hmac_x25519_fault_cases = ::testing::Types<hmac_x25519_case<memory>, hmac_x25519_case<sealed::ws>>;
INSTANTIATE_TYPED_TEST_SUITE_P(hmac_x25519, fault_injection, hmac_x25519_fault_cases);

}  // namespace sealed_test
