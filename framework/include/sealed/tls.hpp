// TLS contexts, hardened as DESIGN.md §3 and the runtime issue say: TLS 1.2 minimum, AEAD-only
// suites (AES-GCM, ChaCha20-Poly1305), key exchange groups X25519 and P-256.
#pragma once

#include <sealed/error.hpp>

#include <boost/asio/ssl/context.hpp>

#include <string>

namespace sealed::tls {

namespace ssl = boost::asio::ssl;

// Server context from PEM files. errc::invalid_key when the files cannot be loaded or do not match.
result<ssl::context> make_server_context(const std::string& cert_file, const std::string& key_file);
result<ssl::context> make_server_context_from_pem(const std::string& cert_pem, const std::string& key_pem);

// Mutual TLS: clients must present a certificate that one of the PEM certificates in
// `ca_pem` signed (their names go out in the CertificateRequest). errc::invalid_key when
// `ca_pem` holds no certificate.
error_code require_client_certificates(ssl::context& ctx, const std::string& ca_pem);
// The same from a file (or the file system's error).
error_code require_client_certificates_from(ssl::context& ctx, const std::string& ca_file);

// A server context from PEM files, each read once (what is checked is what serves, even if the
// files change meanwhile), requiring client certificates when `client_ca_file` is given.
// errc::invalid_key for a pair that does not load or match, or a CA file with no certificate;
// the file system's error for a file that cannot be read.
result<ssl::context> load_server_context(const std::string& cert_file, const std::string& key_file,
                                         const std::string& client_ca_file = {});

struct client_options {
    bool verify_peer = true;  // off only for tests against a self-signed certificate
    std::string ca_file;      // empty: the system's trust store
    std::string ca_pem;       // or a PEM string (tests)
};
result<ssl::context> make_client_context(const client_options& opts);

// A self-signed P-256 certificate for `common_name` (also a SAN, as is 127.0.0.1 and ::1),
// valid for `days`. For tests and `--tls-self-signed` development servers.
struct self_signed {
    std::string cert_pem;
    std::string key_pem;
};
self_signed make_self_signed(const std::string& common_name = "localhost", int days = 30);

}  // namespace sealed::tls
