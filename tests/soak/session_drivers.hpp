// The soak's drivers for the schemes with a handshake (ECDH-GCM, HMAC-X25519, pnet). Each has
// good() (a session: handshake, echoes checked byte for byte, a clean close), drop() (the
// socket vanishes mid-handshake or mid-session) and bad(kind) (one input from the bad-input
// table; nullopt when it got its documented refusal, else what came instead).
#pragma once

#include "soak.hpp"

#include <sealed/client.hpp>
#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/random.hpp>
#include <sealed/ecdh_gcm/scheme.hpp>
#include <sealed/hmac_x25519/scheme.hpp>
#include <sealed/pnet/scheme.hpp>
#include <sealed/pnet/swarm.hpp>
#include <sealed/pnet/swarm_client.hpp>

#include <sealed_test/raw_client.hpp>

#include <boost/json.hpp>

#include <array>
#include <fstream>
#include <functional>

namespace soak {

namespace json = boost::json;
using sealed::awaitable;
using sealed::message_buffer;
using sealed::message_kind;
using failure = std::optional<std::string>;

inline sealed::client_config quiet_client() {
    sealed::client_config cfg;
    cfg.ping_interval = std::chrono::milliseconds(0);  // no keepalive timers left behind by a drop
    return cfg;
}

// Connect, maybe handshake and send one sealed message, then destroy the socket without a close.
// Handshakes are taken by reference and named by callers: no by-value coroutine parameters made
// from temporaries, which GCC 12 destroys twice (ADR-0001).
template <class Handshake>
awaitable<void> vanish(context& ctx, std::string_view scheme, std::string_view url, Handshake& handshake) {
    auto stream = co_await open_ws(ctx, url);
    if (!stream) co_return ctx.counts.failure(scheme, "drop", "the upgrade failed");
    if (ctx.pick(2) == 0) {
        auto done = co_await sealed::run_handshake(*stream, handshake, 5s);
        if (!done) co_return ctx.counts.failure(scheme, "drop", "handshake: " + done.error().message());
        message_buffer wire;
        const std::string text = R"({"event":"echo","data":"then gone"})";
        if (!done->cipher.seal(sealed::as_bytes(text), wire)) co_await stream->async_write(wire.bytes(), wire.kind());
    }
    ctx.counts.disconnects[std::string(scheme)]++;
}  // the stream is destroyed here: the server sees the peer vanish

// A raw client, handshaken with `handshake`.
template <class Cipher, class Handshake>
awaitable<std::optional<sealed_test::raw_client<Cipher>>> handshaken(context& ctx, std::string_view url, Handshake& h) {
    auto stream = co_await open_ws(ctx, url);
    if (!stream) co_return std::nullopt;
    auto done = co_await sealed::run_handshake(*stream, h, 5s);
    if (!done) co_return std::nullopt;
    sealed_test::raw_client<Cipher> c{std::move(*stream), std::move(done->cipher), {}};
    co_return c;
}

inline failure expect_close(std::uint16_t got, std::uint16_t want) {
    if (got == want) return std::nullopt;
    return "close " + std::to_string(got) + ", not " + std::to_string(want);
}

// --- ECDH-GCM ---------------------------------------------------------------------------------
struct ecdh_gcm_driver {
    static constexpr std::string_view name = "ecdh_gcm";
    static constexpr std::array<std::string_view, 7> bad_kinds = {
        "text_before_authenticate", "no_public_key", "empty_token", "off_curve_key", "tampered_ciphertext",
        "oversized_frame", "non_finite_number"};
    context& ctx;

    std::string url() const { return ctx.ws_url(name, "/stream"); }
    static sealed::ecdh_gcm::options client_options(std::string token = "soak") {
        sealed::ecdh_gcm::options o;
        o.token = std::move(token);
        return o;
    }

