// The Botan 2 provider: complete, the fallback for everything OpenSSL lacks. Botan reports
// failures by throwing; every entry point catches here so only error_codes (and bad_alloc)
// leave the crypto layer.
#include "provider_impl.hpp"

#include <botan/aead.h>
#include <botan/bigint.h>
#include <botan/curve25519.h>
#include <botan/ec_group.h>
#include <botan/ecdh.h>
#include <botan/exceptn.h>
#include <botan/hash.h>
#include <botan/kdf.h>
#include <botan/mac.h>
#include <botan/pubkey.h>
#include <botan/shake.h>
#include <botan/stream_cipher.h>
#include <botan/system_rng.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace sealed::crypto::detail::botan_provider {

namespace {

// Botan's HMAC refuses keys over 4096 bytes; RFC 2104 hashes long keys anyway, so doing it
// first gives the same MAC for every key length.
constexpr std::size_t botan_hmac_max_key = 4096;

Botan::RandomNumberGenerator& rng() { return Botan::system_rng(); }

// Runs a Botan key agreement and copies its secret out; Botan throws on a bad peer point.
template <class Derive>
error_code agree_into(mutable_bytes secret, Derive derive) {
    try {
        const Botan::secure_vector<uint8_t> shared = derive();
        if (shared.size() != secret.size()) return errc::crypto_failure;
        std::memcpy(secret.data(), shared.data(), shared.size());
        return {};
    } catch (const std::bad_alloc&) {
        throw;
    } catch (...) {
        return errc::invalid_public_key;
    }
}

// The hash and MAC objects keep state between calls, so each thread has its own and the
// per-call path does not allocate.
Botan::HashFunction& thread_sha256() {
    thread_local const std::unique_ptr<Botan::HashFunction> h =
        Botan::HashFunction::create_or_throw("SHA-256");
    return *h;
}

Botan::MessageAuthenticationCode& thread_hmac() {
    thread_local const std::unique_ptr<Botan::MessageAuthenticationCode> m =
        Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
    return *m;
}

Botan::KDF& thread_hkdf() {
    thread_local const std::unique_ptr<Botan::KDF> k = Botan::KDF::create_or_throw("HKDF(SHA-256)");
    return *k;
}

const Botan::EC_Group& p256_group() {
    static const Botan::EC_Group group("secp256r1");
    return group;
}

// A key longer than Botan accepts, replaced by its hash as HMAC itself would do.
const_bytes hmac_key(const_bytes key, sha256_digest& storage) {
    if (key.size() <= botan_hmac_max_key) return key;
    const const_bytes parts[] = {key};
    sha256(parts, storage);
    return storage;
}

class p256_key final : public private_key_impl {
public:
    p256_key() : key_(rng(), p256_group()) {}
    // Botan would generate a random key for a zero scalar: the caller has refused it.
    explicit p256_key(const Botan::BigInt& scalar) : key_(rng(), p256_group(), scalar) {}

    error_code agree(const_bytes peer, mutable_bytes secret) const override {
        return agree_into(secret, [&] {
            // "Raw": the x-coordinate of d·Q, no KDF, as WebCrypto's deriveBits.
            const Botan::PK_Key_Agreement ka(key_, rng(), "Raw");
            return ka.derive_key(0, peer.data(), peer.size()).bits_of();
        });
    }

    void export_private(mutable_bytes out) const override {
        key_.private_value().binary_encode(out.data(), out.size());
    }

    std::vector<uint8_t> public_value() const { return key_.public_value(); }

private:
    Botan::ECDH_PrivateKey key_;
};

class x25519_key final : public private_key_impl {
public:
    explicit x25519_key(const Botan::secure_vector<uint8_t>& raw) : key_(raw) {}

    error_code agree(const_bytes peer, mutable_bytes secret) const override {
        return agree_into(secret, [&] { return key_.agree(peer.data(), peer.size()); });
    }

    void export_private(mutable_bytes out) const override {
        const auto& x = key_.get_x();
        std::memcpy(out.data(), x.data(), std::min(out.size(), x.size()));
    }

