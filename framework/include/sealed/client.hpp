// client<Transport, Scheme>: connects to a url, runs the scheme's handshake as the client and
// returns the established secure_channel.
#pragma once

#include <sealed/config.hpp>
#include <sealed/detail/backoff.hpp>
#include <sealed/session.hpp>
#include <sealed/tls.hpp>
#include <sealed/transport/memory.hpp>
#include <sealed/transport/tcp.hpp>
#include <sealed/transport/websocket.hpp>
#include <sealed/url.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <functional>
#include <memory>

namespace sealed {

template <TransportFamily Family, Scheme S>
class client {
public:
    static_assert(hooks_well_formed<S>());

    using stream_type = typename Family::stream_type;
    using channel_type = secure_channel<stream_type, cipher_of<S>>;
    using scheme_options = typename S::options;

    // Connects and handshakes; every failure is an error_code (connect, TLS, upgrade, handshake).
    // Overloads instead of default arguments, and plain functions rather than coroutines: a
    // non-trivial default argument is a temporary inside the caller's co_await, which GCC 12
    // destroys twice (docs/decisions/0001-gcc12-coroutine-temporaries.md).
    static awaitable<result<channel_type>> connect(net::any_io_executor ex, const url& target,
                                                   const client_config& cfg, const scheme_options& opts) {
        return do_connect(std::move(ex), target, cfg, opts);
    }
    static awaitable<result<channel_type>> connect(net::any_io_executor ex, const url& target,
                                                   const client_config& cfg) {
        return do_connect(std::move(ex), target, cfg, scheme_options{});
    }
    static awaitable<result<channel_type>> connect(net::any_io_executor ex, const url& target) {
        return do_connect(std::move(ex), target, client_config{}, scheme_options{});
    }
    // As above with the url as text; errc::invalid_argument when it does not parse.
    static awaitable<result<channel_type>> connect(net::any_io_executor ex, std::string_view target,
                                                   const client_config& cfg, const scheme_options& opts) {
        return parse_and_connect(std::move(ex), std::string(target), cfg, opts);
    }
    static awaitable<result<channel_type>> connect(net::any_io_executor ex, std::string_view target,
                                                   const client_config& cfg) {
        return parse_and_connect(std::move(ex), std::string(target), cfg, scheme_options{});
    }
    static awaitable<result<channel_type>> connect(net::any_io_executor ex, std::string_view target) {
        return parse_and_connect(std::move(ex), std::string(target), client_config{}, scheme_options{});
    }

    // In-process families (sealed::memory): the client's side of the handshake over the end
    // server<memory, S>::connect() returned (moved from; taken by reference, so a caller on
    // GCC 12 names it rather than passing a temporary).
    static awaitable<result<channel_type>> handshake(stream_type& end, const client_config& cfg,
                                                     const scheme_options& opts)
        requires InProcessFamily<Family>
    {
        return handshake_on(std::move(end), cfg, opts);
    }

    // Keeps a session up: connects, runs `on_session` until the channel fails, waits a backoff
    // delay, and connects again (keys are re-derived by each new handshake, which is how ADR-0003
    // clients recover after a server restart). Returns when cancelled or when `on_session`
    // returns true ("done"). `on_connect_error` (optional) sees each failed attempt.
    using session_fn = std::function<awaitable<bool>(channel_type&)>;
    using error_fn = std::function<void(const error_code&)>;
    static awaitable<void> run(net::any_io_executor ex, std::string_view target, const client_config& cfg,
                               const scheme_options& opts, session_fn on_session, reconnect_policy policy = {},
                               error_fn on_connect_error = {}) {
        return do_run(std::move(ex), std::string(target), cfg, opts, std::move(on_session), policy,
                      std::move(on_connect_error));
    }

private:
    // The client's handshake on an open transport, and the channel it yields.
    static awaitable<result<channel_type>> handshake_on(stream_type end, client_config cfg, scheme_options opts) {
        auto hs = S::make_handshake(role::client, opts);
        auto established = co_await run_handshake(end, hs, cfg.handshake_timeout);
        if (!established) co_return established.error();
        co_return channel_type(std::move(end), std::move(*established), {cfg.max_message_size});
    }

    static awaitable<void> do_run(net::any_io_executor ex, std::string target, client_config cfg, scheme_options opts,
                                  session_fn on_session, reconnect_policy policy, error_fn on_connect_error) {
        co_await net::this_coro::throw_if_cancelled(false);
        detail::backoff waits(policy);
        net::steady_timer timer(ex);
        for (;;) {
            auto channel = co_await connect(ex, std::string_view(target), cfg, opts);
            if (channel) {
                const auto started = std::chrono::steady_clock::now();
                if (co_await on_session(*channel)) co_return;
                const close_reason bye{close_code::normal, ""};
                co_await channel->async_close(bye);
                waits.session_ended(std::chrono::steady_clock::now() - started);
            } else if (on_connect_error) {
                on_connect_error(channel.error());
            }
            timer.expires_after(waits.next());
            auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
            if (ec) co_return;  // cancelled
            auto cs = co_await net::this_coro::cancellation_state;
            if (cs.cancelled() != net::cancellation_type::none) co_return;
        }
    }

    static awaitable<result<channel_type>> do_connect(net::any_io_executor ex, url target, client_config cfg,
                                                      scheme_options opts) {
        auto transport = co_await open(ex, target, cfg);
        if (!transport) co_return transport.error();
        co_return co_await handshake_on(std::move(*transport), std::move(cfg), std::move(opts));
    }

    static awaitable<result<channel_type>> parse_and_connect(net::any_io_executor ex, std::string target,
                                                             client_config cfg, scheme_options opts) {
        auto parsed = url::parse(target);
        if (!parsed) co_return parsed.error();
        co_return co_await do_connect(std::move(ex), std::move(*parsed), std::move(cfg), std::move(opts));
    }

    static awaitable<result<stream_type>> open(net::any_io_executor ex, const url& target, const client_config& cfg) {
        if constexpr (Family::is_websocket) {
            transport::websocket_options ws;
            ws.max_message_size = wire_limit_for<S>(cfg.max_message_size);
            ws.upgrade_timeout = cfg.connect_timeout;
            // Beast pings at half the idle timeout; ping_interval + pong_timeout keeps the
            // server's notion of "dead" and ours the same.
            if (cfg.ping_interval.count() > 0) ws.idle_timeout = 2 * cfg.ping_interval + cfg.pong_timeout;
            if constexpr (Family::uses_tls) {
                auto tls = cfg.tls_context;
                if (!tls) {
                    auto made = tls::make_client_context({cfg.tls_verify_peer, cfg.tls_ca_file, cfg.tls_ca_pem});
                    if (!made) co_return made.error();
                    tls = std::make_shared<net::ssl::context>(std::move(*made));
                }
                co_return co_await transport::async_connect_wss(ex, target, *tls, ws);
            } else {
                co_return co_await transport::async_connect_ws(ex, target, ws);
            }
        } else {
            transport::tcp_options opts;
            opts.max_message_size = wire_limit_for<S>(cfg.max_message_size);
            opts.connect_timeout = cfg.connect_timeout;
            if constexpr (std::is_same_v<stream_type, transport::framed_stream>)
                co_return co_await transport::async_connect_framed(ex, target, opts);
            else
                co_return co_await transport::async_connect_bytes(ex, target, opts);
        }
    }
};

}  // namespace sealed