    awaitable<void> good() {
        const auto cfg = quiet_client();
        const auto options = client_options();
        const auto target = url();
        auto channel = co_await sealed::client<sealed::ws, sealed::ecdh_gcm::scheme>::connect(
            ctx.ex, std::string_view(target), cfg, options);
        if (!channel) co_return ctx.counts.failure(name, "session", "connect: " + channel.error().message());
        ctx.counts.handshakes[std::string(name)]++;
        message_buffer reply;
        for (std::size_t i = 0, n = 1 + ctx.pick(16); i < n; ++i) {
            const std::string inner = R"({"event":"echo","data":")" + ctx.filler(ctx.message_size()) + R"("})";
            if (auto ec = co_await channel->async_send(sealed::as_bytes(inner), message_kind::text))
                co_return ctx.counts.failure(name, "session", "send: " + ec.message());
            if (auto ec = co_await channel->async_receive(reply))
                co_return ctx.counts.failure(name, "session", "receive: " + ec.message());
            if (reply.text() != inner) co_return ctx.counts.failure(name, "session", "the echo differs");
            ctx.counts.messages[std::string(name)]++;
        }
        const sealed::close_reason bye{sealed::close_code::normal, "done"};
        co_await channel->async_close(bye);
    }

    awaitable<void> drop() {
        const auto target = url();
        sealed::ecdh_gcm::handshake h(sealed::role::client, client_options());
        co_await vanish(ctx, name, target, h);
    }

    static std::string error_code_of(const std::string& frame) {
        boost::system::error_code ec;
        auto v = json::parse(frame, ec);
        if (ec || !v.is_object() || v.as_object()["event"] != "error") return "(not an error event)";
        return std::string(v.at("data").at("code").as_string());
    }
    // An authenticate frame with `data`; the answer must be the error event `code`, then `close`.
    awaitable<failure> refused_authenticate(std::string_view data, std::string_view code, std::uint16_t close) {
        const auto target = url();
        auto stream = co_await open_ws(ctx, target);
        if (!stream) co_return "the upgrade failed";
        sealed_test::raw_client<sealed::ecdh_gcm::cipher> c{std::move(*stream), std::nullopt, {}};
        const std::string frame = R"({"event":"authenticate","data":)" + std::string(data) + "}";
        if (co_await c.write(frame)) co_return "write failed";
        const auto answer = co_await c.read();
        const auto got = error_code_of(answer);
        if (got != code) co_return "error " + got;
        co_return expect_close(co_await c.close_code(), close);
    }

    // A number past double range would be relayed as `Infinity` (not JSON): an error event, and
    // the session goes on.
    static awaitable<failure> non_finite_number(sealed_test::raw_client<sealed::ecdh_gcm::cipher>& c) {
        if (co_await c.write_sealed(R"({"event":"echo","data":{"x":1e400}})")) co_return "write failed";
        const auto answer = co_await c.read_opened();
        if (const auto got = error_code_of(answer); got != "invalid_message_format") co_return "error " + got;
        const std::string fine = R"({"event":"echo","data":{"x":1e300}})";
        if (co_await c.write_sealed(fine)) co_return "write failed after the refusal";
        if (co_await c.read_opened() != fine) co_return "no echo after the refusal";
        const sealed::close_reason bye{sealed::close_code::normal, "done"};
        co_await c.stream.async_close(bye);
        co_return std::nullopt;
    }

    // Echo requests of 16 KiB, never reading the echoes: the server's queue for this client
    // passes its byte bound (the soak server's send_queue_bytes, 256 KiB) and the server ends
    // the connection. The writes may all fit in loopback's socket buffers (the server's receive
    // buffer grows to tens of MiB while it reads fast), so what is checked is that the
    // connection has ended: reading what reached the client then stops within 15 s. A server
    // that queued every echo would still be sending them, and then wait for more.
    static awaitable<failure> slow_reader(sealed_test::raw_client<sealed::ecdh_gcm::cipher>& c) {
        const std::string inner = R"({"event":"echo","data":")" + std::string(16 * 1024, 's') + R"("})";
        for (int i = 0; i < 1024; ++i)
            if (co_await c.write_sealed(inner)) break;
        if (!co_await c.ends_within(std::chrono::seconds(15)))
            co_return "echo requests written and never read, and the server kept the connection";
        co_return std::nullopt;
    }

    awaitable<failure> slow_reader() {
        const auto target = url();
        sealed::ecdh_gcm::handshake h(sealed::role::client, client_options("slow"));
        auto c = co_await handshaken<sealed::ecdh_gcm::cipher>(ctx, target, h);
        if (!c) co_return "handshake failed";
        co_return co_await slow_reader(*c);
    }

