// The soak's drivers for the schemes without a handshake: the sealed envelope (every request
// its own ECDH, over HTTP) and the PeerJS signaling broker. Same shape as session_drivers.hpp.
#pragma once

#include "session_drivers.hpp"

#include <sealed/envelope/client.hpp>
#include <sealed/signaling/client.hpp>

#include <boost/asio/write.hpp>

namespace soak {

// --- sealed envelope ----------------------------------------------------------------------------
struct envelope_driver {
    static constexpr std::string_view name = "envelope";
    static constexpr std::array<std::string_view, 6> bad_kinds = {
        "malformed_envelope", "replayed_nonce", "tampered_ts", "stale_timestamp", "unknown_route", "body_too_large"};
    context& ctx;

    std::uint16_t port() const { return ctx.ports.at(std::string(name)); }

    awaitable<void> good() {
        sealed::envelope::http_client client(ctx.io.get_executor(), "127.0.0.1", port());
        if (auto ec = co_await client.async_fetch_keys())
            co_return ctx.counts.failure(name, "session", "JWKS: " + ec.message());
        for (std::size_t i = 0, n = 1 + ctx.pick(16); i < n; ++i) {
            const auto text = ctx.filler(std::min<std::size_t>(ctx.message_size(), 16 * 1024));
            auto reply = co_await client.async_post("/api/echo", text);
            if (!reply) co_return ctx.counts.failure(name, "session", "POST: " + reply.error().message());
            if (reply->status != 200 || reply->text() != text)
                co_return ctx.counts.failure(name, "session", "the echo differs (" + std::to_string(reply->status) + ")");
            ctx.counts.handshakes[std::string(name)]++;  // each request is its own key agreement
            ctx.counts.messages[std::string(name)]++;
        }
    }

    // Half a request, then the connection is gone.
    awaitable<void> drop() {
        sealed::beast::tcp_stream s(ctx.io);
        s.expires_after(5s);
        const sealed::tcp_endpoint to{sealed::net::ip::make_address("127.0.0.1"), port()};
        auto [connect_ec] = co_await s.async_connect(to, sealed::net::as_tuple(sealed::net::use_awaitable));
        if (connect_ec) co_return ctx.counts.failure(name, "drop", "connect: " + connect_ec.message());
        const std::string half = "POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\n{\"v\":1,";
        co_await sealed::net::async_write(s, sealed::net::buffer(half), sealed::net::as_tuple(sealed::net::use_awaitable));
        ctx.counts.disconnects[std::string(name)]++;
    }

    static failure expect(const sealed::result<sealed::envelope::raw_response>& got, unsigned status,
                          std::string_view code) {
        if (!got) return "no answer: " + got.error().message();
        if (got->status != status) return "status " + std::to_string(got->status);
        if (code.empty()) return std::nullopt;
        const auto said = sealed::envelope::refusal_code(got->body);
        if (said != code) return "code " + said.value_or("(none)");
        return std::nullopt;
    }

    awaitable<failure> bad(std::string_view kind) {
        sealed::envelope::http_client client(ctx.io.get_executor(), "127.0.0.1", port());
        if (auto ec = co_await client.async_fetch_keys()) co_return "JWKS: " + ec.message();
        const auto& key = client.keys()[0];
        if (kind == "malformed_envelope") {
            auto got = co_await client.async_post_raw("/api/echo", "not json");
            co_return expect(got, 400, "malformed_envelope");
        }
        if (kind == "body_too_large") {  // over the 64 KiB body limit
            const std::string body(70 * 1024, 'x');
            auto got = co_await client.async_post_raw("/api/echo", body);
            co_return expect(got, 413, "");
        }
        if (kind == "stale_timestamp") {
            sealed::envelope::seal_overrides old;
            old.ts = sealed::envelope::to_timestamp(sealed::envelope::wall_clock::now() - std::chrono::seconds(120));
            const auto sealed_request = sealed::envelope::seal_request(key, sealed::as_bytes(std::string_view("old")), old).value();
            auto got = co_await client.async_post_raw("/api/echo", sealed_request.body());
            co_return expect(got, 401, "stale_timestamp");
        }
        const auto sealed_request = sealed::envelope::seal_request(key, sealed::as_bytes(std::string_view("once"))).value();
        if (kind == "unknown_route") {
            auto got = co_await client.async_post_raw("/api/nope", sealed_request.body());
            co_return expect(got, 404, "");
        }
        if (kind == "tampered_ts") {  // inside the window, but bound by the tag
            auto o = json::parse(sealed_request.body()).as_object();
            o["ts"] = o["ts"].as_int64() + 1;
            const std::string tampered = json::serialize(o);
            auto got = co_await client.async_post_raw("/api/echo", tampered);
            co_return expect(got, 401, "decrypt_failed");
        }
        // replayed_nonce: the same body twice.
        auto first = co_await client.async_post_raw("/api/echo", sealed_request.body());
        if (auto wrong = expect(first, 200, "")) co_return "first copy: " + *wrong;
        auto second = co_await client.async_post_raw("/api/echo", sealed_request.body());
        co_return expect(second, 409, "replayed_nonce");
    }
};

// --- signaling (PeerJS broker) ------------------------------------------------------------------
struct signaling_driver {
    static constexpr std::string_view name = "signaling";
    static constexpr std::array<std::string_view, 4> bad_kinds = {"invalid_key", "invalid_id", "id_taken",
                                                                  "malformed_frame"};
    context& ctx;
    std::uint64_t next_id = 0;

