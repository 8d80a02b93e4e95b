// AEAD and Salsa20 objects: argument checks common to every provider, then dispatch.
#include "provider_impl.hpp"

#include <sealed/crypto/aead.hpp>
#include <sealed/crypto/stream.hpp>

#include <cstdint>
#include <cstring>
#include <utility>

namespace sealed::crypto {

namespace {

// Exact aliasing (in place) is supported; any other overlap would let a provider read input it
// has already overwritten.
bool partially_overlap(const_bytes a, const_bytes b) noexcept {
    if (a.empty() || b.empty() || a.data() == b.data()) return false;
    const auto a0 = reinterpret_cast<std::uintptr_t>(a.data());
    const auto b0 = reinterpret_cast<std::uintptr_t>(b.data());
    return a0 < b0 + b.size() && b0 < a0 + a.size();
}

bool nonce_ok(aead_algorithm a, std::size_t n) noexcept {
    switch (a) {
    case aead_algorithm::aes256_gcm: return n != 0;
    case aead_algorithm::chacha20_poly1305: return n == 12;
    case aead_algorithm::xchacha20_poly1305: return n == 24;
    }
    return false;
}

error_code wipe_and(mutable_bytes out, error_code e) noexcept {
    if (!out.empty()) secure_wipe(out.data(), out.size());
    return e;
}

}  // namespace

result<aead> aead::create(aead_algorithm algorithm, const_bytes key, provider p) {
    if (key.size() != key_size) return errc::invalid_key;
    if (!provides(p, to_primitive(algorithm))) return errc::unsupported_algorithm;
    return aead(key, algorithm, p);
}

aead::aead(const_bytes key, aead_algorithm a, provider p) noexcept : algorithm_(a), provider_(p), keyed_(true) {
    std::memcpy(key_.data(), key.data(), key_size);
}

aead::aead(aead&& other) noexcept
    : impl_(std::move(other.impl_)), key_(other.key_), algorithm_(other.algorithm_), provider_(other.provider_),
      keyed_(std::exchange(other.keyed_, false)) {
    secure_wipe(other.key_.data(), other.key_.size());
}

aead& aead::operator=(aead&& other) noexcept {
    if (this != &other) {
        impl_ = std::move(other.impl_);
        key_ = other.key_;
        algorithm_ = other.algorithm_;
        provider_ = other.provider_;
        keyed_ = std::exchange(other.keyed_, false);
        secure_wipe(other.key_.data(), other.key_.size());
    }
    return *this;
}

aead::~aead() { secure_wipe(key_.data(), key_.size()); }

error_code aead::ensure_context() {
    if (impl_) return {};
    if (!keyed_) return errc::invalid_key;
    result<detail::aead_handle> impl = errc::unsupported_algorithm;
#if defined(SEALED_HAVE_OPENSSL_PROVIDER)
    if (provider_ == provider::openssl) impl = detail::openssl_provider::make_aead(algorithm_, key_);
    else
#endif
#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)
    if (provider_ == provider::libsodium) impl = detail::libsodium_provider::make_aead(algorithm_, key_);
    else
#endif
        impl = detail::botan_provider::make_aead(algorithm_, key_);
    if (!impl) return impl.error();
    impl_ = std::move(*impl);
    return {};
}

std::size_t aead::nonce_size() const noexcept {
    return algorithm_ == aead_algorithm::xchacha20_poly1305 ? 24 : 12;
}

error_code aead::seal(const_bytes nonce, const_bytes aad, const_bytes plaintext,
                      mutable_bytes out) {
    if (!nonce_ok(algorithm_, nonce.size()) || out.size() != plaintext.size() + tag_size ||
        partially_overlap(plaintext, out))
        return errc::invalid_argument;
    if (auto ec = ensure_context()) return ec;
    return impl_->seal(nonce, aad, plaintext, out);
}

error_code aead::open(const_bytes nonce, const_bytes aad, const_bytes sealed, mutable_bytes out) {
    if (sealed.size() < tag_size) return wipe_and(out, errc::decrypt_failed);
    if (!nonce_ok(algorithm_, nonce.size()) || out.size() != sealed.size() - tag_size ||
        partially_overlap(sealed, out))
        return wipe_and(out, errc::invalid_argument);
    if (auto ec = ensure_context()) return wipe_and(out, ec);
    return impl_->open(nonce, aad, sealed, out);
}

result<bytes> aead_seal(aead_algorithm a, const_bytes key, const_bytes nonce, const_bytes aad,
                        const_bytes plaintext) {
    auto cipher = aead::create(a, key);
    if (!cipher) return cipher.error();
    bytes out(plaintext.size() + aead::tag_size);
    if (auto ec = cipher->seal(nonce, aad, plaintext, out)) return ec;
    return out;
}

result<bytes> aead_open(aead_algorithm a, const_bytes key, const_bytes nonce, const_bytes aad,
                        const_bytes sealed) {
    if (sealed.size() < aead::tag_size) return errc::decrypt_failed;
    auto cipher = aead::create(a, key);
    if (!cipher) return cipher.error();
    bytes out(sealed.size() - aead::tag_size);
    if (auto ec = cipher->open(nonce, aad, sealed, out)) return ec;
    return out;
}

// --- Salsa20 ----------------------------------------------------------------------------------

result<salsa20> salsa20::create(const_bytes key, const_bytes nonce, provider p) {
    if (key.size() != key_size) return errc::invalid_key;
    if (nonce.size() != 8 && nonce.size() != 24) return errc::invalid_argument;
    if (!provides(p, primitive::salsa20)) return errc::unsupported_algorithm;
    result<detail::stream_handle> impl = errc::unsupported_algorithm;
#if defined(SEALED_HAVE_LIBSODIUM_PROVIDER)
    if (p == provider::libsodium) impl = detail::libsodium_provider::make_salsa20(key, nonce);
    else
#endif
        impl = detail::botan_provider::make_salsa20(key, nonce);
    if (!impl) return impl.error();
    return salsa20(std::move(*impl));
}

salsa20::salsa20(std::unique_ptr<detail::stream_impl, detail::stream_impl_deleter> impl) noexcept
    : impl_(std::move(impl)) {}
salsa20::salsa20(salsa20&&) noexcept = default;
salsa20& salsa20::operator=(salsa20&&) noexcept = default;
salsa20::~salsa20() = default;

void salsa20::apply(mutable_bytes data) noexcept { apply(data, data); }

void salsa20::apply(const_bytes in, mutable_bytes out) noexcept {
    // No error channel: a misuse here would silently mis-encrypt, which is worse than stopping.
    if (!impl_) detail::fatal("salsa20::apply on a moved-from object");
    if (in.size() != out.size() || partially_overlap(in, out))
        detail::fatal("salsa20::apply: output must be the input's size and not partially overlap");
    impl_->apply(in, out);
}

}  // namespace sealed::crypto
