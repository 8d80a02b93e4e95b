// Salsa20 stream cipher: an 8-byte nonce is Salsa20, a 24-byte nonce XSalsa20 (libp2p pnet).
// The keystream is continuous across apply() calls. No authentication: callers must detect
// tampering above this layer. Botan or libsodium (OpenSSL has no Salsa20).
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/crypto/provider.hpp>
#include <sealed/error.hpp>

#include <memory>

namespace sealed::crypto {

namespace detail {
class stream_impl;
struct stream_impl_deleter {
    void operator()(stream_impl*) const noexcept;
};
}  // namespace detail

class salsa20 {
public:
    static constexpr std::size_t key_size = 32;
    // errc::invalid_key unless the key is 32 bytes; errc::invalid_argument unless the nonce is
    // 8 or 24 bytes; errc::unsupported_algorithm when `p` lacks Salsa20.
    static result<salsa20> create(const_bytes key, const_bytes nonce,
                                  provider p = default_provider(primitive::salsa20));

    salsa20(salsa20&&) noexcept;
    salsa20& operator=(salsa20&&) noexcept;
    ~salsa20();

    // XORs the next data.size() keystream bytes into data, in place.
    void apply(mutable_bytes data) noexcept;
    // out.size() must equal in.size(); in and out may be the same.
    void apply(const_bytes in, mutable_bytes out) noexcept;

private:
    explicit salsa20(std::unique_ptr<detail::stream_impl, detail::stream_impl_deleter> impl) noexcept;
    std::unique_ptr<detail::stream_impl, detail::stream_impl_deleter> impl_;
};

}  // namespace sealed::crypto
