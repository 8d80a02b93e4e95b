#include <sealed/noise/symmetric_state.hpp>

#include <sealed/crypto/kdf.hpp>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace sealed::noise {
namespace {

constexpr auto reserved_nonce = std::numeric_limits<std::uint64_t>::max();

// Noise's HKDF(ck, ikm, n) is RFC 5869's with ck as the salt and no info: the outputs are the
// 32-byte blocks T(1), T(2), T(3) of the expansion.
template <std::size_t Outputs>
result<std::array<byte, 32 * Outputs>> noise_hkdf(const crypto::sha256_digest& ck, const_bytes ikm) {
    std::array<byte, 32 * Outputs> out{};
    if (auto ec = crypto::hkdf_sha256(ikm, ck, {}, out)) return ec;
    return out;
}

}  // namespace

void cipher_state::initialize_key(const_bytes key) {
    n_ = 0;
    if (key.empty()) {
        aead_.reset();
        return;
    }
    auto made = crypto::aead::create(crypto::aead_algorithm::chacha20_poly1305, key);
    if (!made) throw std::invalid_argument("noise: a cipher key is 32 bytes");
    aead_.emplace(std::move(*made));
}

std::array<byte, 12> cipher_state::nonce_bytes(std::uint64_t n) noexcept {
    // ChaChaPoly (§12.3): 32 zero bits, then the counter little-endian.
    std::array<byte, 12> nonce{};
    for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<byte>(n >> (8 * i));
    return nonce;
}

error_code cipher_state::encrypt_with_ad(const_bytes ad, const_bytes plaintext, mutable_bytes out) {
    if (!aead_) return errc::invalid_key;
    if (n_ == reserved_nonce) return errc::nonce_exhausted;
    if (auto ec = aead_->seal(nonce_bytes(n_), ad, plaintext, out)) return ec;
    ++n_;
    return {};
}

error_code cipher_state::decrypt_with_ad(const_bytes ad, const_bytes ciphertext, mutable_bytes out) {
    if (!aead_) return errc::invalid_key;
    if (n_ == reserved_nonce) return errc::nonce_exhausted;
    if (ciphertext.size() < tag_size) return errc::decrypt_failed;
    if (auto ec = aead_->open(nonce_bytes(n_), ad, ciphertext, out)) return ec;
    ++n_;
    return {};
}

error_code cipher_state::encrypt_with_ad(const_bytes ad, const_bytes plaintext, bytes& out) {
    if (!aead_) {
        out.insert(out.end(), plaintext.begin(), plaintext.end());
        return {};
    }
    const auto at = out.size();
    out.resize(at + plaintext.size() + tag_size);
    const auto ec = encrypt_with_ad(ad, plaintext, mutable_bytes(out).subspan(at));
    if (ec) out.resize(at);
    return ec;
}

error_code cipher_state::decrypt_with_ad(const_bytes ad, const_bytes ciphertext, bytes& out) {
    if (!aead_) {
        out.insert(out.end(), ciphertext.begin(), ciphertext.end());
        return {};
    }
    if (ciphertext.size() < tag_size) return errc::decrypt_failed;
    const auto at = out.size();
    out.resize(at + ciphertext.size() - tag_size);
    const auto ec = decrypt_with_ad(ad, ciphertext, mutable_bytes(out).subspan(at));
    if (ec) out.resize(at);
    return ec;
}

error_code cipher_state::rekey() {
    if (!aead_) return errc::invalid_key;
    const std::array<byte, key_size> zeros{};
    std::array<byte, key_size + tag_size> sealed{};
    if (auto ec = aead_->seal(nonce_bytes(reserved_nonce), {}, zeros, sealed)) return ec;
    const auto n = n_;
    initialize_key(const_bytes(sealed).first(key_size));
    n_ = n;
    std::fill(sealed.begin(), sealed.end(), byte{0});
    return {};
}

symmetric_state::symmetric_state(std::string_view protocol_name) {
    if (protocol_name.size() <= h_.size())
        std::copy(protocol_name.begin(), protocol_name.end(), h_.begin());
    else
        h_ = crypto::sha256(as_bytes(protocol_name));
    ck_ = h_;
}

error_code symmetric_state::mix_key(const_bytes input_key_material) {
    auto out = noise_hkdf<2>(ck_, input_key_material);
    if (!out) return out.error();
    std::copy_n(out->begin(), 32, ck_.begin());
    cipher_.initialize_key(const_bytes(*out).subspan(32, key_size));
    std::fill(out->begin(), out->end(), byte{0});
    return {};
}

void symmetric_state::mix_hash(const_bytes data) { h_ = crypto::sha256({const_bytes(h_), data}); }

error_code symmetric_state::mix_key_and_hash(const_bytes input_key_material) {
    auto out = noise_hkdf<3>(ck_, input_key_material);
    if (!out) return out.error();
    std::copy_n(out->begin(), 32, ck_.begin());
    mix_hash(const_bytes(*out).subspan(32, 32));
    cipher_.initialize_key(const_bytes(*out).subspan(64, key_size));
    std::fill(out->begin(), out->end(), byte{0});
    return {};
}

error_code symmetric_state::encrypt_and_hash(const_bytes plaintext, bytes& out) {
    const auto at = out.size();
    if (auto ec = cipher_.encrypt_with_ad(h_, plaintext, out)) return ec;
    mix_hash(const_bytes(out).subspan(at));
    return {};
}

error_code symmetric_state::decrypt_and_hash(const_bytes ciphertext, bytes& out) {
    // h before the ciphertext is mixed in is the AD; the ciphertext is mixed only if it opened.
    if (auto ec = cipher_.decrypt_with_ad(h_, ciphertext, out)) return ec;
    mix_hash(ciphertext);
    return {};
}

result<std::pair<cipher_state, cipher_state>> symmetric_state::split() const {
    auto out = noise_hkdf<2>(ck_, {});
    if (!out) return out.error();
    std::pair<cipher_state, cipher_state> ciphers{cipher_state(const_bytes(*out).first(key_size)),
                                                  cipher_state(const_bytes(*out).subspan(32, key_size))};
    std::fill(out->begin(), out->end(), byte{0});
    return ciphers;
}

}  // namespace sealed::noise