    sealed::signaling::client_options as(std::string id) {
        sealed::signaling::client_options o;
        o.port = ctx.ports.at(std::string(name));
        o.id = std::move(id);
        o.token = "token-" + std::to_string(ctx.pick(1'000'000));
        o.config = quiet_client();
        return o;
    }
    std::string fresh_id() { return "soak-" + std::to_string(++next_id) + "-" + std::to_string(ctx.pick(1'000'000)); }

    // From `from` to `to` and received there, src forced to the sender.
    awaitable<failure> relay(sealed::signaling::client& from, sealed::signaling::client& to, std::string_view type) {
        const sealed::signaling::message m{std::string(type), {}, to.id(),
                                           json::object{{"type", "data"}, {"sdp", ctx.filler(ctx.message_size())}}};
        if (auto ec = co_await from.async_send(m)) co_return "send: " + ec.message();
        auto got = co_await to.async_receive();
        if (!got) co_return "receive: " + got.error().message();
        if (got->type != type || got->src != from.id() || got->payload != m.payload) co_return "relayed " + to.last_raw();
        co_return std::nullopt;
    }

    awaitable<void> good() {
        const auto a_options = as(fresh_id()), b_options = as(fresh_id());
        auto a = co_await sealed::signaling::client::connect(ctx.ex, a_options);
        auto b = co_await sealed::signaling::client::connect(ctx.ex, b_options);
        if (!a || !b) co_return ctx.counts.failure(name, "session", "connect: " + (a ? b : a).error().message());
        ctx.counts.handshakes[std::string(name)] += 2;
        if (auto wrong = co_await relay(*a, *b, "OFFER")) co_return ctx.counts.failure(name, "session", *wrong);
        if (auto wrong = co_await relay(*b, *a, "ANSWER")) co_return ctx.counts.failure(name, "session", *wrong);
        ctx.counts.messages[std::string(name)] += 2;
        co_await a->async_close();
        co_await b->async_close();
    }

    awaitable<void> drop() {
        const auto options = as(fresh_id());
        auto c = co_await sealed::signaling::client::connect(ctx.ex, options);
        if (!c) co_return ctx.counts.failure(name, "drop", "connect: " + c.error().message());
        ctx.counts.disconnects[std::string(name)]++;
    }

    awaitable<failure> refused(const sealed::signaling::client_options& o, sealed::signaling::error want) {
        auto c = co_await sealed::signaling::client::connect(ctx.ex, o);
        if (c) co_return "admitted";
        if (c.error() != sealed::signaling::make_error_code(want)) co_return "refused with " + c.error().message();
        co_return std::nullopt;
    }

    awaitable<failure> bad(std::string_view kind) {
        using sealed::signaling::error;
        if (kind == "invalid_key") {
            auto o = as(fresh_id());
            o.key = "not-the-key";
            co_return co_await refused(o, error::invalid_key);
        }
        if (kind == "invalid_id") {
            const auto o = as("bad id!");
            co_return co_await refused(o, error::invalid_id);
        }
        const auto options = as(fresh_id());
        auto holder = co_await sealed::signaling::client::connect(ctx.ex, options);
        if (!holder) co_return "connect: " + holder.error().message();
        failure outcome;
        if (kind == "id_taken") {  // the same id with another token
            auto other = options;
            other.token += "-other";
            outcome = co_await refused(other, error::id_taken);
        } else {  // malformed_frame: an ERROR frame back, and the socket stays
            const std::string expected = sealed::signaling::refusal_frame(sealed::signaling::make_error_code(error::malformed_message));
            if (co_await holder->async_send_raw("not json")) co_return "send failed";
            auto got = co_await holder->async_receive();
            if (!got || holder->last_raw() != expected) outcome = "answered " + holder->last_raw();
        }
        co_await holder->async_close();
        co_return outcome;
    }
};

}  // namespace soak
