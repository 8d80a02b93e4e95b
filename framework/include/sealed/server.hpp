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
        : io_(io), config_(std::move(cfg)), options_(std::move(opts)), acceptor_(io),
          log_(log::get("server")) {}
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    ~server() { stop(); }

    void on_session(session_handler h) { handler_ = std::move(h); }
    // Plain HTTP requests (not upgrades) on WebSocket transports; unanswered ones get 404.
    void on_http(detail::http_handler h) { http_handler_ = std::move(h); }

    // Binds config().listen and starts accepting; returns the bound endpoint (port 0 resolved).
    result<tcp_endpoint> start() {
        auto addr = listen_address::parse(config_.listen);
        if (!addr) return addr.error();
        boost::system::error_code ec;
        auto ip = net::ip::make_address(addr->host, ec);
        if (ec) return ec;
        if constexpr (Family::uses_tls) {
            if (auto tls_ec = load_tls()) return tls_ec;
        }
        tcp_endpoint endpoint(ip, addr->port);
        acceptor_.open(endpoint.protocol(), ec);
        if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
        if (!ec) acceptor_.bind(endpoint, ec);
        if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
        if (ec) return ec;
        local_ = acceptor_.local_endpoint(ec);
        if (ec) return ec;
        net::co_spawn(acceptor_.get_executor(), accept_loop(), detail::connection_done{nullptr, log_});
        log_->info("{} over {} listening on {}", S::name, Family::url_scheme, transport::to_string(local_));
        return local_;
    }

    // Stops accepting and cancels every connection; they finish on the io_context.
    void stop() {
        if (stopped_.exchange(true)) return;
        net::post(acceptor_.get_executor(), [this] {
            boost::system::error_code ignored;
            acceptor_.close(ignored);
        });
        connections_.cancel_all();
    }

    tcp_endpoint local_endpoint() const { return local_; }
    std::size_t active_connections() const noexcept { return connections_.size(); }
    const server_config& config() const noexcept { return config_; }
    const scheme_options& options() const noexcept { return options_; }

private:
    error_code load_tls() {
        if (config_.tls_context) {
            tls_ = config_.tls_context;
            return {};
        }
        auto ctx = tls::make_server_context(config_.tls_cert, config_.tls_key);
        if (!ctx) return ctx.error();
        tls_ = std::make_shared<net::ssl::context>(std::move(*ctx));
        return {};
    }

    awaitable<void> accept_loop() {
        while (!stopped_) {
            auto strand = net::make_strand(io_);
            auto [ec, socket] = co_await acceptor_.async_accept(strand, net::as_tuple(net::use_awaitable));
            if (ec) {
                if (ec == net::error::operation_aborted || !acceptor_.is_open()) co_return;
                log_->warn("accept failed: {}", ec.message());
                continue;
            }
            auto ticket = connections_.add(strand);
            auto slot = ticket->signal.slot();
            net::co_spawn(strand, serve(std::move(socket), ticket),
                          net::bind_cancellation_slot(slot, detail::connection_done{ticket, log_}));
        }
    }

    // `ticket` keeps this connection counted (and cancellable) for as long as the coroutine runs.
    awaitable<void> serve(tcp_socket socket, [[maybe_unused]] detail::connection_ticket ticket) {
        co_await net::this_coro::throw_if_cancelled(false);
        const auto deadline = std::chrono::steady_clock::now() + config_.handshake_timeout;
        const bool over_limit = connections_.size() > config_.max_connections;
        beast::tcp_stream stream(std::move(socket));  // named: see concepts.hpp on GCC 12 and prvalues
        auto opened = co_await open_transport(std::move(stream), deadline, over_limit);
        if (!opened) co_return;
        auto& transport = opened->stream;
        auto handshake = make_server_handshake(opened->request);
        auto remaining = std::max(deadline - std::chrono::steady_clock::now(),
                                  std::chrono::steady_clock::duration::zero());
        auto established = co_await run_handshake(transport, handshake, remaining);
        if (!established) {
            log_->info("{} handshake with {} failed: {}", S::name, transport.remote_endpoint(),
                       established.error().message());
            co_return;
        }
        channel_type channel(std::move(transport), std::move(*established), {config_.max_message_size});
        if (handler_) co_await handler_(channel);
        const close_reason normal{close_code::normal, ""};
        co_await channel.async_close(normal);
    }

    // Schemes that look at the upgrade request (path parameters, query) take it here.
    auto make_server_handshake(const http_request& req) {
        if constexpr (requires { S::make_handshake(role::server, options_, req); })
            return S::make_handshake(role::server, options_, req);
        else
            return S::make_handshake(role::server, options_);
    }

    detail::admission_hook make_admission() const {
        if constexpr (requires(const http_request& r) { S::admit(r, options_); })
            return [this](const http_request& r) { return S::admit(r, options_); };
        else
            return {};
    }

    // TCP: the socket is the transport. WebSocket: TLS, then HTTP until an upgrade is admitted.
    awaitable<std::optional<detail::upgraded<stream_type>>> open_transport(beast::tcp_stream stream,
                                                         std::chrono::steady_clock::time_point deadline,
                                                         bool over_limit) {
        if constexpr (!Family::is_websocket) {
            if (over_limit) {
                log_->warn("refused a connection: max_connections ({}) reached", config_.max_connections);
                co_return std::nullopt;
            }
            transport::tcp_options opts;
            opts.max_message_size = wire_limit_for<S>(config_.max_message_size);
            co_return detail::upgraded<stream_type>{stream_type(std::move(stream), opts), {}};
        } else {
            const auto wire_limit = wire_limit_for<S>(config_.max_message_size);
            detail::http_front_options front{config_.ws_path, wire_limit, deadline, over_limit,
                                             S::name, make_admission()};
            transport::websocket_options ws_opts;
            ws_opts.max_message_size = wire_limit;
            ws_opts.upgrade_timeout = config_.handshake_timeout;
            if constexpr (Family::uses_tls) {
                beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(stream), *tls_);
                beast::get_lowest_layer(tls_stream).expires_at(deadline);
                auto [ec] = co_await tls_stream.async_handshake(net::ssl::stream_base::server,
                                                                net::as_tuple(net::use_awaitable));
                if (ec) {
                    log_->info("TLS handshake failed: {}", ec.message());
                    co_return std::nullopt;
                }
                co_return co_await detail::http_front(std::move(tls_stream), front, ws_opts, http_handler_, *log_);
            } else {
                co_return co_await detail::http_front(std::move(stream), front, ws_opts, http_handler_, *log_);
            }
        }
    }

    net::io_context& io_;
    server_config config_;
    scheme_options options_;
    net::ip::tcp::acceptor acceptor_;
    tcp_endpoint local_;
    std::shared_ptr<net::ssl::context> tls_;
    session_handler handler_;
    detail::http_handler http_handler_;
    detail::connection_set connections_;
    std::atomic<bool> stopped_{false};
    std::shared_ptr<spdlog::logger> log_;
};

}  // namespace sealed
