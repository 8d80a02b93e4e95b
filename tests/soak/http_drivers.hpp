// The soak's drivers for the schemes without a handshake: the sealed envelope (every request
// its own ECDH, over HTTP) and the PeerJS signaling broker. Same shape as session_drivers.hpp.
#pragma once

#include "session_drivers.hpp"

#include <sealed/envelope/client.hpp>
#include <sealed/signaling/client.hpp>

#include <boost/asio/write.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <deque>

namespace soak {

// --- sealed envelope ----------------------------------------------------------------------------
struct envelope_driver {
    static constexpr std::string_view name = "envelope";
    static constexpr std::array<std::string_view, 7> bad_kinds = {
        "malformed_envelope", "replayed_nonce", "tampered_ts", "stale_timestamp", "unknown_route", "body_too_large",
        "keepalive_hog"};
    context& ctx;

    std::uint16_t port() const { return ctx.ports.at(std::string(name)); }
    // While the replay store is down or refusing after Redis came back empty (scripts/soak
    // restarts it), requests get 503 replay_store_unavailable: documented, counted apart.
    const sealed::error_code store_refusing = make_error_code(sealed::envelope::error::replay_store_unavailable);
    static bool refused_by_store(const sealed::result<sealed::envelope::raw_response>& got) {
        return got && got->status == 503 &&
               sealed::envelope::refusal_code(got->body) == std::optional<std::string>("replay_store_unavailable");
    }

