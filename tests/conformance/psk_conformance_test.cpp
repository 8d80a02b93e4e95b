// The conformance suite for an authenticated scheme (tests/support's PSK scheme) over every
// transport: this is where "tampered wire bytes are refused" is exercised for the core.
#include "conformance.hpp"
#include "fault_injection.hpp"

#include <sealed_test/psk_scheme.hpp>

namespace sealed_test {

template <class Family>
struct psk_case {
    using family = Family;
    using scheme = psk::scheme;
    static psk::options server_options() { return shared(); }
    static psk::options client_options() { return shared(); }
    static psk::options shared() {
        psk::options o;
        for (std::size_t i = 0; i < o.psk.size(); ++i) o.psk[i] = static_cast<std::uint8_t>(i);
        return o;
    }
};

using psk_cases = ::testing::Types<psk_case<memory>, psk_case<sealed::ws>, psk_case<sealed::wss>, psk_case<sealed::tcp>>;
INSTANTIATE_TYPED_TEST_SUITE_P(psk, conformance, psk_cases);
using psk_fault_cases = ::testing::Types<psk_case<memory>, psk_case<sealed::ws>>;
INSTANTIATE_TYPED_TEST_SUITE_P(psk, fault_injection, psk_fault_cases);

}  // namespace sealed_test
