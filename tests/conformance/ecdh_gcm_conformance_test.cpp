// The conformance suite for ECDH-GCM over the in-memory pipe, ws and wss.
#include "conformance.hpp"
#include "fault_injection.hpp"

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
    // Apps exchange inner events: {"event":"m","data":"<filler>"}, n bytes (at least 23).
    static sealed::bytes message(std::size_t n, std::uint8_t seed) {
        const std::string prefix = R"({"event":"m","data":")", suffix = R"("})";
        const std::size_t overhead = prefix.size() + suffix.size();
        const std::size_t filler = n >= overhead ? n - overhead : n;
        std::string text = prefix;
        for (std::size_t i = 0; i < filler; ++i) text += static_cast<char>('a' + (i + seed) % 26);
        text += suffix;
        return sealed::bytes(text.begin(), text.end());
    }
};

using ecdh_gcm_cases = ::testing::Types<ecdh_gcm_case<memory>, ecdh_gcm_case<sealed::ws>, ecdh_gcm_case<sealed::wss>>;
INSTANTIATE_TYPED_TEST_SUITE_P(ecdh_gcm, conformance, ecdh_gcm_cases);
using ecdh_gcm_fault_cases = ::testing::Types<ecdh_gcm_case<memory>, ecdh_gcm_case<sealed::ws>>;
INSTANTIATE_TYPED_TEST_SUITE_P(ecdh_gcm, fault_injection, ecdh_gcm_fault_cases);

}  // namespace sealed_test