    std::vector<uint8_t> public_value() const { return key_.public_value(); }

private:
    Botan::Curve25519_PrivateKey key_;
};

// Botan's AEAD modes take whole-granularity chunks in place with process(), and only the
// short tail (plus the tag) goes through finish(), which wants a vector: the tail buffer is
// kept so the per-message path does not allocate.
class aead_mode final : public aead_impl {
public:
    aead_mode(std::unique_ptr<Botan::AEAD_Mode> enc, std::unique_ptr<Botan::AEAD_Mode> dec)
        : enc_(std::move(enc)), dec_(std::move(dec)) {
        tail_.reserve(std::max(enc_->update_granularity(), dec_->update_granularity()) +
                      aead::tag_size);
    }

    error_code seal(const_bytes nonce, const_bytes aad, const_bytes plaintext,
                    mutable_bytes out) override {
        try {
            enc_->set_associated_data(aad.data(), aad.size());
            enc_->start(nonce.data(), nonce.size());
            if (!plaintext.empty() && out.data() != plaintext.data())
                std::memcpy(out.data(), plaintext.data(), plaintext.size());
            const std::size_t bulk = plaintext.size() - plaintext.size() % enc_->update_granularity();
            if (bulk != 0) enc_->process(out.data(), bulk);
            tail_.assign(out.data() + bulk, out.data() + plaintext.size());
            enc_->finish(tail_, 0);
            if (tail_.size() != out.size() - bulk) return fail(enc_, errc::crypto_failure);
            std::memcpy(out.data() + bulk, tail_.data(), tail_.size());
            clear_tail();
            return {};
        } catch (const std::bad_alloc&) {
            throw;
        } catch (...) {
            return fail(enc_, errc::crypto_failure);
        }
    }

    error_code open(const_bytes nonce, const_bytes aad, const_bytes sealed,
                    mutable_bytes out) override {
        const std::size_t ct_size = out.size();
        try {
            std::array<byte, aead::tag_size> tag;
            std::memcpy(tag.data(), sealed.data() + ct_size, tag.size());
            dec_->set_associated_data(aad.data(), aad.size());
            dec_->start(nonce.data(), nonce.size());
            if (ct_size != 0 && out.data() != sealed.data())
                std::memcpy(out.data(), sealed.data(), ct_size);
            const std::size_t bulk = ct_size - ct_size % dec_->update_granularity();
            if (bulk != 0) dec_->process(out.data(), bulk);
            tail_.assign(out.data() + bulk, out.data() + ct_size);
            tail_.insert(tail_.end(), tag.begin(), tag.end());
            dec_->finish(tail_, 0);
            if (tail_.size() != ct_size - bulk) {
                secure_wipe(out.data(), out.size());
                return fail(dec_, errc::crypto_failure);
            }
            if (!tail_.empty()) std::memcpy(out.data() + bulk, tail_.data(), tail_.size());
            clear_tail();
            return {};
        } catch (const std::bad_alloc&) {
            secure_wipe(out.data(), out.size());
            fail(dec_, errc::crypto_failure);
            throw;
        } catch (...) {
            // Unauthenticated plaintext must not survive a failed open.
            secure_wipe(out.data(), out.size());
            return fail(dec_, errc::decrypt_failed);
        }
    }

private:
    void clear_tail() noexcept {
        secure_wipe(tail_.data(), tail_.size());
        tail_.clear();
    }
    // Leaves the mode ready for the next message under the same key.
    error_code fail(const std::unique_ptr<Botan::AEAD_Mode>& mode, errc e) noexcept {
        clear_tail();
        try {
            mode->reset();
        } catch (...) {
        }
        return e;
    }