    awaitable<failure> bad(std::string_view kind) {
        using sealed::crypto::base64_encode;
        const auto key = sealed::crypto::p256_private_key::generate();
        const auto public_key = base64_encode(key.public_key().bytes());
        if (kind == "no_public_key") co_return co_await refused_authenticate(R"({"type":"Bearer","token":"u"})",
                                                                              "encryption_required", 4004);
        if (kind == "empty_token") {
            const std::string data = R"({"type":"Bearer","token":"","clientPublicKey":")" + public_key + "\"}";
            co_return co_await refused_authenticate(data, "authentication_failed", 4003);
        }
        if (kind == "off_curve_key") {
            sealed::bytes point(key.public_key().bytes().begin(), key.public_key().bytes().end());
            point[64] ^= 1;
            const std::string data = R"({"type":"Bearer","token":"u","clientPublicKey":")" + base64_encode(point) + "\"}";
            co_return co_await refused_authenticate(data, "invalid_public_key", 4003);
        }
        const auto target = url();
        if (kind == "text_before_authenticate") {  // an error event; the connection stays open
            auto stream = co_await open_ws(ctx, target);
            if (!stream) co_return "the upgrade failed";
            sealed_test::raw_client<sealed::ecdh_gcm::cipher> c{std::move(*stream), std::nullopt, {}};
            if (co_await c.write("not json")) co_return "write failed";
            const auto answer = co_await c.read();
            const auto got = error_code_of(answer);
            if (got != "invalid_message_format") co_return "error " + got;
            const sealed::close_reason bye{sealed::close_code::normal, "done"};
            co_await c.stream.async_close(bye);
            co_return std::nullopt;
        }
        if (kind == "oversized_frame") {  // 256 KiB against the soak server's 32 KiB limit
            auto stream = co_await open_ws(ctx, target);
            if (!stream) co_return "the upgrade failed";
            sealed_test::raw_client<sealed::ecdh_gcm::cipher> c{std::move(*stream), std::nullopt, {}};
            // Written whole while the server refuses it: its close must still reach us (no reset).
            const std::string huge(256 * 1024, 'x');  // named: ADR-0001
            if (co_await c.write(huge)) co_return "the write was reset";
            co_return expect_close(co_await c.close_code(), sealed::close_code::too_big);
        }
        sealed::ecdh_gcm::handshake h(sealed::role::client, client_options("mallory"));
        auto c = co_await handshaken<sealed::ecdh_gcm::cipher>(ctx, target, h);
        if (!c) co_return "handshake failed";
        if (kind == "non_finite_number") co_return co_await non_finite_number(*c);
        // tampered_ciphertext: a sealed event with one bit of its ciphertext flipped.
        message_buffer wire;
        const std::string inner = R"({"event":"echo","data":"tampered"})";
        if (c->cipher->seal(sealed::as_bytes(inner), wire)) co_return "seal failed";
        auto v = json::parse(wire.text()).as_object();
        auto ct = sealed::crypto::base64_decode(std::string_view(v["data"].at("ct").as_string())).value();
        ct[ct.size() / 2] ^= 0x10;
        v["data"].as_object()["ct"] = base64_encode(ct);
        const std::string frame = json::serialize(v);
        if (co_await c->write(frame)) co_return "write failed";
        const auto answer = co_await c->read();
        const auto got = error_code_of(answer);
        if (got != "decrypt_failed") co_return "error " + got;
        co_return expect_close(co_await c->close_code(), 4003);
    }
};

// --- HMAC-X25519 ------------------------------------------------------------------------------
struct hmac_x25519_driver {
    static constexpr std::string_view name = "hmac_x25519";
    static constexpr std::array<std::string_view, 5> bad_kinds = {
        "stranger", "unsupported_version", "bad_identity_key", "not_smsg", "flipped_bit"};
    context& ctx;
    std::shared_ptr<const sealed::hmac_x25519::node_identity> me, server;

    explicit hmac_x25519_driver(context& c) : ctx(c) {
        using sealed::hmac_x25519::node_identity;
        me = std::make_shared<node_identity>(node_identity::load_or_create(ctx.work_dir / "hmac-client", "soak-client").value());
        server = std::make_shared<node_identity>(node_identity::load_or_create(ctx.work_dir / "hmac-server", "soak-server").value());
    }
    std::string url() const { return ctx.ws_url(name, "/ws"); }
    sealed::hmac_x25519::options as(std::shared_ptr<const sealed::hmac_x25519::node_identity> who) const {
        sealed::hmac_x25519::options o;
        o.identity = std::move(who);
        o.expected_peer_id = server->id();
        return o;
    }

