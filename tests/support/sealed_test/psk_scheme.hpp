// A small authenticated scheme for the framework's own tests: both sides hold a 32-byte PSK,
// exchange 16-byte salts, derive one ChaCha20-Poly1305 key per direction with HKDF-SHA-256, and
// number their messages (the counter is the nonce, so reordering, replay and tampering fail).
// It exercises the crypto layer and lets the conformance suite check tamper refusal.
#pragma once

#include <sealed/concepts.hpp>
#include <sealed/crypto/aead.hpp>
#include <sealed/crypto/kdf.hpp>
#include <sealed/crypto/random.hpp>

#include <array>
#include <cstring>
#include <limits>

namespace sealed_test::psk {

using namespace sealed;

class cipher {
public:
    cipher(crypto::aead send, crypto::aead receive) : send_(std::move(send)), receive_(std::move(receive)) {}

    error_code seal(const_bytes in, message_buffer& out) {
        if (sent_ == std::numeric_limits<std::uint64_t>::max()) return errc::nonce_exhausted;
        auto nonce = nonce_for(sent_++);
        auto wire = out.resize(in.size() + crypto::aead::tag_size);
        return send_.seal(nonce, {}, in, wire);
    }
    error_code open(const_bytes in, message_buffer& out) {
        if (in.size() < crypto::aead::tag_size) return errc::decrypt_failed;
        auto nonce = nonce_for(received_);
        auto plain = out.resize(in.size() - crypto::aead::tag_size);
        if (auto ec = receive_.open(nonce, {}, in, plain)) return ec;
        ++received_;
        return {};
    }

private:
    static std::array<byte, 12> nonce_for(std::uint64_t counter) {
        std::array<byte, 12> n{};
        for (int i = 0; i < 8; ++i) n[11 - i] = byte(counter >> (8 * i));
        return n;
    }
    crypto::aead send_, receive_;
    std::uint64_t sent_ = 0, received_ = 0;
};

struct options {
    std::array<byte, 32> psk{};
};

class handshake {
public:
    using cipher_type = cipher;
    static constexpr std::size_t salt_size = 16;

    handshake(role r, const options& o) : role_(r), psk_(o.psk) { crypto::random_bytes(own_salt_); }

    next_action<cipher> start() {
        if (role_ == role::client) return next_action<cipher>::write_then_read(salt_bytes());
        return next_action<cipher>::read();
    }

    next_action<cipher> resume(const_bytes peer_salt) {
        if (peer_salt.size() != salt_size)
            return next_action<cipher>::fail(errc::protocol_violation,
                                             close_reason{close_code::protocol_error, "bad salt"});
        // Salt order is client ‖ server on both sides.
        std::array<byte, 2 * salt_size> salts;
        const bool client = role_ == role::client;
        std::memcpy(salts.data() + (client ? 0 : salt_size), own_salt_.data(), salt_size);
        std::memcpy(salts.data() + (client ? salt_size : 0), peer_salt.data(), salt_size);
        auto c2s = derive(salts, "c2s"), s2c = derive(salts, "s2c");
        if (!c2s || !s2c) return next_action<cipher>::fail(errc::crypto_failure);
        cipher c = client ? cipher(std::move(*c2s), std::move(*s2c)) : cipher(std::move(*s2c), std::move(*c2s));
        auto done = next_action<cipher>::done({std::move(c), {}, {}});
        if (!client) return std::move(done).and_write(salt_bytes());
        return done;
    }

private:
    bytes salt_bytes() const { return bytes(own_salt_.begin(), own_salt_.end()); }
    result<crypto::aead> derive(const_bytes salts, std::string_view label) const {
        secure_bytes key(32);
        if (auto ec = crypto::hkdf_sha256(psk_, salts, as_bytes(label), key)) return ec;
        return crypto::aead::create(crypto::aead_algorithm::chacha20_poly1305, key);
    }

    role role_;
    std::array<byte, 32> psk_;
    std::array<byte, salt_size> own_salt_{};
};

struct scheme {
    static constexpr std::string_view name = "test-psk";
    static constexpr bool authenticates_messages = true;
    using handshake_type = handshake;
    using options = psk::options;
    static handshake make_handshake(role r, const options& o) { return handshake(r, o); }
    static constexpr std::size_t wire_size_limit(std::size_t plaintext) { return plaintext + crypto::aead::tag_size; }
};

static_assert(Scheme<scheme>);

}  // namespace sealed_test::psk
