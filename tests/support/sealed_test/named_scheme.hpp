// A plaintext scheme for runtime tests: the client's hello carries its name (the peer id), and
// messages "id:body" carry an id, so the registry and dedup can be tested.
#pragma once

#include <sealed/plaintext/scheme.hpp>

#include <optional>
#include <string>

namespace sealed_test::named {

using namespace sealed;

struct options {
    std::string name;  // client: the name to announce
};

class handshake {
public:
    using cipher_type = plaintext::cipher;
    handshake(role r, std::string name) : role_(r), name_(std::move(name)) {}

    next_action<cipher_type> start() {
        if (role_ == role::server) return next_action<cipher_type>::read();
        auto hello = "hello " + name_;
        return next_action<cipher_type>::write_then_read(bytes(hello.begin(), hello.end()), message_kind::text);
    }
    next_action<cipher_type> resume(const_bytes in) {
        auto text = as_string_view(in);
        if (role_ == role::client) {
            if (text != "ok") return next_action<cipher_type>::fail(errc::handshake_failed);
            return next_action<cipher_type>::done({{}, "server", {}});
        }
        if (text.substr(0, 6) != "hello ")
            return next_action<cipher_type>::fail(errc::protocol_violation,
                                                  close_reason{close_code::protocol_error, "no hello"});
        auto ok = bytes{'o', 'k'};
        return next_action<cipher_type>::done({{}, std::string(text.substr(6)), {}}).and_write(ok, message_kind::text);
    }

private:
    role role_;
    std::string name_;
};

struct scheme {
    static constexpr std::string_view name = "test-named";
    static constexpr bool authenticates_messages = false;
    using options = named::options;
    using handshake_type = handshake;
    static handshake make_handshake(role r, const options& o) { return handshake(r, o.name); }
    // "id:body" → "id"; messages without ':' carry no id.
    static std::optional<std::string_view> message_id(const_bytes message) {
        auto text = as_string_view(message);
        auto colon = text.find(':');
        if (colon == std::string_view::npos) return std::nullopt;
        return text.substr(0, colon);
    }
};

}  // namespace sealed_test::named
