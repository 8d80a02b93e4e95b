// managed_client<Transport, Scheme>: keeps one connection to a server up and gives it the
// server's runtime: the same connection<> (single writer, bounded send queue, rate limit, dedup,
// thread-safe send()/close()), the same keepalive (pings, idle close with 1003, idle memory
// released), and reconnects with backoff when it drops (each handshake derives new keys).
// Everything runs on the client's strand; send() and stop() are safe from any thread.
#pragma once

#include <sealed/client.hpp>
#include <sealed/connection.hpp>
#include <sealed/detail/backoff.hpp>
#include <sealed/detail/connection_set.hpp>
#include <sealed/detail/keepalive.hpp>
#include <sealed/log.hpp>
#include <sealed/metrics.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace sealed {

template <TransportFamily Family, Scheme S>
class managed_client {
public:
    using client_type = client<Family, S>;
    using channel_type = typename client_type::channel_type;
    using connection_type = connection<channel_type, S>;
    using scheme_options = typename S::options;
    // The app's coroutine for each connection; when it returns the connection closes (1000) and,
    // unless stop() was called, the client connects again after a backoff wait.
    using session_handler = std::function<awaitable<void>(connection_type&)>;
    using error_handler = std::function<void(const error_code&)>;

    managed_client(net::io_context& io, url target, client_config cfg, scheme_options opts,
                   reconnect_policy policy = {}, logger log = logger("client"))
        : state_(std::make_shared<state>(io, std::move(target), std::move(cfg), std::move(opts), policy,
                                         std::move(log))) {}
    // A url that does not parse is a programming error here: std::invalid_argument.
    managed_client(net::io_context& io, std::string_view target, client_config cfg, scheme_options opts,
                   reconnect_policy policy = {}, logger log = logger("client"))
        : managed_client(io, parse_or_throw(target), std::move(cfg), std::move(opts), policy, std::move(log)) {}
    managed_client(const managed_client&) = delete;
    managed_client& operator=(const managed_client&) = delete;
    // Stops; the loop still running keeps the shared state alive until it ends.
    ~managed_client() { stop(); }

    // Set both before start(). Without a session handler, received messages are read and dropped.
    void on_session(session_handler h) { state_->handler = std::move(h); }
    // Each failed connect or handshake (the client tries again after a backoff wait).
    void on_connect_error(error_handler h) { state_->connect_error = std::move(h); }

    // Starts connecting; at most once.
    void start() {
        if (state_->started.exchange(true)) return;
        net::co_spawn(state_->strand, run(state_), detail::connection_done{nullptr, state_->log});
    }
    // No more reconnects: a connect in progress is abandoned, a connection closes with 1000 once
    // its queue is written, a backoff wait ends. From any thread.
    void stop() {
        if (state_->stopped.exchange(true)) return;
        if (auto c = current()) c->close({close_code::normal, "client stop"});
        net::post(state_->strand, [st = state_] { st->stop_signal.expires_at(clock::time_point::min()); });
    }
    // stop(), then waits until the client's loop has ended.
    awaitable<void> async_stop() {
        stop();
        net::steady_timer poll(co_await net::this_coro::executor);
        while (!state_->ended && state_->started) {
            poll.expires_after(std::chrono::milliseconds(10));
            co_await poll.async_wait(net::as_tuple(net::use_awaitable));
        }
    }

    // Queues `message` on the current connection. false when no connection is up or it is
    // closing: the message is not kept for the next connection (the app decides what to resend).
    bool send(bytes message, message_kind kind = message_kind::binary) {
        auto c = current();
        if (!c || c->closing()) return false;
        c->send(std::move(message), kind);
        return true;
    }
    // The established connection, or null between connections.
    std::shared_ptr<connection_type> current() const {
        std::lock_guard lock(state_->mutex);
        return state_->current;
    }
    bool connected() const { return current() != nullptr; }
    // connections_total counts attempts, handshakes_ok the ones that got through.
    const runtime_stats& stats() const noexcept { return state_->stats; }
    const client_config& config() const noexcept { return state_->config; }

private:
    using clock = std::chrono::steady_clock;
    using strand_type = net::strand<net::io_context::executor_type>;
    using keepalive_type = detail::keepalive<connection_type, Family::is_websocket>;

    struct state {
        state(net::io_context& io, url t, client_config c, scheme_options o, reconnect_policy p, logger l)
            : strand(net::make_strand(io)), target(std::move(t)), config(std::move(c)), options(std::move(o)),
              policy(p), dedup(config.dedup_ttl), stop_signal(strand, clock::time_point::max()),
              log(std::make_shared<const logger>(std::move(l))) {
            // Pings and the idle close are this client's keepalive's, not the transport's own.
            connect_config = config;
            connect_config.ping_interval = std::chrono::milliseconds::zero();
        }
        connection_context context() { return {&config, &stats, &dedup, &rooms, log.get()}; }

