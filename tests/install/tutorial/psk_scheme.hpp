// tutorial::psk — the scheme docs/plugin-authors.md builds step by step, written only against
// the installed sealed headers. Clients are known by name and each holds a 32-byte key the
// server also has. Three handshake messages prove both sides hold the key; after that every
// message is ChaCha20-Poly1305 with a per-direction key and a counter nonce.
//
//   client → server   salt_c (16) ‖ name
//   server → client   salt_s (16) ‖ HMAC(confirm, "server")
//   client → server   HMAC(confirm, "client")
//   c2s ‖ s2c ‖ confirm = HKDF-SHA-256(key, salt_c ‖ salt_s, "tutorial-psk v1"), 96 bytes
#pragma once

#include <sealed/concepts.hpp>
#include <sealed/crypto/aead.hpp>
#include <sealed/crypto/hash.hpp>
#include <sealed/crypto/kdf.hpp>
#include <sealed/crypto/random.hpp>
#include <sealed/hooks.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace tutorial::psk {

using key = std::array<sealed::byte, 32>;
using salt = std::array<sealed::byte, 16>;

// --- step 1: the cipher ------------------------------------------------------------------
// Counter nonces: a message replayed, dropped or reordered fails to open, as does a tampered
// one. open() leaves no plaintext behind on failure (aead::open zeroes its output).
class cipher {
public:
    cipher(sealed::crypto::aead send, sealed::crypto::aead receive)
        : send_(std::move(send)), receive_(std::move(receive)) {}

    sealed::error_code seal(sealed::const_bytes plaintext, sealed::message_buffer& out) {
        if (sent_ == std::numeric_limits<std::uint64_t>::max()) return sealed::errc::nonce_exhausted;
        const auto nonce = nonce_for(sent_++);
        auto wire = out.resize(plaintext.size() + sealed::crypto::aead::tag_size);
        return send_.seal(nonce, {}, plaintext, wire);
    }
    sealed::error_code open(sealed::const_bytes wire, sealed::message_buffer& out) {
        if (wire.size() < sealed::crypto::aead::tag_size) return sealed::errc::decrypt_failed;
        const auto nonce = nonce_for(received_);
        auto plaintext = out.resize(wire.size() - sealed::crypto::aead::tag_size);
        if (auto ec = receive_.open(nonce, {}, wire, plaintext)) return ec;
        ++received_;
        return {};
    }

private:
    static std::array<sealed::byte, 12> nonce_for(std::uint64_t counter) {
        std::array<sealed::byte, 12> nonce{};
        for (int i = 0; i < 8; ++i) nonce[11 - i] = sealed::byte(counter >> (8 * i));
        return nonce;
    }
    sealed::crypto::aead send_, receive_;
    std::uint64_t sent_ = 0, received_ = 0;
};

// --- step 2: the options -----------------------------------------------------------------
// A handshake keeps what it needs from them by value or shared_ptr: options may be a temporary
// that is gone before the handshake ends.
using key_map = std::map<std::string, key, std::less<>>;
struct options {
    std::string name;                          // client: who it is
    key client_key{};                          // client: its key
    std::shared_ptr<const key_map> keys;       // server: every client's key, by name (one map
                                               // shared by every handshake, not copied)
    std::chrono::milliseconds time_limit{5000};  // the whole handshake
};

// --- step 3: the handshake, a sans-I/O state machine ---------------------------------------
class handshake {
public:
    using cipher_type = psk::cipher;
    using action = sealed::next_action<cipher>;

    // The salt is a parameter (the randomness seam): make_handshake passes a random one,
    // known-answer tests a fixed one, and both drive this same code.
    handshake(sealed::role r, const options& o, salt own_salt)
        : role_(r), name_(o.name), client_key_(o.client_key), keys_by_name_(o.keys), time_limit_(o.time_limit),
          own_salt_(own_salt) {}

    action start() {
        if (role_ == sealed::role::server) return action::read();
        sealed::bytes hello(own_salt_.begin(), own_salt_.end());
        hello.insert(hello.end(), name_.begin(), name_.end());
        return action::write_then_read(std::move(hello));
    }

    action resume(sealed::const_bytes in) {
        switch (step_) {
        case step::hello: return on_hello(in);
        case step::reply: return on_reply(in);
        case step::confirm: return on_confirm(in);
        }
        return refuse(sealed::errc::protocol_violation, "unexpected message");
    }

    // A hook (sealed/hooks.hpp): the server closes a handshake slower than this.
    std::chrono::steady_clock::duration time_limit() const { return time_limit_; }

private:
    enum class step { hello, reply, confirm };
    static constexpr std::size_t tag_size = 32;
    struct session_keys {
        sealed::secure_bytes bytes = sealed::secure_bytes(96);
        sealed::const_bytes c2s() const { return {bytes.data(), 32}; }
        sealed::const_bytes s2c() const { return {bytes.data() + 32, 32}; }
        sealed::const_bytes confirm() const { return {bytes.data() + 64, 32}; }
    };

