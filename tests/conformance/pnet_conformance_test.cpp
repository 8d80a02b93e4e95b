// The conformance suite for PSK-pnet over the in-memory pipe, ws, wss and raw framed TCP.
// (pnet has no MAC: the tamper test is skipped, as for plaintext; the layer above must check.)
#include "conformance.hpp"
#include "fault_injection.hpp"

#include <sealed/pnet/scheme.hpp>

namespace sealed_test {

template <class Family>
struct pnet_case {
    using family = Family;
    using scheme = sealed::pnet::scheme;
    static scheme::options server_options() {
        scheme::options o;
        o.key = sealed::pnet::psk(32, 0x42);
        return o;
    }
    static scheme::options client_options() { return server_options(); }
};

using pnet_cases = ::testing::Types<pnet_case<memory>, pnet_case<sealed::ws>, pnet_case<sealed::wss>,
                                    pnet_case<sealed::tcp>>;
INSTANTIATE_TYPED_TEST_SUITE_P(pnet, conformance, pnet_cases);
using pnet_fault_cases = ::testing::Types<pnet_case<memory>, pnet_case<sealed::ws>>;
INSTANTIATE_TYPED_TEST_SUITE_P(pnet, fault_injection, pnet_fault_cases);

}  // namespace sealed_test