    awaitable<void> good() {
        const auto cfg = quiet_client();
        const auto options = as(me);
        const auto target = url();
        auto channel = co_await sealed::client<sealed::ws, sealed::hmac_x25519::scheme>::connect(
            ctx.ex, std::string_view(target), cfg, options);
        if (!channel) co_return ctx.counts.failure(name, "session", "connect: " + channel.error().message());
        ctx.counts.handshakes[std::string(name)]++;
        message_buffer reply;
        for (std::size_t i = 0, n = 1 + ctx.pick(16); i < n; ++i) {
            const auto text = sealed::hmac_x25519::wire::serialize(sealed::hmac_x25519::wire::make_envelope(
                "echo", me->id(), server->id(), json::object{{"data", ctx.filler(ctx.message_size())}}));
            if (auto ec = co_await channel->async_send(sealed::as_bytes(text), message_kind::text))
                co_return ctx.counts.failure(name, "session", "send: " + ec.message());
            if (auto ec = co_await channel->async_receive(reply))
                co_return ctx.counts.failure(name, "session", "receive: " + ec.message());
            if (reply.text() != text) co_return ctx.counts.failure(name, "session", "the echo differs");
            ctx.counts.messages[std::string(name)]++;
        }
        const sealed::close_reason bye{sealed::close_code::normal, "done"};
        co_await channel->async_close(bye);
    }

    awaitable<void> drop() {
        const auto target = url();
        sealed::hmac_x25519::handshake h(sealed::role::client, as(me));
        co_await vanish(ctx, name, target, h);
    }

    // A hello from `who` with `edit` applied; the answer must be a refusing ack with `reason`, then 1008.
    using edit_fn = std::function<void(json::object&)>;
    awaitable<failure> refused_hello(const std::shared_ptr<const sealed::hmac_x25519::node_identity>& who,
                                     const edit_fn& edit, std::string_view reason) {
        sealed::hmac_x25519::handshake h(sealed::role::client, as(who));
        auto out = h.start().out.front().data;
        auto hello = json::parse(std::string(out.begin(), out.end())).as_object();
        edit(hello);
        const std::string frame = json::serialize(hello);
        const auto target = url();
        auto stream = co_await open_ws(ctx, target);
        if (!stream) co_return "the upgrade failed";
        sealed_test::raw_client<sealed::hmac_x25519::cipher> c{std::move(*stream), std::nullopt, {}};
        if (co_await c.write(frame)) co_return "write failed";
        boost::system::error_code ec;
        const auto answer = co_await c.read();
        auto ack = json::parse(answer, ec);
        if (ec || !ack.is_object() || ack.as_object()["type"] != "handshake_ack") co_return "no handshake_ack";
        const auto* said = ack.at("payload").as_object().if_contains("reason");
        if (!said || !said->is_string() || said->as_string() != reason) co_return "another reason";
        co_return expect_close(co_await c.close_code(), sealed::close_code::policy_violation);
    }

    awaitable<failure> bad(std::string_view kind) {
        using sealed::hmac_x25519::node_identity;
        const edit_fn unchanged = [](json::object&) {};
        if (kind == "stranger") {
            const std::shared_ptr<const node_identity> stranger =
                std::make_shared<node_identity>(node_identity::generate("stranger"));
            co_return co_await refused_hello(stranger, unchanged, "peer not authorized");
        }
        if (kind == "unsupported_version") {
            const edit_fn version_2 = [](json::object& m) { m["payload"].as_object()["version"] = "2.0"; };
            co_return co_await refused_hello(me, version_2, "incompatible protocol version 2.0, supported: [1.0]");
        }
        if (kind == "bad_identity_key") {
            const edit_fn short_key = [](json::object& m) {
                m["payload"].as_object()["identity"].as_object()["publicKey"] = "AAAA";
            };
            co_return co_await refused_hello(me, short_key, "invalid identity public key");
        }
        const auto target = url();
        sealed::hmac_x25519::handshake h(sealed::role::client, as(me));
        auto c = co_await handshaken<sealed::hmac_x25519::cipher>(ctx, target, h);
        if (!c) co_return "handshake failed";
        if (kind == "not_smsg") {
            const std::string frame = "hello";
            if (co_await c->write(frame, message_kind::binary)) co_return "write failed";
            co_return expect_close(co_await c->close_code(), sealed::close_code::protocol_error);
        }
        // flipped_bit: a sealed frame whose tag no longer matches.
        message_buffer wire;
        const auto text = sealed::hmac_x25519::wire::serialize(
            sealed::hmac_x25519::wire::make_envelope("echo", me->id(), server->id(), json::object{{"data", "x"}}));
        if (c->cipher->seal(sealed::as_bytes(text), wire)) co_return "seal failed";
        sealed::bytes frame(wire.bytes().begin(), wire.bytes().end());
        frame.back() ^= 0x01;
        if (co_await c->stream.async_write(frame, message_kind::binary)) co_return "write failed";
        co_return expect_close(co_await c->close_code(), sealed::close_code::policy_violation);
    }
};

