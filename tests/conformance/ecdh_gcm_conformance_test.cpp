// The conformance suite for ECDH-GCM over the in-memory pipe, ws and wss.
#include "conformance.hpp"

#include <sealed/ecdh_gcm/scheme.hpp>

namespace sealed_test {

template <class Family>
struct ecdh_gcm_case {
    using family = Family;
    using scheme = sealed::ecdh_gcm::scheme;
    static scheme::options server_options() { return {}; }
    static scheme::options client_options() {
        scheme::options o;
        o.token = "conformance-user";
        return o;
    }
};

using ecdh_gcm_cases = ::testing::Types<ecdh_gcm_case<memory>, ecdh_gcm_case<sealed::ws>, ecdh_gcm_case<sealed::wss>>;
INSTANTIATE_TYPED_TEST_SUITE_P(ecdh_gcm, conformance, ecdh_gcm_cases);

}  // namespace sealed_test
