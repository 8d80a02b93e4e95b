// The conformance suite and fault injection for the noise scheme (XX, an allowlist on the
// server, the server pinned by the client) over the in-memory pipe, ws, wss and raw TCP frames.
#include "conformance.hpp"
#include "fault_injection.hpp"

#include <sealed/noise/scheme.hpp>

namespace sealed_test {

template <class Family>
struct noise_case {
    using family = Family;
    using scheme = sealed::noise::scheme;
    static std::shared_ptr<const sealed::crypto::x25519_private_key> key(int which) {
        static const auto server = std::make_shared<const sealed::crypto::x25519_private_key>(
            sealed::crypto::x25519_private_key::generate());
        static const auto client = std::make_shared<const sealed::crypto::x25519_private_key>(
            sealed::crypto::x25519_private_key::generate());
        return which == 0 ? server : client;
    }
    static scheme::options server_options() {
        scheme::options o;
        o.static_key = key(0);
        auto allowed = std::make_shared<sealed::noise::allowlist>();
        allowed->add(key(1)->public_key());
        o.allowed = std::move(allowed);
        return o;
    }
    static scheme::options client_options() {
        scheme::options o;
        o.static_key = key(1);
        o.expected_peer = key(0)->public_key();
        return o;
    }
};

using noise_cases = ::testing::Types<noise_case<memory>, noise_case<sealed::ws>, noise_case<sealed::wss>,
                                     noise_case<sealed::tcp>>;
INSTANTIATE_TYPED_TEST_SUITE_P(noise, conformance, noise_cases);
using noise_fault_cases = ::testing::Types<noise_case<memory>, noise_case<sealed::ws>>;
INSTANTIATE_TYPED_TEST_SUITE_P(noise, fault_injection, noise_fault_cases);

}  // namespace sealed_test
