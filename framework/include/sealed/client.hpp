// client<Transport, Scheme>: connects to a url, runs the scheme's handshake as the client and
// returns the established secure_channel.
#pragma once

#include <sealed/config.hpp>
#include <sealed/session.hpp>
#include <sealed/tls.hpp>
#include <sealed/transport/tcp.hpp>
#include <sealed/transport/websocket.hpp>
#include <sealed/url.hpp>

#include <memory>

namespace sealed {

template <class Family, Scheme S>
class client {
public:
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

private:
    static awaitable<result<channel_type>> do_connect(net::any_io_executor ex, url target, client_config cfg,
                                                      scheme_options opts) {
        auto transport = co_await open(ex, target, cfg);
        if (!transport) co_return transport.error();
        auto handshake = S::make_handshake(role::client, opts);
        auto established = co_await run_handshake(*transport, handshake, cfg.handshake_timeout);
        if (!established) co_return established.error();
        co_return channel_type(std::move(*transport), std::move(*established), {cfg.max_message_size});
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
