#include <sealed/tls.hpp>

#include <sealed/files.hpp>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace sealed::tls {
namespace {

// TLS 1.2 suites: ECDHE with AEAD only. TLS 1.3 suites are all AEAD already.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
constexpr const char* tls13_suites =
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
constexpr const char* groups = "X25519:P-256";

error_code harden(ssl::context& ctx) {
    SSL_CTX* native = ctx.native_handle();
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_compression);
    if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(native, tls12_ciphers) != 1 ||
        SSL_CTX_set_ciphersuites(native, tls13_suites) != 1 ||
        SSL_CTX_set1_groups_list(native, groups) != 1)
        return errc::crypto_failure;
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    return {};
}

struct bio_deleter { void operator()(BIO* b) const noexcept { BIO_free(b); } };
struct pkey_deleter { void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); } };
struct x509_deleter { void operator()(X509* x) const noexcept { X509_free(x); } };

std::string bio_to_string(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

result<ssl::context> context_from_pem(std::string_view cert_pem, std::string_view key_pem) {
    ssl::context ctx(ssl::context::tls_server);
    if (auto ec = harden(ctx)) return ec;
    boost::system::error_code ec;
    ctx.use_certificate_chain(boost::asio::buffer(cert_pem), ec);
    if (!ec) ctx.use_private_key(boost::asio::buffer(key_pem), ssl::context::pem, ec);
    if (ec || SSL_CTX_check_private_key(ctx.native_handle()) != 1) return make_error_code(errc::invalid_key);
    return ctx;
}

// Both files read once: what is checked is what is installed, even if they change meanwhile.
// The bytes are wiped when freed (files::read).
struct pem_pair {
    secure_bytes cert, key;
    std::string_view cert_pem() const { return as_string_view(cert); }
    std::string_view key_pem() const { return as_string_view(key); }
};
result<pem_pair> read_pair(const std::string& cert_file, const std::string& key_file) {
    auto cert = files::read(cert_file);
    if (!cert) return cert.error();
    auto key = files::read(key_file);
    if (!key) return key.error();
    return pem_pair{std::move(*cert), std::move(*key)};
}

}  // namespace

result<ssl::context> make_server_context(const std::string& cert_file, const std::string& key_file) {
    ssl::context ctx(ssl::context::tls_server);
    if (auto ec = harden(ctx)) return ec;
    boost::system::error_code ec;
    ctx.use_certificate_chain_file(cert_file, ec);
    if (!ec) ctx.use_private_key_file(key_file, ssl::context::pem, ec);
    if (ec || SSL_CTX_check_private_key(ctx.native_handle()) != 1) return make_error_code(errc::invalid_key);
    return ctx;
}

result<ssl::context> make_server_context_from_pem(const std::string& cert_pem, const std::string& key_pem) {
    return context_from_pem(cert_pem, key_pem);
}

error_code require_client_certificates(ssl::context& ctx, const std::string& ca_pem) {
    std::unique_ptr<BIO, bio_deleter> bio(BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size())));
    if (!bio) return errc::crypto_failure;
    X509_STORE* store = SSL_CTX_get_cert_store(ctx.native_handle());
    int added = 0;
    for (;;) {
        std::unique_ptr<X509, x509_deleter> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (!cert) break;
        if (X509_STORE_add_cert(store, cert.get()) != 1 || SSL_CTX_add_client_CA(ctx.native_handle(), cert.get()) != 1)
            return errc::invalid_key;
        ++added;
    }
    ERR_clear_error();  // the end of the PEM text reads as an error
    if (added == 0) return errc::invalid_key;
    ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    return {};
}

error_code require_client_certificates_from(ssl::context& ctx, const std::string& ca_file) {
    auto ca = files::read(ca_file);
    if (!ca) return ca.error();
    return require_client_certificates(ctx, std::string(as_string_view(*ca)));
}

result<ssl::context> load_server_context(const std::string& cert_file, const std::string& key_file,
                                         const std::string& client_ca_file) {
    auto pair = read_pair(cert_file, key_file);
    if (!pair) return pair.error();
    auto ctx = context_from_pem(pair->cert_pem(), pair->key_pem());
    if (!ctx) return ctx.error();
    if (!client_ca_file.empty())
        if (auto ec = require_client_certificates_from(*ctx, client_ca_file)) return ec;
    return ctx;
}

result<ssl::context> make_client_context(const client_options& opts) {
    ssl::context ctx(ssl::context::tls_client);
    if (auto ec = harden(ctx)) return ec;
    boost::system::error_code ec;
    if (!opts.verify_peer) {
        ctx.set_verify_mode(ssl::verify_none);
        return ctx;
    }
    ctx.set_verify_mode(ssl::verify_peer);
    if (!opts.ca_pem.empty())
        ctx.add_certificate_authority(boost::asio::buffer(opts.ca_pem), ec);
    else if (!opts.ca_file.empty())
        ctx.load_verify_file(opts.ca_file, ec);
    else
        ctx.set_default_verify_paths(ec);
    if (ec) return make_error_code(errc::invalid_key);
    return ctx;
}

self_signed make_self_signed(const std::string& common_name, int days) {
    std::unique_ptr<EVP_PKEY, pkey_deleter> key(EVP_EC_gen("P-256"));
    std::unique_ptr<X509, x509_deleter> cert(X509_new());
    if (!key || !cert) throw std::runtime_error("self-signed certificate: key generation failed");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * days);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
    std::string san = "DNS:" + common_name + ",IP:127.0.0.1,IP:::1";
    if (X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san.c_str())) {
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
        throw std::runtime_error("self-signed certificate: signing failed");

    std::unique_ptr<BIO, bio_deleter> cert_bio(BIO_new(BIO_s_mem())), key_bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(cert_bio.get(), cert.get());
    PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    return {bio_to_string(cert_bio.get()), bio_to_string(key_bio.get())};
}

}  // namespace sealed::tls