    // Requests sealed and served, each sent again a while later: the copy must be refused
    // (409 replayed_nonce, 503 while the store refuses, 401 once it is stale), never served.
    // Every 100 ms for the whole run, across the Redis restart, so a store that forgot what it
    // had seen (Redis back empty) serves a copy and fails the soak.
    struct served_request {
        std::string body;
        clock_type::time_point at;
    };
    awaitable<failure> replay_probe(std::deque<served_request>& served) {
        sealed::envelope::http_client client(ctx.io.get_executor(), "127.0.0.1", port());
        if (auto ec = co_await client.async_fetch_keys()) co_return "JWKS: " + ec.message();
        const auto fresh = sealed::envelope::seal_request(client.keys()[0], sealed::as_bytes(std::string_view("probe"))).value();
        auto got = co_await client.async_post_raw("/api/echo", fresh.body());
        if (got && got->status == 200) served.push_back({fresh.body(), clock_type::now()});
        else if (!refused_by_store(got)) co_return "a fresh request got " + (got ? std::to_string(got->status) : got.error().message());
        // The oldest copy at least 500 ms old and still well inside the 10 s window. One the
        // store refused to judge (503) is sent again next time, so copies served before Redis
        // went away are replayed once it is back.
        while (!served.empty() && clock_type::now() - served.front().at > 8s) served.pop_front();
        if (served.empty() || clock_type::now() - served.front().at < 500ms) co_return std::nullopt;
        const auto old = served.front();
        auto again = co_await client.async_post_raw("/api/echo", old.body);
        if (!again) co_return "replay: " + again.error().message();
        if (refused_by_store(again)) co_return std::nullopt;
        served.pop_front();
        const auto code = sealed::envelope::refusal_code(again->body).value_or("(none)");
        if (again->status == 409 || (again->status == 401 && code == "stale_timestamp")) co_return std::nullopt;
        co_return "a request served " +
                  std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - old.at).count()) +
                  " ms ago was answered " + std::to_string(again->status) + " " + code + " when sent again";
    }

    awaitable<void> good() {
        sealed::envelope::http_client client(ctx.io.get_executor(), "127.0.0.1", port());
        if (auto ec = co_await client.async_fetch_keys())
            co_return ctx.counts.failure(name, "session", "JWKS: " + ec.message());
        for (std::size_t i = 0, n = 1 + ctx.pick(16); i < n; ++i) {
            const auto text = ctx.filler(std::min<std::size_t>(ctx.message_size(), 16 * 1024));
            auto reply = co_await client.async_post("/api/echo", text);
            if (!reply && reply.error() == store_refusing) co_return ctx.counts.refusal(name, "replay_store_unavailable");
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

    // One keep-alive connection asking GET /health for ever: the server answers its
    // http_max_requests (20 on the soak server), the last with Connection: close, then ends it.
    awaitable<failure> keepalive_hog() {
        namespace http = sealed::http;
        constexpr auto nothrow = sealed::net::as_tuple(sealed::net::use_awaitable);
        sealed::beast::tcp_stream s(ctx.io);
        s.expires_after(10s);
        const sealed::tcp_endpoint to{sealed::net::ip::make_address("127.0.0.1"), port()};
        auto [connect_ec] = co_await s.async_connect(to, nothrow);
        if (connect_ec) co_return "connect: " + connect_ec.message();
        sealed::beast::flat_buffer buffer;
        for (int answered = 0; answered < 100; ++answered) {
            http::request<http::empty_body> req{http::verb::get, "/health", 11};
            req.set(http::field::host, "127.0.0.1");
            auto [wec, wn] = co_await http::async_write(s, req, nothrow);
            http::response<http::string_body> res;
            auto [rec, rn] = co_await http::async_read(s, buffer, res, nothrow);
            if (wec || rec) co_return "ended after " + std::to_string(answered) + " answers without Connection: close";
            if (res.result_int() != 200) co_return "status " + std::to_string(res.result_int());
            if (!res.keep_alive()) {
                if (answered + 1 != 20) co_return "Connection: close on answer " + std::to_string(answered + 1);
                char byte;
                auto [eof, n] = co_await s.async_read_some(sealed::net::buffer(&byte, 1), nothrow);
                if (eof != http::error::end_of_stream && eof != sealed::net::error::eof) co_return "still open after Connection: close";
                co_return std::nullopt;
            }
        }
        co_return "100 requests answered on one connection";
    }

    awaitable<failure> bad(std::string_view kind) {
        if (kind == "keepalive_hog") co_return co_await keepalive_hog();
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
        if (refused_by_store(first)) co_return std::nullopt;
        if (auto wrong = expect(first, 200, "")) co_return "first copy: " + *wrong;
        auto second = co_await client.async_post_raw("/api/echo", sealed_request.body());
        co_return expect(second, 409, "replayed_nonce");
    }
};

// --- signaling (PeerJS broker) ------------------------------------------------------------------
struct signaling_driver {
    static constexpr std::string_view name = "signaling";
    static constexpr std::array<std::string_view, 5> bad_kinds = {"invalid_key", "invalid_id", "id_taken",
                                                                  "malformed_frame", "non_finite_number"};
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
        } else {  // malformed_frame, non_finite_number: an ERROR frame back, and the socket stays
            const std::string expected = sealed::signaling::refusal_frame(sealed::signaling::make_error_code(error::malformed_message));
            // A number past double range would be relayed as `Infinity`, which is not JSON.
            const std::string_view frame = kind == "malformed_frame" ? std::string_view("not json")
                : R"({"type":"OFFER","dst":"nobody","payload":{"sdp":1e400}})";
            if (co_await holder->async_send_raw(frame)) co_return "send failed";
            auto got = co_await holder->async_receive();
            if (!got || holder->last_raw() != expected) outcome = "answered " + holder->last_raw();
        }
        co_await holder->async_close();
        co_return outcome;
    }

    // A peer that never reads, and 512 OFFERs of 64 KiB relayed to it (32 MiB): its queue passes
    // the soak server's byte bound (send_queue_bytes, 1 MiB) and the broker closes it. It then
    // reads what reached it: far fewer than 512 before its connection ends.
    awaitable<failure> slow_reader() {
        const auto options = as(fresh_id());
        auto sender = co_await sealed::signaling::client::connect(ctx.ex, options);
        if (!sender) co_return "connect: " + sender.error().message();
        auto outcome = co_await slow_reader(*sender);
        co_await sender->async_close();
        co_return outcome;
    }
    awaitable<failure> slow_reader(sealed::signaling::client& sender) {
        const auto victim_options = as(fresh_id());
        auto victim = co_await sealed::signaling::client::connect(ctx.ex, victim_options);
        if (!victim) co_return "victim connect: " + victim.error().message();
        const sealed::signaling::message offer{"OFFER", {}, victim->id(), json::object{{"sdp", std::string(64 * 1024, 'o')}}};
        for (int i = 0; i < 512; ++i)
            if (auto ec = co_await sender.async_send(offer)) co_return "send: " + ec.message();
        using namespace sealed::net::experimental::awaitable_operators;
        int received = 0;
        auto drain = [&]() -> awaitable<void> {
            while (co_await victim->async_receive()) ++received;
        };
        sealed::net::steady_timer limit(ctx.ex, std::chrono::seconds(20));
        auto r = co_await (drain() || limit.async_wait(sealed::net::as_tuple(sealed::net::use_awaitable)));
        if (r.index() != 0) co_return "the victim still connected after 20 s, " + std::to_string(received) + " OFFERs read";
        if (received >= 512) co_return "every OFFER was queued for the reader that did not read";
        co_return std::nullopt;
    }
};

}  // namespace soak