        strand_type strand;
        url target;
        client_config config, connect_config;
        scheme_options options;
        reconnect_policy policy;
        runtime_stats stats;
        policy::deduplicator dedup;
        room_index rooms;
        net::steady_timer stop_signal;  // expires (at min) on stop(): ends a connect or a wait
        detail::connection_set connections;
        session_handler handler;
        error_handler connect_error;
        std::atomic<bool> started{false}, stopped{false}, ended{false};
        mutable std::mutex mutex;
        std::shared_ptr<connection_type> current;
        std::shared_ptr<const logger> log;
    };
    using state_ptr = std::shared_ptr<state>;

    static url parse_or_throw(std::string_view target) {
        auto parsed = url::parse(target);
        if (!parsed) throw std::invalid_argument("managed_client: not a url: " + std::string(target));
        return std::move(*parsed);
    }

    static awaitable<void> run(state_ptr st) {
        co_await net::this_coro::throw_if_cancelled(false);
        detail::backoff waits(st->policy);
        net::steady_timer timer(st->strand);
        while (!st->stopped) {
            st->stats.connections_total++;
            auto channel = co_await connect_unless_stopped(st);
            if (st->stopped) break;
            if (channel) {
                const auto started = clock::now();
                co_await run_session(st, std::move(*channel));
                waits.session_ended(clock::now() - started);
            } else {
                st->stats.handshake_failed(channel.error().message());
                st->log->info("cannot connect to {}://{}{}: {}", st->target.scheme, st->target.host_header(), st->target.target,
                              channel.error().message());
                if (st->connect_error) st->connect_error(channel.error());
            }
            if (st->stopped) break;
            timer.expires_after(waits.next());
            co_await wait_unless_stopped(st, timer);
        }
        st->ended = true;
    }

    // The connect raced against stop(): whichever ends first cancels the other.
    static awaitable<result<channel_type>> connect_unless_stopped(const state_ptr& st) {
        using namespace net::experimental::awaitable_operators;
        auto attempt = client_type::connect(st->strand, st->target, st->connect_config, st->options);
        auto stopped = st->stop_signal.async_wait(net::as_tuple(net::use_awaitable));
        auto first = co_await (std::move(attempt) || std::move(stopped));
        if (first.index() == 1) co_return make_error_code(errc::shutting_down);
        co_return std::move(std::get<0>(first));
    }
    static awaitable<void> wait_unless_stopped(const state_ptr& st, net::steady_timer& timer) {
        using namespace net::experimental::awaitable_operators;
        auto waited = timer.async_wait(net::as_tuple(net::use_awaitable));
        auto stopped = st->stop_signal.async_wait(net::as_tuple(net::use_awaitable));
        co_await (std::move(waited) || std::move(stopped));
    }

    // One established connection, served as the server serves its own: keepalive, the app's
    // handler (cancelled if a keepalive close does not end it in time), then a close.
    static awaitable<void> run_session(const state_ptr& st, channel_type channel) {
        st->stats.handshakes_ok++;
        st->stats.connections_open++;
        auto ticket = st->connections.add(st->strand, detail::connection_phase::established);
        auto conn = std::make_shared<connection_type>(std::move(channel), st->strand, ticket->id, st->context());
        set_current(*st, conn);
        if (st->stopped) conn->close({close_code::normal, "client stop"});
        keepalive_type::watch_control_frames(*conn);
        auto alive = std::make_shared<keepalive_type>(conn, ticket, keepalive_settings(st->config), st->stats, st->log);
        alive->start();
        auto session = st->handler ? st->handler(*conn) : drain(*conn);
        auto cancellable = net::as_tuple(net::bind_cancellation_slot(ticket->signal.slot(), net::use_awaitable));
        auto [thrown] = co_await net::co_spawn(st->strand, std::move(session), cancellable);
        alive->stop();
        // A handler that throws is a bug in the app: logged, and the peer told, not the loop ended.
        const close_reason reason = thrown               ? close_reason{close_code::internal_error, "internal error"}
                                    : alive->verdict() ? *alive->verdict()
                                                       : close_reason{close_code::normal, ""};
        if (thrown) log_thrown(*st, thrown);
        co_await conn->async_close(reason);  // named: ADR-0001 (GCC 12 and temporaries)
        set_current(*st, nullptr);
        st->stats.connections_open--;
    }

    static awaitable<void> drain(connection_type& conn) {
        message_buffer in;
        while (!co_await conn.async_receive(in)) {
        }
    }

    static void log_thrown(state& st, const std::exception_ptr& thrown) {
        try {
            std::rethrow_exception(thrown);
        } catch (const std::exception& e) {
            st.log->error("session handler threw: {}", e.what());
        } catch (...) {
            st.log->error("session handler threw a non-standard exception");
        }
    }

    static void set_current(state& st, std::shared_ptr<connection_type> conn) {
        std::lock_guard lock(st.mutex);
        st.current = std::move(conn);
    }

    static typename keepalive_type::settings keepalive_settings(const client_config& cfg) {
        return {cfg.ping_interval, cfg.pong_timeout, cfg.write_timeout + std::chrono::seconds(1), std::nullopt};
    }

    state_ptr state_;
};

}  // namespace sealed
