// The signaling broker as a runtime scheme: sealed::server<sealed::ws, signaling::scheme>.
// The "handshake" is the reference's admission: the upgrade's query is checked and the id
// registered (broker::admit), then OPEN — or ERROR / ID-TAKEN and a close (1008 with the same
// text as the reason). The "cipher" is the identity: signaling is plaintext JSON, protected by
// TLS (wss) and, for payloads, by the end-to-end handshake peers run over their data channel.
// serve() is the session: it attaches the socket and relays every frame through the broker.
#pragma once

#include <sealed/concepts.hpp>
#include <sealed/signaling/broker.hpp>
#include <sealed/signaling/error.hpp>
#include <sealed/signaling/message.hpp>

#include <memory>
#include <string_view>

namespace sealed::signaling {

// Identity, holding the socket's registration: when the connection goes, its id is released.
class cipher {
public:
    cipher() = default;
    explicit cipher(broker::ticket_ptr t) : ticket_(std::move(t)) {}
    error_code seal(const_bytes in, message_buffer& out) {
        out.append(in);
        return {};
    }
    error_code open(const_bytes in, message_buffer& out) {
        out.append(in);
        return {};
    }
    const broker::ticket_ptr& ticket() const noexcept { return ticket_; }

private:
    broker::ticket_ptr ticket_;
};

class handshake {
public:
    using cipher_type = cipher;
    // Client: waits for OPEN (or the refusal). Server: answers the admission.
    handshake() = default;
    explicit handshake(broker::admission admitted) : admission_(std::move(admitted)), server_(true) {}

    next_action<cipher> start() {
        if (!server_) return next_action<cipher>::read();
        auto frame = as_bytes(admission_.frame);
        bytes out(frame.begin(), frame.end());
        if (!admission_.admitted) {
            const close_reason how{close_code::policy_violation, std::string(admission_.refusal.message())};
            return next_action<cipher>::fail(admission_.refusal, how).and_write(std::move(out), message_kind::text);
        }
        const auto id = admission_.admitted->id();
        return next_action<cipher>::done({cipher(std::move(admission_.admitted)), id, {}, {}, {}})
            .and_write(std::move(out), message_kind::text);
    }

    next_action<cipher> resume(const_bytes in) {
        auto m = parse_message(as_string_view(in));
        if (m && m->kind() == message_type::open) return next_action<cipher>::done({cipher{}, {}, {}, {}, {}});
        error_code why = make_error_code(error::malformed_message);
        if (m && (m->kind() == message_type::error || m->kind() == message_type::id_taken)) {
            std::string_view text;
            if (m->payload && m->payload->is_object())
                if (auto* msg = m->payload->as_object().if_contains("msg"); msg && msg->is_string())
                    text = msg->as_string();
            why = make_error_code(error_from_message(text));
        }
        return next_action<cipher>::fail(why, close_reason{close_code::normal, ""});
    }

private:
    broker::admission admission_;
    bool server_ = false;
};

struct scheme {
    static constexpr std::string_view name = "signaling";
    static constexpr bool authenticates_messages = false;  // plaintext over TLS, by design
    struct options {
        std::shared_ptr<signaling::broker> broker;  // server: the shared state; client: unused
    };
    using handshake_type = handshake;
    // Frames are received up to 1 KiB under max_message_size, so that a relayed frame (src set
    // to an id of at most max_id_length) still fits the receiver's limit.
    static constexpr std::size_t wire_size_limit(std::size_t max_message_size) {
        return max_message_size > 2048 ? max_message_size - 1024 : max_message_size / 2;
    }
    static handshake_type make_handshake(role, const options&) { return handshake{}; }
    static handshake_type make_handshake(role r, const options& o, const http_request& upgrade) {
        if (r == role::client || !o.broker) return handshake{};
        return handshake{o.broker->admit(std::string_view(upgrade.target()))};
    }
};

static_assert(Scheme<scheme>);

// The session of one admitted socket (server.on_session): every frame goes through the broker;
// a malformed one is answered with ERROR and the socket stays open.
template <class Connection>
awaitable<void> serve(broker& b, Connection& conn) {
    const auto ticket = conn.channel().cipher().ticket();
    if (!ticket) co_return;
    std::weak_ptr<Connection> weak = conn.shared_from_this();
    b.attach(ticket, {[weak](std::string frame) {
                          if (auto c = weak.lock()) c->send(bytes(frame.begin(), frame.end()), message_kind::text);
                      },
                      [weak](close_reason why) {
                          if (auto c = weak.lock()) c->close(std::move(why));
                      }});
    message_buffer in;
    for (;;) {
        in.clear();
        if (co_await conn.async_receive(in)) break;
        if (auto reply = b.receive(ticket, as_string_view(in.bytes()))) {
            if (co_await conn.async_send(as_bytes(*reply), message_kind::text)) break;
        }
    }
    b.detach(*ticket);
}

}  // namespace sealed::signaling