    // Server: salt_c ‖ name.
    action on_hello(sealed::const_bytes in) {
        if (in.size() <= own_salt_.size() || in.size() > own_salt_.size() + 64)
            return refuse(sealed::errc::protocol_violation, "bad hello");
        const std::string name(reinterpret_cast<const char*>(in.data()) + own_salt_.size(), in.size() - own_salt_.size());
        if (!keys_by_name_) return refuse(sealed::errc::invalid_argument, "server has no keys");
        const auto found = keys_by_name_->find(name);
        if (found == keys_by_name_->end()) return refuse(sealed::errc::authentication_failed, "unknown client");
        peer_ = name;
        if (auto ec = derive(found->second, in.first(own_salt_.size()), own_salt_)) return refuse(ec, "key derivation");
        sealed::bytes reply(own_salt_.begin(), own_salt_.end());
        const auto tag = sealed::crypto::hmac_sha256(derived_.confirm(), sealed::as_bytes("server"));
        reply.insert(reply.end(), tag.begin(), tag.end());
        step_ = step::confirm;
        return action::write_then_read(std::move(reply));
    }

    // Client: salt_s ‖ the server's proof; answers with its own and is done.
    action on_reply(sealed::const_bytes in) {
        if (in.size() != own_salt_.size() + tag_size) return refuse(sealed::errc::protocol_violation, "bad reply");
        if (auto ec = derive(client_key_, own_salt_, in.first(own_salt_.size()))) return refuse(ec, "key derivation");
        if (!sealed::crypto::hmac_sha256_verify(derived_.confirm(), sealed::as_bytes("server"), in.subspan(own_salt_.size())))
            return refuse(sealed::errc::authentication_failed, "server does not hold our key");
        const auto tag = sealed::crypto::hmac_sha256(derived_.confirm(), sealed::as_bytes("client"));
        return finish(derived_.c2s(), derived_.s2c(), "").and_write(sealed::bytes(tag.begin(), tag.end()));
    }

    // Server: the client's proof.
    action on_confirm(sealed::const_bytes in) {
        if (!sealed::crypto::hmac_sha256_verify(derived_.confirm(), sealed::as_bytes("client"), in))
            return refuse(sealed::errc::authentication_failed, "client does not hold its key");
        return finish(derived_.s2c(), derived_.c2s(), peer_);
    }

    sealed::error_code derive(const key& k, sealed::const_bytes salt_c, sealed::const_bytes salt_s) {
        std::array<sealed::byte, 32> salts;
        std::copy(salt_c.begin(), salt_c.end(), salts.begin());
        std::copy(salt_s.begin(), salt_s.end(), salts.begin() + 16);
        return sealed::crypto::hkdf_sha256(k, salts, sealed::as_bytes("tutorial-psk v1"), derived_.bytes);
    }

    action finish(sealed::const_bytes send_key, sealed::const_bytes receive_key, std::string peer) {
        using sealed::crypto::aead_algorithm;
        auto send = sealed::crypto::aead::create(aead_algorithm::chacha20_poly1305, send_key);
        auto receive = sealed::crypto::aead::create(aead_algorithm::chacha20_poly1305, receive_key);
        if (!send || !receive) return refuse(sealed::errc::crypto_failure, "cipher");
        sealed::established<cipher> session{cipher(std::move(*send), std::move(*receive)), std::move(peer), {}, {}, {}};
        return action::done(std::move(session));
    }

    // One close for every refusal: 1008 with a reason that names no key material.
    static action refuse(sealed::error_code ec, std::string_view why) {
        return action::fail(ec, sealed::close_reason{sealed::close_code::policy_violation, std::string(why)});
    }

    sealed::role role_;
    std::string name_;
    key client_key_;
    std::shared_ptr<const key_map> keys_by_name_;
    std::chrono::milliseconds time_limit_;
    salt own_salt_;
    step step_ = role_ == sealed::role::client ? step::reply : step::hello;
    session_keys derived_;
    std::string peer_;
};

// --- step 4: the scheme -------------------------------------------------------------------
struct scheme {
    static constexpr std::string_view name = "tutorial-psk";
    static constexpr bool authenticates_messages = true;
    using options = psk::options;
    using handshake_type = psk::handshake;

    static handshake make_handshake(sealed::role r, const options& o) {
        return handshake(r, o, sealed::crypto::random_array<16>());
    }
    // A hook: wire messages are the plaintext plus the tag.
    static constexpr std::size_t wire_size_limit(std::size_t plaintext_limit) {
        return plaintext_limit + sealed::crypto::aead::tag_size;
    }
};

static_assert(sealed::Scheme<scheme>);
static_assert(sealed::hooks_well_formed<scheme>());

}  // namespace tutorial::psk
