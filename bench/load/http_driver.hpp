// The driver for the sealed envelope over HTTP (and, unsealed, for its plaintext ceiling: the same
// POSTs answered by echo_server --http-echo). A round trip is one POST to the URL's path on a
// keep-alive connection; a "handshake" is a new connection for one request, closed after it (the
// envelope has no handshake: each request carries its own key agreement); idle connections are
// WebSockets to the same path (the envelope's long-lived mode), held without traffic.
//
// Requests are sealed before the timed part, into a pool: sealing costs the client a P-256 key
// pair and an agreement, as much as opening costs the server, so a load generator sealing as it
// goes would measure itself. Each pooled request has a fresh nonce and a timestamp well inside
// the server's ±60 s window. When the pool runs out, requests are sealed as they go (counted).
#pragma once

#include "hold_idle.hpp"
#include "measure.hpp"

#include <sealed/client.hpp>
#include <sealed/envelope/client.hpp>
#include <sealed/plaintext/scheme.hpp>
#include <sealed/transport/websocket.hpp>
#include <sealed/url.hpp>

#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <optional>

namespace loadgen {

using namespace sealed;

class http_driver {
public:
    // Sealed requests held at most, over all connections: enough for a 5 s cell at the rates
    // one core reaches, and bounded in memory for 16 KiB bodies.
    static constexpr std::size_t pool_per_second = 12'000;
    static constexpr std::size_t pool_bytes = 512u * 1024 * 1024;

    http_driver(net::io_context& io, const settings& s, url target, bool sealed)
        : io_(io), settings_(s), target_(std::move(target)), sealed_(sealed), plaintext_(s.size, 'x'),
          ws_url_("ws://" + target_.host_header() + target_.target) {
        client_cfg_.ping_interval = std::chrono::hours(1);  // no keepalive traffic in the measurement
    }

    // Fetches the server's keys and seals the pool (envelope only).
    awaitable<error_code> prepare() {
        if (!sealed_ || settings_.mode == "idle") co_return error_code{};
        envelope::http_client keys(io_.get_executor(), target_.host, target_.port);
        if (auto ec = co_await keys.async_fetch_keys()) co_return ec;
        if (keys.keys().empty()) co_return make_error_code(envelope::error::bad_key_file);
        server_key_ = keys.keys().front();
        const auto by_time = static_cast<std::size_t>(settings_.duration * double(pool_per_second));
        const auto by_memory = pool_bytes / (settings_.size * 2 + 512);
        for (std::size_t i = 0, n = std::min(by_time, by_memory); i < n; ++i) {
            auto pending = envelope::seal_request(*server_key_, as_bytes(plaintext_));
            if (!pending) co_return pending.error();
            pool_.push_back(std::move(*pending));
        }
        presealed_ = pool_.size();
        co_return error_code{};
    }

    awaitable<void> echo_worker(clock_type::time_point until) {
        envelope::http_client client(io_.get_executor(), target_.host, target_.port);
        while (clock_type::now() < until) {
            const auto sent = clock_type::now();
            if (!co_await round_trip(client)) co_return;
            totals_.record(sent);
            totals_.messages++;
        }
    }

    awaitable<void> handshake_worker(clock_type::time_point until) {
        while (clock_type::now() < until) {
            const auto started = clock_type::now();
            envelope::http_client client(io_.get_executor(), target_.host, target_.port);
            if (!co_await round_trip(client)) continue;
            totals_.record(started);
            totals_.handshakes++;
        }  // the client's destructor closes the connection
    }

    // WebSockets to the path: the envelope servers take them without a handshake; the plaintext
    // ceiling (echo_server) runs its plaintext hello.
    awaitable<void> idle(server_usage& during) {
        const close_reason bye{close_code::normal, "done"};
        if (sealed_) {
            auto ws_url = target_;
            ws_url.scheme = "ws";
            return hold_idle<transport::ws_stream>(
                io_, settings_, totals_, during,
                [this, ws_url] { return transport::async_connect_ws(io_.get_executor(), ws_url, ws_options_); },
                [bye](transport::ws_stream& s) { return s.async_close(bye); });
        }
        using hello_client = client<ws, plaintext::scheme>;
        return hold_idle<hello_client::channel_type>(
            io_, settings_, totals_, during,
            [this] { return hello_client::connect(io_.get_executor(), std::string_view(ws_url_), client_cfg_); },
            [bye](hello_client::channel_type& c) { return c.async_close(bye); });
    }

    totals& measured() { return totals_; }
    std::size_t presealed() const noexcept { return presealed_; }
    std::size_t sealed_in_run() const noexcept { return sealed_in_run_; }

private:
    // One POST and its checked answer; false (counted) when it failed.
    awaitable<bool> round_trip(envelope::http_client& client) {
        if (!sealed_) {
            auto res = co_await client.async_post_raw(target_.target, plaintext_);
            if (!res) co_return fail(res.error().message());
            if (res->status != 200 || res->body != plaintext_) co_return fail("HTTP " + std::to_string(res->status));
            co_return true;
        }
        auto pending = next_request();
        if (!pending) co_return fail(pending.error().message());
        auto res = co_await client.async_post_raw(target_.target, pending->body());
        if (!res) co_return fail(res.error().message());
        if (res->status != 200) co_return fail("HTTP " + std::to_string(res->status) + " " + res->body);
        auto opened = pending->open_response(res->body);
        if (!opened) co_return fail(opened.error().message());
        if (as_string_view(*opened) != plaintext_) co_return fail("the answer is not the request");
        co_return true;
    }

    result<envelope::pending_request> next_request() {
        if (!pool_.empty()) {
            auto next = std::move(pool_.front());
            pool_.pop_front();
            return next;
        }
        ++sealed_in_run_;
        return envelope::seal_request(*server_key_, as_bytes(plaintext_));
    }

    bool fail(const std::string& what) {
        totals_.error(what);
        return false;
    }

    net::io_context& io_;
    const settings& settings_;
    url target_;
    bool sealed_;
    std::string plaintext_;
    std::optional<envelope::server_public_key> server_key_;
    std::deque<envelope::pending_request> pool_;
    std::size_t presealed_ = 0, sealed_in_run_ = 0;
    std::string ws_url_;  // the idle mode's WebSocket to the same path
    transport::websocket_options ws_options_;
    client_config client_cfg_;
    totals totals_;
};

}  // namespace loadgen