// --- pnet (the swarm behind /swarm/<DID>) ----------------------------------------------------
struct pnet_driver {
    static constexpr std::string_view name = "pnet";
    static constexpr std::array<std::string_view, 2> bad_kinds = {"wrong_psk", "bad_did"};
    context& ctx;
    sealed::secure_bytes master;

    explicit pnet_driver(context& c) : ctx(c) {
        std::ifstream in(ctx.work_dir / "master-secret.hex");
        std::string hex;
        in >> hex;
        master = sealed::pnet::parse_master_secret(hex).value();
    }
    std::string tenant() { return "did:example:soak-" + std::to_string(ctx.pick(8)); }

    awaitable<void> good() {
        const auto did = tenant();
        const auto target = ctx.ws_url(name, "/swarm/" + did);
        auto key = sealed::pnet::tenant_psk(master, did);
        auto swarm = co_await sealed::pnet::swarm_client<sealed::ws>::connect(ctx.ex, target, key);
        if (!swarm) co_return ctx.counts.failure(name, "session", "connect: " + swarm.error().message());
        ctx.counts.handshakes[std::string(name)]++;
        if (auto ec = co_await swarm->select(sealed::pnet::ping_protocol))
            co_return ctx.counts.failure(name, "session", "multistream-select: " + ec.message());
        for (std::size_t i = 0, n = 1 + ctx.pick(16); i < n; ++i) {
            if (auto ec = co_await swarm->ping()) co_return ctx.counts.failure(name, "session", "ping: " + ec.message());
            ctx.counts.messages[std::string(name)]++;
        }
        const sealed::close_reason bye{sealed::close_code::normal, "done"};
        co_await swarm->channel().async_close(bye);
    }

    sealed::pnet::handshake handshake_with(sealed::pnet::psk key) const {
        sealed::pnet::options o;
        o.key = std::move(key);
        return sealed::pnet::scheme::make_handshake(sealed::role::client, o);
    }

    awaitable<void> drop() {
        const auto did = tenant();
        const auto target = ctx.ws_url(name, "/swarm/" + did);
        auto h = handshake_with(sealed::pnet::tenant_psk(master, did));
        co_await vanish(ctx, name, target, h);
    }

    awaitable<failure> bad(std::string_view kind) {
        if (kind == "bad_did") {  // HTTP 400 before any upgrade
            const auto target = ctx.ws_url(name, "/swarm/not-a-did");
            auto stream = co_await open_ws(ctx, target);
            if (stream) co_return "upgraded";
            co_return std::nullopt;
        }
        // wrong_psk: pnet has no MAC, so the handshake "succeeds"; the swarm then sees garbage
        // where multistream-select should be and closes with 1008.
        const auto did = tenant();
        const auto target = ctx.ws_url(name, "/swarm/" + did);
        const auto random = sealed::crypto::random_array<sealed::pnet::psk_size>();
        auto h = handshake_with(sealed::pnet::psk(random.begin(), random.end()));
        auto c = co_await handshaken<sealed::pnet::cipher>(ctx, target, h);
        if (!c) co_return "handshake failed";
        sealed::bytes header;
        sealed::pnet::multistream::append_message(sealed::pnet::multistream::protocol_id, header);
        message_buffer wire;
        if (c->cipher->seal(header, wire)) co_return "seal failed";
        if (co_await c->stream.async_write(wire.bytes(), message_kind::binary)) co_return "write failed";
        co_return expect_close(co_await c->close_code(), sealed::close_code::policy_violation);
    }
};

}  // namespace soak
