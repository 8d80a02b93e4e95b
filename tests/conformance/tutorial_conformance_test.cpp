// The conformance suite and fault injection for docs/plugin-authors.md's scheme, the same file
// tests/install/tutorial builds outside the tree: the tutorial's step "run the suite".
#include "conformance.hpp"
#include "fault_injection.hpp"

#include "../install/tutorial/psk_scheme.hpp"

namespace sealed_test {

template <class Family>
struct tutorial_case {
    using family = Family;
    using scheme = tutorial::psk::scheme;
    static tutorial::psk::key alice_key() {
        tutorial::psk::key k{};
        for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<sealed::byte>(i * 7);
        return k;
    }
    static scheme::options server_options() {
        scheme::options o;
        o.keys = std::make_shared<const tutorial::psk::key_map>(tutorial::psk::key_map{{"alice", alice_key()}});
        return o;
    }
    static scheme::options client_options() {
        scheme::options o;
        o.name = "alice";
        o.client_key = alice_key();
        return o;
    }
};

using tutorial_cases = ::testing::Types<tutorial_case<memory>, tutorial_case<sealed::ws>, tutorial_case<sealed::tcp>>;
INSTANTIATE_TYPED_TEST_SUITE_P(tutorial, conformance, tutorial_cases);
using tutorial_fault_cases = ::testing::Types<tutorial_case<memory>, tutorial_case<sealed::ws>>;
INSTANTIATE_TYPED_TEST_SUITE_P(tutorial, fault_injection, tutorial_fault_cases);

}  // namespace sealed_test
