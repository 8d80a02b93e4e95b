// server<Transport, Scheme>: accepts connections, admits them (HTTP before the WebSocket
// upgrade), runs the scheme's handshake under one deadline, and hands each established
// secure_channel to the app's coroutine. One coroutine per connection, each on its own strand.
#pragma once

#include <sealed/config.hpp>
#include <sealed/detail/connection_set.hpp>
#include <sealed/detail/http_front.hpp>
#include <sealed/log.hpp>
#include <sealed/session.hpp>
#include <sealed/tls.hpp>
#include <sealed/transport/tcp.hpp>
#include <sealed/transport/websocket.hpp>
#include <sealed/url.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

namespace sealed {

template <class Family, Scheme S>
class server {
public:
    using stream_type = typename Family::stream_type;
    using channel_type = secure_channel<stream_type, cipher_of<S>>;
    using scheme_options = typename S::options;
    // The app's per-connection coroutine; the channel is closed when it returns.
    using session_handler = std::function<awaitable<void>(channel_type&)>;

    server(net::io_context& io, server_config cfg, scheme_options opts = {})
        : state_(std::make_shared<state>(io, std::move(cfg), std::move(opts))) {}
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    // Stops the server; connection coroutines still running keep the shared state alive.
    ~server() { stop(); }

    void on_session(session_handler h) { state_->handler = std::move(h); }
    // Plain HTTP requests (not upgrades) on WebSocket transports; unanswered ones get 404.
    void on_http(detail::http_handler h) { state_->http_handler = std::move(h); }

    // Binds config().listen and starts accepting; returns the bound endpoint (port 0 resolved).
    result<tcp_endpoint> start() {
        auto& st = *state_;
        auto addr = listen_address::parse(st.config.listen);
        if (!addr) return addr.error();
        boost::system::error_code ec;
        auto ip = net::ip::make_address(addr->host, ec);
        if (ec) return ec;
        if constexpr (Family::uses_tls) {
            if (auto tls_ec = st.load_tls()) return tls_ec;
        }
        tcp_endpoint endpoint(ip, addr->port);
        st.acceptor.open(endpoint.protocol(), ec);
        if (!ec) st.acceptor.set_option(net::socket_base::reuse_address(true), ec);
        if (!ec) st.acceptor.bind(endpoint, ec);
        if (!ec) st.acceptor.listen(net::socket_base::max_listen_connections, ec);
        if (ec) return ec;
        st.local = st.acceptor.local_endpoint(ec);
        if (ec) return ec;
        net::co_spawn(st.acceptor.get_executor(), accept_loop(state_), detail::connection_done{nullptr, st.log});
        st.log->info("{} over {} listening on {}", S::name, Family::url_scheme, transport::to_string(st.local));
        return st.local;
    }

    // Stops accepting and cancels every connection; they finish on the io_context.
    void stop() {
        if (state_->stopped.exchange(true)) return;
        net::post(state_->acceptor.get_executor(), [st = state_] {
            boost::system::error_code ignored;
            st->acceptor.close(ignored);
        });
        state_->connections.cancel_all();
    }

    tcp_endpoint local_endpoint() const { return state_->local; }
    std::size_t active_connections() const noexcept { return state_->connections.size(); }
    const server_config& config() const noexcept { return state_->config; }
    const scheme_options& options() const noexcept { return state_->options; }

private:
    // Everything a connection coroutine needs, shared so that it outlives the server object.
    struct state {
        state(net::io_context& ctx, server_config cfg, scheme_options opts)
            : io(ctx), config(std::move(cfg)), options(std::move(opts)), acceptor(ctx),
              log(log::get("server")) {}

        error_code load_tls() {
            if (config.tls_context) {
                tls = config.tls_context;
                return {};
            }
            auto ctx = tls::make_server_context(config.tls_cert, config.tls_key);
            if (!ctx) return ctx.error();
            tls = std::make_shared<net::ssl::context>(std::move(*ctx));
            return {};
        }

        net::io_context& io;
        server_config config;
        scheme_options options;
        net::ip::tcp::acceptor acceptor;
        tcp_endpoint local;
        std::shared_ptr<net::ssl::context> tls;
        session_handler handler;
        detail::http_handler http_handler;
        detail::connection_set connections;
        std::atomic<bool> stopped{false};
        std::shared_ptr<spdlog::logger> log;
    };
    using state_ptr = std::shared_ptr<state>;