    std::unique_ptr<Botan::AEAD_Mode> enc_;
    std::unique_ptr<Botan::AEAD_Mode> dec_;
    Botan::secure_vector<uint8_t> tail_;
};

class salsa20_stream final : public stream_impl {
public:
    explicit salsa20_stream(std::unique_ptr<Botan::StreamCipher> c) : cipher_(std::move(c)) {}
    void apply(const_bytes in, mutable_bytes out) noexcept override {
        if (in.empty()) return;
        try {
            cipher_->cipher(in.data(), out.data(), in.size());
        } catch (...) {
            // Only reachable if the keystream position overflows (2^70 bytes).
            fatal("salsa20 keystream failure");
        }
    }

private:
    std::unique_ptr<Botan::StreamCipher> cipher_;
};

template <std::size_t N>
void copy_public(const std::vector<uint8_t>& from, std::array<byte, N>& to) {
    if (from.size() != N) throw Botan::Internal_Error("unexpected public key size");
    std::copy(from.begin(), from.end(), to.begin());
}

}  // namespace

void random_bytes(mutable_bytes out) {
    if (out.empty()) return;
    try {
        rng().randomize(out.data(), out.size());
    } catch (const std::bad_alloc&) {
        throw;
    } catch (...) {
        fatal("the system RNG failed");
    }
}

void sha256(std::span<const const_bytes> parts, sha256_digest& out) {
    auto& h = thread_sha256();
    for (const auto part : parts) h.update(part.data(), part.size());
    h.final(out.data());
}

void sha256_counter_xor(const_bytes prefix, mutable_bytes data) {
    auto& h = thread_sha256();
    std::array<byte, 8> counter{};
    sha256_digest block;
    for (std::size_t offset = 0, i = 0; offset < data.size(); offset += block.size(), ++i) {
        for (int b = 0; b < 8; ++b) counter[7 - b] = static_cast<byte>(std::uint64_t(i) >> (8 * b));
        h.update(prefix.data(), prefix.size());
        h.update(counter.data(), counter.size());
        h.final(block.data());
        const std::size_t n = std::min(block.size(), data.size() - offset);
        for (std::size_t k = 0; k < n; ++k) data[offset + k] ^= block[k];
    }
}

void hmac_sha256(const_bytes key, const_bytes message, sha256_digest& out) {
    sha256_digest hashed_key;
    const const_bytes k = hmac_key(key, hashed_key);
    auto& mac = thread_hmac();
    try {
        mac.set_key(k.data(), k.size());
        mac.update(message.data(), message.size());
        mac.final(out.data());
    } catch (const std::bad_alloc&) {
        secure_wipe(hashed_key.data(), hashed_key.size());
        throw;
    } catch (...) {
        fatal("HMAC-SHA-256 failed");
    }
    secure_wipe(hashed_key.data(), hashed_key.size());
}

error_code hkdf_sha256(const_bytes ikm, const_bytes salt, const_bytes info, mutable_bytes out) {
    sha256_digest hashed_salt;
    const const_bytes salt_key = hmac_key(salt, hashed_salt);  // the salt is the HMAC key
    try {
        thread_hkdf().kdf(out.data(), out.size(), ikm.data(), ikm.size(), salt_key.data(),
                          salt_key.size(), info.data(), info.size());
        return {};
    } catch (const std::bad_alloc&) {
        throw;
    } catch (...) {
        secure_wipe(out.data(), out.size());
        return errc::crypto_failure;
    }
}

void shake128(const_bytes data, mutable_bytes out) {
    if (out.empty()) return;
    try {
        Botan::SHAKE_128 xof(out.size() * 8);
        xof.update(data.data(), data.size());
        xof.final(out.data());
    } catch (const std::bad_alloc&) {
        throw;
    } catch (...) {
        fatal("SHAKE-128 failed");
    }
}

namespace {

template <class Key, class... Args>
result<key_pair<p256_public_key::encoded_size>> make_p256(Args&&... args) {
    try {
        auto key = std::make_unique<Key>(std::forward<Args>(args)...);
        p256_pair pair;
        copy_public(key->public_value(), pair.public_key);
        pair.key.reset(key.release());
        return pair;
    } catch (const std::bad_alloc&) {
        throw;
    } catch (...) {
        return errc::crypto_failure;
    }
}

}  // namespace

result<p256_pair> p256_generate() { return make_p256<p256_key>(); }

