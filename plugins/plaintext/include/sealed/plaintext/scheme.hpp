// The plaintext scheme: a version handshake and an identity "cipher". It carries no secrecy and
// no integrity; it exists as the baseline for benches (the ceiling every encrypted scheme is
// measured against), as the smallest example of a scheme, and to test the runtime.
#pragma once

#include <sealed/concepts.hpp>

#include <string_view>

namespace sealed::plaintext {

inline constexpr std::string_view client_hello = "sealed-plaintext/1";
inline constexpr std::string_view server_hello = "sealed-plaintext/1 ok";

class cipher {
public:
    error_code seal(const_bytes in, message_buffer& out) {
        out.append(in);
        return {};
    }
    error_code open(const_bytes in, message_buffer& out) {
        out.append(in);
        return {};
    }
};

class handshake {
public:
    using cipher_type = cipher;
    explicit handshake(role r) : role_(r) {}

    next_action<cipher> start() {
        if (role_ == role::client) {
            auto hello = as_bytes(client_hello);
            return next_action<cipher>::write_then_read(bytes(hello.begin(), hello.end()), message_kind::text);
        }
        return next_action<cipher>::read();
    }

    next_action<cipher> resume(const_bytes in) {
        const auto expected = role_ == role::client ? server_hello : client_hello;
        if (as_string_view(in) != expected)
            return next_action<cipher>::fail(errc::unsupported_version,
                                             close_reason{close_code::protocol_error, "unsupported version"});
        auto done = next_action<cipher>::done({cipher{}, {}, {}});
        if (role_ == role::server) {
            auto hello = as_bytes(server_hello);
            return std::move(done).and_write(bytes(hello.begin(), hello.end()), message_kind::text);
        }
        return done;
    }

private:
    role role_;
};

struct scheme {
    static constexpr std::string_view name = "plaintext";
    static constexpr bool authenticates_messages = false;  // no MAC: tampering goes unnoticed
    struct options {};
    using handshake_type = handshake;
    static handshake make_handshake(role r, const options&) { return handshake(r); }
};

static_assert(Scheme<scheme>);

}  // namespace sealed::plaintext
