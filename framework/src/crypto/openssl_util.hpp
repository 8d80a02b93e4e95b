// Small RAII helpers for the OpenSSL provider's files.
#pragma once

#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>

namespace sealed::crypto::detail::openssl_provider {

template <auto Free>
struct openssl_deleter {
    template <class T>
    void operator()(T* p) const noexcept {
        Free(p);
    }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY_free>>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, openssl_deleter<EVP_PKEY_CTX_free>>;
using cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, openssl_deleter<EVP_CIPHER_CTX_free>>;

// OpenSSL queues an error record per failure on the calling thread; the error_code we return
// replaces it, and a stale record would confuse the next OpenSSL user on this thread (TLS).
inline void clear_errors() noexcept { ERR_clear_error(); }

}  // namespace sealed::crypto::detail::openssl_provider