result<p256_pair> p256_from_scalar(const_bytes scalar) {
    try {
        Botan::BigInt d(scalar.data(), scalar.size());
        auto pair = make_p256<p256_key>(d);
        d.clear();
        return pair;
    } catch (const std::bad_alloc&) {
        throw;
    } catch (...) {
        return errc::invalid_key;
    }
}

bool p256_point_valid(const_bytes sec1) noexcept {
    try {
        const auto& group = p256_group();
        const Botan::PointGFp point = group.OS2ECP(sec1.data(), sec1.size());
        // P-256 has cofactor 1: every point on the curve but the identity has order n, so
        // EC_Group::verify_public_element's n·Q check (a full scalar multiplication, which
        // halved Botan's handshake rate) would add nothing.
        if (point.is_zero() || !point.on_the_curve()) return false;
        // Coordinates >= p would decode to a reduced point: only the canonical encoding passes.
        const std::vector<uint8_t> canonical = point.encode(Botan::PointGFp::UNCOMPRESSED);
        return canonical.size() == sec1.size() &&
               std::equal(canonical.begin(), canonical.end(), sec1.begin());
    } catch (...) {
        return false;
    }
}

std::optional<std::array<byte, 65>> p256_decompress(const_bytes compressed) noexcept {
    try {
        if (compressed.size() != 33 || (compressed[0] != 0x02 && compressed[0] != 0x03)) return std::nullopt;
        const Botan::PointGFp point = p256_group().OS2ECP(compressed.data(), compressed.size());
        if (point.is_zero() || !point.on_the_curve()) return std::nullopt;
        const auto canonical = point.encode(Botan::PointGFp::COMPRESSED);  // x < p only
        if (!std::equal(canonical.begin(), canonical.end(), compressed.begin(), compressed.end())) return std::nullopt;
        const auto full = point.encode(Botan::PointGFp::UNCOMPRESSED);
        std::array<byte, 65> out;
        if (full.size() != out.size()) return std::nullopt;
        std::copy(full.begin(), full.end(), out.begin());
        return out;
    } catch (...) {
        return std::nullopt;
    }
}

result<x25519_pair> x25519_from_bytes(const_bytes raw) {
    try {
        const Botan::secure_vector<uint8_t> secret(raw.begin(), raw.end());
        auto key = std::make_unique<x25519_key>(secret);
        x25519_pair pair;
        copy_public(key->public_value(), pair.public_key);
        pair.key.reset(key.release());
        return pair;
    } catch (const std::bad_alloc&) {
        throw;
    } catch (...) {
        return errc::invalid_key;
    }
}

result<aead_handle> make_aead(aead_algorithm algorithm, const_bytes key) {
    // One Botan mode serves both ChaCha variants: a 24-byte nonce selects XChaCha20.
    const char* name = algorithm == aead_algorithm::aes256_gcm ? "AES-256/GCM" : "ChaCha20Poly1305";
    try {
        auto enc = Botan::AEAD_Mode::create_or_throw(name, Botan::ENCRYPTION);
        auto dec = Botan::AEAD_Mode::create_or_throw(name, Botan::DECRYPTION);
        enc->set_key(key.data(), key.size());
        dec->set_key(key.data(), key.size());
        return aead_handle(new aead_mode(std::move(enc), std::move(dec)));
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const Botan::Lookup_Error&) {
        return errc::unsupported_algorithm;
    } catch (...) {
        return errc::invalid_key;
    }
}

result<stream_handle> make_salsa20(const_bytes key, const_bytes nonce) {
    try {
        auto cipher = Botan::StreamCipher::create_or_throw("Salsa20");
        cipher->set_key(key.data(), key.size());
        cipher->set_iv(nonce.data(), nonce.size());  // 8 bytes: Salsa20, 24 bytes: XSalsa20
        return stream_handle(new salsa20_stream(std::move(cipher)));
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const Botan::Lookup_Error&) {
        return errc::unsupported_algorithm;
    } catch (...) {
        return errc::invalid_argument;
    }
}

}  // namespace sealed::crypto::detail::botan_provider
