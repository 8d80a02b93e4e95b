// The conformance suite for the plaintext scheme over every transport.
#include "conformance.hpp"
#include "fault_injection.hpp"

#include <sealed/plaintext/scheme.hpp>

namespace sealed_test {

template <class Family>
struct plaintext_case {
    using family = Family;
    using scheme = sealed::plaintext::scheme;
    static scheme::options server_options() { return {}; }
    static scheme::options client_options() { return {}; }
};

using cases = ::testing::Types<plaintext_case<sealed_test::memory>, plaintext_case<sealed::ws>,
                               plaintext_case<sealed::wss>, plaintext_case<sealed::tcp>>;
INSTANTIATE_TYPED_TEST_SUITE_P(plaintext, conformance, cases);
using plaintext_fault_cases = ::testing::Types<plaintext_case<memory>, plaintext_case<sealed::ws>>;
INSTANTIATE_TYPED_TEST_SUITE_P(plaintext, fault_injection, plaintext_fault_cases);

}  // namespace sealed_test
