// A throwaway certificate made at test time (no keys in the repository).
#pragma once

#include <sealed/tls.hpp>

#include <memory>

namespace sealed_test {

struct test_tls {
    sealed::tls::self_signed pair = sealed::tls::make_self_signed("localhost");
    std::shared_ptr<boost::asio::ssl::context> server() const {
        return std::make_shared<boost::asio::ssl::context>(
            sealed::tls::make_server_context_from_pem(pair.cert_pem, pair.key_pem).value());
    }
    // Verifies the server against this certificate (so the test checks real verification).
    std::shared_ptr<boost::asio::ssl::context> client() const {
        sealed::tls::client_options o;
        o.ca_pem = pair.cert_pem;
        return std::make_shared<boost::asio::ssl::context>(sealed::tls::make_client_context(o).value());
    }
};

inline const test_tls& shared_tls() {
    static const test_tls instance;
    return instance;
}

}  // namespace sealed_test