    static awaitable<void> accept_loop(state_ptr st) {
        while (!st->stopped) {
            auto strand = net::make_strand(st->io);
            auto [ec, socket] = co_await st->acceptor.async_accept(strand, net::as_tuple(net::use_awaitable));
            if (ec) {
                if (ec == net::error::operation_aborted || !st->acceptor.is_open()) co_return;
                st->log->warn("accept failed: {}", ec.message());
                continue;
            }
            auto ticket = st->connections.add(strand);
            auto slot = ticket->signal.slot();
            net::co_spawn(strand, serve(st, std::move(socket), ticket),
                          net::bind_cancellation_slot(slot, detail::connection_done{ticket, st->log}));
        }
    }

    // `ticket` keeps this connection counted (and cancellable) for as long as the coroutine runs.
    static awaitable<void> serve(state_ptr st, tcp_socket socket, [[maybe_unused]] detail::connection_ticket ticket) {
        co_await net::this_coro::throw_if_cancelled(false);
        const auto deadline = std::chrono::steady_clock::now() + st->config.handshake_timeout;
        const bool over_limit = st->connections.size() > st->config.max_connections;
        beast::tcp_stream stream(std::move(socket));  // named: see ADR-0001 (GCC 12 and temporaries)
        auto opened = co_await open_transport(st, std::move(stream), deadline, over_limit);
        if (!opened) co_return;
        auto& transport = opened->stream;
        auto handshake = make_server_handshake(*st, opened->request);
        auto remaining = std::max(deadline - std::chrono::steady_clock::now(),
                                  std::chrono::steady_clock::duration::zero());
        auto established = co_await run_handshake(transport, handshake, remaining);
        if (!established) {
            st->log->info("{} handshake with {} failed: {}", S::name, transport.remote_endpoint(),
                          established.error().message());
            co_return;
        }
        channel_type channel(std::move(transport), std::move(*established), {st->config.max_message_size});
        if (st->handler) co_await st->handler(channel);
        const close_reason normal{close_code::normal, ""};
        co_await channel.async_close(normal);
    }

    // Schemes that look at the upgrade request (path parameters, query) take it here.
    static auto make_server_handshake(const state& st, const http_request& req) {
        if constexpr (requires { S::make_handshake(role::server, st.options, req); })
            return S::make_handshake(role::server, st.options, req);
        else
            return S::make_handshake(role::server, st.options);
    }

    static detail::admission_hook make_admission(const state_ptr& st) {
        if constexpr (requires(const http_request& r) { S::admit(r, st->options); })
            return [st](const http_request& r) { return S::admit(r, st->options); };
        else
            return {};
    }

    // TCP: the socket is the transport. WebSocket: TLS, then HTTP until an upgrade is admitted.
    static awaitable<std::optional<detail::upgraded<stream_type>>> open_transport(
        state_ptr st, beast::tcp_stream stream, std::chrono::steady_clock::time_point deadline, bool over_limit) {
        const auto wire_limit = wire_limit_for<S>(st->config.max_message_size);
        if constexpr (!Family::is_websocket) {
            if (over_limit) {
                st->log->warn("refused a connection: max_connections ({}) reached", st->config.max_connections);
                co_return std::nullopt;
            }
            transport::tcp_options opts;
            opts.max_message_size = wire_limit;
            co_return detail::upgraded<stream_type>{stream_type(std::move(stream), opts), {}};
        } else {
            detail::http_front_options front{st->config.ws_path, wire_limit, deadline, over_limit,
                                             S::name, make_admission(st)};
            transport::websocket_options ws_opts;
            ws_opts.max_message_size = wire_limit;
            ws_opts.upgrade_timeout = st->config.handshake_timeout;
            if constexpr (Family::uses_tls) {
                beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(stream), *st->tls);
                beast::get_lowest_layer(tls_stream).expires_at(deadline);
                auto [ec] = co_await tls_stream.async_handshake(net::ssl::stream_base::server,
                                                                net::as_tuple(net::use_awaitable));
                if (ec) {
                    st->log->info("TLS handshake failed: {}", ec.message());
                    co_return std::nullopt;
                }
                co_return co_await detail::http_front(std::move(tls_stream), front, ws_opts, st->http_handler, *st->log);
            } else {
                co_return co_await detail::http_front(std::move(stream), front, ws_opts, st->http_handler, *st->log);
            }
        }
    }

    state_ptr state_;
};

}  // namespace sealed
