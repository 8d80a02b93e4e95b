// server<Transport, Scheme>: accepts connections, admits them (HTTP before the WebSocket
// upgrade: max_connections, Origin, the scheme's own checks), runs the scheme's handshake under
// one deadline, and hands each established connection to the app's coroutine, with keepalive,
// a bounded send queue, rate limit and dedup applied. A registry gives send/broadcast from any
// thread. One coroutine per connection, each on its own strand.
#pragma once

#include <sealed/config.hpp>
#include <sealed/connection.hpp>
#include <sealed/metrics.hpp>
#include <sealed/policy/origin.hpp>
#include <sealed/detail/address_admission.hpp>
#include <sealed/detail/connection_set.hpp>
#include <sealed/detail/descriptors.hpp>
#include <sealed/detail/http_front.hpp>
#include <sealed/detail/keepalive.hpp>
#include <sealed/log.hpp>
#include <sealed/session.hpp>
#include <sealed/tls.hpp>
#include <sealed/transport/memory.hpp>
#include <sealed/transport/tcp.hpp>
#include <sealed/transport/websocket.hpp>
#include <sealed/url.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>

#include <atomic>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <memory>
#include <optional>

namespace sealed {

template <TransportFamily Family, Scheme S>
class server {
public:
    static_assert(hooks_well_formed<S>());

    using stream_type = typename Family::stream_type;
    using channel_type = secure_channel<stream_type, cipher_of<S>>;
    using connection_type = connection<channel_type, S>;
    using scheme_options = typename S::options;
    // The app's per-connection coroutine; the connection is closed (1000) when it returns.
    using session_handler = std::function<awaitable<void>(connection_type&)>;
    using join_filter = typename connection_type::join_filter;

    // `log`: where the server's lines go (connections, keepalive, HTTP front included).
    server(net::io_context& io, server_config cfg, scheme_options opts = {}, logger log = logger("server"))
        : state_(std::make_shared<state>(io, std::move(cfg), std::move(opts), std::move(log))) {}
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    // Stops the server; connection coroutines still running keep the shared state alive.
    ~server() { stop(); }

    void on_session(session_handler h) { state_->handler = std::move(h); }
    // Plain HTTP requests (not upgrades) on WebSocket transports; unanswered ones get 404.
    void on_http(http_handler h) {
        state_->http_handler = [h = std::move(h)](const http_request& req) -> awaitable<std::optional<http_response>> {
            co_return h(req);
        };
    }
    // The same for routes that wait on I/O; the handler runs on the connection's strand.
    void on_http_async(async_http_handler h) { state_->http_handler = std::move(h); }
    // More Prometheus text appended to /metrics (a scheme's or a Redis client's counters).
    void on_metrics(std::function<std::string()> f) { state_->extra_metrics = std::move(f); }
    // Which rooms a client that asks to join may join (on its strand). Unset: all it asks for.
    void on_join(join_filter f) { state_->room_filter = std::move(f); }

    // In-process families (sealed::memory): a new connection, served like an accepted one; the
    // returned end is the client's (client<memory, S>::handshake runs its side).
    stream_type connect() requires InProcessFamily<Family> {
        auto strand = net::make_strand(state_->io);
        auto ends = stream_type::make_pair(strand);
        start_serving(state_, strand, std::move(ends.second), detail::connection_phase::handshake);
        return std::move(ends.first);
    }

    // Binds config().listen and starts accepting; returns the bound endpoint (port 0 resolved).
    // In-process families bind nothing (an empty endpoint); connect() makes connections.
    // errc::descriptor_limit when the open-file limit, raised as far as the hard limit allows,
    // cannot hold max_connections (the server would fail accepts instead).
    result<tcp_endpoint> start() {
        auto& st = *state_;
        if constexpr (InProcessFamily<Family>) {
            st.log->info("{} in process (connect() makes connections)", S::name);
            return tcp_endpoint{};
        } else {
            return listen();
        }
    }

    // Stops accepting, sends close 1004 (shutdown) to every established connection and cancels
    // those still in their handshake. Connections finish on the io_context; async_stop() waits.
    void stop() {
        if (state_->stopped.exchange(true)) return;
        net::post(state_->acceptor.get_executor(), [st = state_] {
            boost::system::error_code ignored;
            st->acceptor.close(ignored);
        });
        for_each([](connection_type& c) { c.close({close_code::shutdown, "server shutdown"}); });
        state_->connections.cancel_all();
    }
    // stop(), then waits until every connection has ended or stop_timeout passed (the rest are
    // cancelled).
    awaitable<void> async_stop() {
        stop();
        net::steady_timer timer(co_await net::this_coro::executor);
        const auto deadline = std::chrono::steady_clock::now() + state_->config.stop_timeout;
        while (active_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
            timer.expires_after(std::chrono::milliseconds(10));
            co_await timer.async_wait(net::as_tuple(net::use_awaitable));
        }
        if (active_connections() > 0) state_->connections.cancel_all(true);
    }
    // Cancels whatever is left (after stop() and a grace period).
    void force_stop() { state_->connections.cancel_all(true); }

    // --- the registry: safe from any thread and from inside handlers -----------------------
    std::vector<std::string> connected_peers() const {
        std::vector<std::string> peers;
        for_each([&](connection_type& c) { peers.push_back(c.peer_id()); });
        return peers;
    }
    std::shared_ptr<connection_type> get(std::string_view peer_id) const {
        return find_first([&](const connection_type& c) { return c.peer_id() == peer_id; });
    }
    // Connections that are closing are left out: they take no more messages.
    void for_each(const std::function<void(connection_type&)>& fn) const {
        std::vector<std::shared_ptr<connection_type>> live;
        {
            std::lock_guard lock(state_->registry_mutex);
            for (auto& [id, weak] : state_->registry)
                if (auto c = weak.lock(); c && !c->closing()) live.push_back(std::move(c));
        }
        for (auto& c : live) fn(*c);
    }
    // Queues `message` to the connection(s) of `peer_id`; false when no such peer is connected.
    bool send(std::string_view peer_id, const_bytes message, message_kind kind = message_kind::binary) {
        bool found = false;
        for_each([&](connection_type& c) {
            if (c.peer_id() != peer_id) return;
            c.send(bytes(message.begin(), message.end()), kind);
            found = true;
        });
        return found;
    }
    // Queues `message` to every member of `room` but `except` (a connection id; 0: none).
    std::size_t send_to_room(std::string_view room, const_bytes message, message_kind kind = message_kind::binary,
                             std::uint64_t except = 0) {
        std::size_t n = 0;
        for (auto id : state_->rooms.members(room)) {
            if (id == except) continue;
            auto c = get_connection(id);
            if (!c) continue;
            c->send(bytes(message.begin(), message.end()), kind);
            ++n;
        }
        return n;
    }
    // The established connection with this connection id (rooms().members() lists them).
    std::shared_ptr<connection_type> get_connection(std::uint64_t id) const {
        std::lock_guard lock(state_->registry_mutex);
        auto it = state_->registry.find(id);
        return it == state_->registry.end() ? nullptr : it->second.lock();
    }
    // The connection whose session id (the scheme's name for it, e.g. IGNIS's client id) is `id`.
    std::shared_ptr<connection_type> get_session(std::string_view id) const {
        return find_first([&](const connection_type& c) { return c.session_id() == id; });
    }
    const room_index& rooms() const noexcept { return state_->rooms; }
    // Queues `message` to every connection but `except` (a connection id; 0: none). Each is
    // sealed with that connection's own session. Returns how many it was queued to.
    std::size_t broadcast(const_bytes message, message_kind kind = message_kind::binary, std::uint64_t except = 0) {
        std::size_t n = 0;
        for_each([&](connection_type& c) {
            if (c.id() == except) return;
            c.send(bytes(message.begin(), message.end()), kind);
            ++n;
        });
        return n;
    }
    const runtime_stats& stats() const noexcept { return state_->stats; }

    tcp_endpoint local_endpoint() const { return state_->local; }
    std::size_t active_connections() const noexcept { return state_->connections.size(); }
    const server_config& config() const noexcept { return state_->config; }
    const scheme_options& options() const noexcept { return state_->options; }

    // Certificate renewal without a restart: config().tls_cert, tls_key and tls_client_ca are
    // read again into a new TLS context that serves every handshake from now on; established
    // connections (and handshakes under way) keep the one they started with. Everything is
    // checked first: errc::invalid_key (or the file system's error) leaves the old one serving.
    // errc::invalid_argument for a server that did not load its certificate from files.
    error_code reload_tls() {
        if constexpr (Family::uses_tls) {
            auto& st = *state_;
            if (st.config.tls_cert.empty() || st.config.tls_context || !st.tls) return errc::invalid_argument;
            auto fresh = st.context_from_files();
            if (!fresh) return fresh.error();
            std::lock_guard lock(st.tls_mutex);
            st.tls = std::move(*fresh);
            return {};
        } else {
            return errc::invalid_argument;
        }
    }

private:
    result<tcp_endpoint> listen() {
        auto& st = *state_;
        auto addr = listen_address::parse(st.config.listen);
        if (!addr) return addr.error();
        const auto needed = st.config.max_connections + detail::reserved_descriptors;
        if (auto limit_ec = detail::ensure_descriptors(needed)) {
            if (limit_ec == errc::descriptor_limit)
                st.log->error("max_connections {} needs about {} open files; the hard limit is lower (ulimit -Hn): "
                              "lower max_connections or raise the limit", st.config.max_connections, needed);
            return limit_ec;
        }
        if (auto proxies_ec = st.admission.configure(st.config)) {
            st.log->error("trusted_proxies: an entry is not an address, a CIDR range or \"*\"");
            return proxies_ec;
        }
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

    template <class Predicate>
    std::shared_ptr<connection_type> find_first(Predicate matches) const {
        std::lock_guard lock(state_->registry_mutex);
        for (auto& [id, weak] : state_->registry)
            if (auto c = weak.lock(); c && matches(*c)) return c;
        return nullptr;
    }

    // Everything a connection coroutine needs, shared so that it outlives the server object.
    struct state {
        state(net::io_context& ctx, server_config cfg, scheme_options opts, logger l)
            : io(ctx), config(std::move(cfg)), options(std::move(opts)), acceptor(ctx),
              dedup(config.dedup_ttl), log(std::make_shared<const logger>(std::move(l))) {}

        error_code load_tls() {
            if (config.tls_context) {
                tls = config.tls_context;
                return config.tls_client_ca.empty() ? error_code{}
                                                    : tls::require_client_certificates_from(*tls, config.tls_client_ca);
            }
            auto ctx = context_from_files();
            if (!ctx) return ctx.error();
            tls = std::move(*ctx);
            return {};
        }
        result<std::shared_ptr<net::ssl::context>> context_from_files() const {
            auto ctx = tls::load_server_context(config.tls_cert, config.tls_key, config.tls_client_ca);
            if (!ctx) return ctx.error();
            return std::make_shared<net::ssl::context>(std::move(*ctx));
        }

        net::io_context& io;
        server_config config;
        scheme_options options;
        net::ip::tcp::acceptor acceptor;
        tcp_endpoint local;
        std::shared_ptr<net::ssl::context> tls;
        std::mutex tls_mutex;  // a certificate reload against TLS streams made on other threads
        detail::address_admission admission;
        session_handler handler;
        async_http_handler http_handler;
        std::function<std::string()> extra_metrics;
        detail::connection_set connections;
        std::atomic<bool> stopped{false};
        runtime_stats stats;
        policy::deduplicator dedup;
        room_index rooms;
        join_filter room_filter;
        mutable std::mutex registry_mutex;
        std::unordered_map<std::uint64_t, std::weak_ptr<connection_type>> registry;
        std::shared_ptr<const logger> log;

        connection_context context() { return {&config, &stats, &dedup, &rooms, log.get()}; }
    };
    using state_ptr = std::shared_ptr<state>;

    // Out of descriptors (EMFILE and kin), accepting again at once fails again at once: the loop
    // waits, longer each time up to a second, and logs one line per 10 s with the count.
    static awaitable<void> accept_loop(state_ptr st) {
        net::steady_timer backoff(st->acceptor.get_executor());
        auto pause = std::chrono::milliseconds(10);
        log::throttle failure_lines(std::chrono::seconds(10));
        while (!st->stopped) {
            auto strand = net::make_strand(st->io);
            auto [ec, socket] = co_await st->acceptor.async_accept(strand, net::as_tuple(net::use_awaitable));
            if (ec) {
                if (ec == net::error::operation_aborted || !st->acceptor.is_open()) co_return;
                st->stats.accept_failures++;
                if (std::uint64_t held = 0; failure_lines.allow(held))
                    st->log->warn("accept failed: {} ({} more failures since the last line)", ec.message(), held);
                if (detail::out_of_descriptors(ec)) {
                    backoff.expires_after(pause);
                    co_await backoff.async_wait(net::as_tuple(net::use_awaitable));
                    pause = std::min<std::chrono::milliseconds>(pause * 2, std::chrono::seconds(1));
                }
                continue;
            }
            pause = std::chrono::milliseconds(10);
            start_serving(st, strand, std::move(socket),
                          Family::is_websocket ? detail::connection_phase::http : detail::connection_phase::handshake);
            if (Family::is_websocket && st->connections.count(detail::connection_phase::http) > st->config.max_http_connections &&
                st->connections.evict_oldest(detail::connection_phase::http, std::chrono::steady_clock::duration::zero()))
                st->stats.evicted++;
        }
    }

    // Counts an accepted connection (a socket, or the server's end of an in-process pipe) and
    // runs it on its strand, cancellable through its ticket.
    template <class Accepted>
    static void start_serving(const state_ptr& st, const net::strand<net::io_context::executor_type>& strand,
                              Accepted accepted, detail::connection_phase phase) {
        st->stats.connections_total++;
        auto ticket = st->connections.add(strand, phase);
        auto slot = ticket->signal.slot();
        net::co_spawn(strand, serve(st, std::move(accepted), ticket),
                      net::bind_cancellation_slot(slot, detail::connection_done{ticket, st->log}));
    }

    // `ticket` keeps this connection counted (and cancellable) for as long as the coroutine runs.
    // This frame lives as long as the connection, so it holds only what the session needs;
    // accepting, upgrading and the handshake run in open_session's frame, gone once the session
    // is established (docs/benchmarks.md, memory per idle connection).
    // `accepted` is the socket, or the server's end of an in-process pipe.
    template <class Accepted>
    static awaitable<void> serve(state_ptr st, Accepted accepted, detail::connection_ticket ticket) {
        co_await net::this_coro::throw_if_cancelled(false);
        st->stats.connections_open++;
        auto conn = co_await open_session(st, std::move(accepted), ticket);
        if (conn) {
            keepalive_type::watch_control_frames(*conn);
            auto alive = std::make_shared<keepalive_type>(conn, ticket, keepalive_settings(*st), st->stats, st->log);
            alive->start();
            if (st->handler) co_await st->handler(*conn);
            alive->stop();
            const close_reason reason = alive->verdict() ? *alive->verdict() : close_reason{close_code::normal, ""};
            co_await conn->async_close(reason);  // named: ADR-0001 (GCC 12 and temporaries)
            st->rooms.leave_all(conn->id());
            std::lock_guard lock(st->registry_mutex);
            st->registry.erase(conn->id());
        }
        st->admission.release(ticket->id);
        st->stats.connections_open--;
    }

    // Transport, upgrade and handshake; the established connection, registered and in its
    // initial rooms, or null (the failure is counted and logged here).
    template <class Accepted>
    static awaitable<std::shared_ptr<connection_type>> open_session(state_ptr st, Accepted socket,
                                                                    detail::connection_ticket ticket) {
        const auto accepted = std::chrono::steady_clock::now();
        const auto deadline = accepted + st->config.handshake_timeout;
        std::optional<detail::upgraded<stream_type>> opened;
        if constexpr (InProcessFamily<Family>) {
            if (room_for_accepted_session(*st)) opened.emplace(detail::upgraded<stream_type>{std::move(socket), {}});
        } else {
            // Scoped: a moved-from tcp_stream still holds its state until destroyed.
            beast::tcp_stream stream(std::move(socket));  // named: see ADR-0001 (GCC 12 and temporaries)
            opened = co_await open_transport(st, std::move(stream), deadline, ticket);
        }
        if (!opened) co_return nullptr;
        auto established = co_await run_server_handshake(st, *opened, deadline);
        if (!established) {
            st->stats.handshake_failed(established.error().message());
            st->log->info("{} handshake with {} failed: {}", S::name, opened->stream.remote_endpoint(),
                          established.error().message());
            co_return nullptr;
        }
        st->stats.handshakes_ok++;
        st->stats.observe_handshake(std::chrono::steady_clock::now() - accepted);
        auto initial_rooms = std::move(established->rooms);
        const channel_options channel_opts{st->config.max_message_size, false};
        auto conn = std::make_shared<connection_type>(
            channel_type(std::move(opened->stream), std::move(*established), channel_opts), ticket->strand, ticket->id,
            st->context(), &st->room_filter);
        for (const auto& room : initial_rooms) conn->join(room);
        ticket->enter(detail::connection_phase::established);
        {
            std::lock_guard lock(st->registry_mutex);
            st->registry.emplace(conn->id(), conn);
        }
        if (st->stopped) conn->close({close_code::shutdown, "server shutdown"});
        co_return conn;
    }

    // The handshake in a frame of its own, so the handshake object (an ephemeral private key,
    // for some schemes) and the upgrade request are gone once it is done.
    static awaitable<result<established<cipher_of<S>>>> run_server_handshake(
        const state_ptr& st, detail::upgraded<stream_type>& opened, std::chrono::steady_clock::time_point deadline) {
        auto handshake = make_server_handshake(*st, opened.request);
        opened.request = {};
        auto remaining = std::max(deadline - std::chrono::steady_clock::now(),
                                  std::chrono::steady_clock::duration::zero());
        if constexpr (has_time_limit_hook<decltype(handshake)>)
            remaining = std::min<std::chrono::steady_clock::duration>(remaining, handshake.time_limit());
        co_return co_await run_handshake(opened.stream, handshake, remaining);
    }

    using keepalive_type = detail::keepalive<connection_type, Family::is_websocket>;
    static typename keepalive_type::settings keepalive_settings(const state& st) {
        typename keepalive_type::settings s{st.config.ping_interval, st.config.pong_timeout,
                                            st.config.write_timeout + std::chrono::seconds(1), std::nullopt};
        if constexpr (has_liveness_hook<S>)
            s.alive = S::liveness(st.options);
        return s;
    }

    // Schemes that look at the upgrade request (path parameters, query) take it here.
    static auto make_server_handshake(const state& st, const http_request& req) {
        if constexpr (has_request_handshake_hook<S>)
            return S::make_handshake(role::server, st.options, req);
        else
            return S::make_handshake(role::server, st.options);
    }

    // Room for one more session (a handshake about to start): under max_connections, or made by
    // closing the handshake that has waited longest, if it has waited min_handshake_wait.
    static bool room_for_session(state& st) {
        if (st.connections.sessions() < st.config.max_connections) return true;
        if (!st.connections.evict_oldest(detail::connection_phase::handshake, st.config.min_handshake_wait)) return false;
        st.stats.evicted++;
        return true;
    }

    // The same for a connection counted as a session since accept (TCP, in-process): room is
    // needed for one more than the others. Refusals are counted and logged here.
    static bool room_for_accepted_session(state& st) {
        if (st.connections.sessions() <= st.config.max_connections || room_for_session(st)) return true;
        st.stats.refused_max_connections++;
        st.log->warn("refused a connection: max_connections ({}) reached", st.config.max_connections);
        return false;
    }

    // Upgrade admission, in order: the client address's handshake rate and share (429),
    // max_connections (503), Origin (403), the scheme's admit(). An admitted upgrade counts as
    // a session from here on. `client` is set to the client address (behind trusted proxies,
    // the one they report); it outlives the hook (the caller's frame).
    static detail::admission_hook make_admission(const state_ptr& st, const detail::connection_ticket& ticket,
                                                 policy::client_address peer, policy::client_address* client) {
        return [st, ticket, peer, client](const http_request& req) -> std::optional<http_response> {
            *client = st->admission.client_of(req, peer);
            if (auto refusal = st->admission.admit(req, client->address, ticket->id, st->stats, *st->log)) return refusal;
            auto refused = [&](http_response r) {
                st->admission.release(ticket->id);
                return std::optional<http_response>(std::move(r));
            };
            if (!room_for_session(*st)) {
                st->stats.refused_max_connections++;
                return refused(make_response(req, http::status::service_unavailable, "server is at max_connections\n"));
            }
            if (!policy::origin_allowed(req[http::field::origin], st->config.allowed_origins)) {
                st->stats.refused_origin++;
                return refused(make_response(req, http::status::forbidden, "origin not allowed\n"));
            }
            if constexpr (has_admit_hook<S>) {
                auto refusal = S::admit(req, st->options);
                if (refusal) {
                    st->stats.refused_admission++;
                    return refused(std::move(*refusal));
                }
            }
            ticket->enter(detail::connection_phase::handshake);
            return std::nullopt;
        };
    }

    // Plain HTTP: /metrics, then the app's routes.
    static async_http_handler make_http_handler(const state_ptr& st) {
        return [st](const http_request& req) -> awaitable<std::optional<http_response>> {
            if (!st->config.metrics_path.empty() && target_path(req.target()) == st->config.metrics_path) {
                auto text = st->stats.render();
                if (st->extra_metrics) text += st->extra_metrics();
                co_return make_response(req, http::status::ok, std::move(text),
                                                "text/plain; version=0.0.4; charset=utf-8");
            }
            if (st->http_handler) co_return co_await st->http_handler(req);
            co_return std::nullopt;
        };
    }

    // TCP: the socket is the transport. WebSocket: TLS, then HTTP until an upgrade is admitted.
    static awaitable<std::optional<detail::upgraded<stream_type>>> open_transport(
        state_ptr st, beast::tcp_stream stream, std::chrono::steady_clock::time_point deadline,
        detail::connection_ticket ticket) {
        const auto wire_limit = wire_limit_for<S>(st->config.max_message_size);
        const auto peer = co_await st->admission.transport_peer(stream, deadline, st->stats, *st->log);
        if (!peer) co_return std::nullopt;
        // Where the client may not be the TCP peer, the stream says who it is (logs, remote_endpoint()).
        const bool told = st->admission.names_clients();
        if constexpr (!Family::is_websocket) {
            if (!room_for_accepted_session(*st)) co_return std::nullopt;
            transport::tcp_options opts;
            opts.max_message_size = wire_limit;
            detail::upgraded<stream_type> opened{stream_type(std::move(stream), opts), {}};
            if (told) opened.stream.set_remote_endpoint(policy::to_string(*peer));
            co_return opened;
        } else {
            policy::client_address client = *peer;
            detail::http_front_options front{st->config.ws_path, wire_limit, deadline, S::name,
                                             make_admission(st, ticket, *peer, &client),
                                             st->config.http_keepalive_timeout, st->config.http_max_requests,
                                             [ticket] { ticket->waiting_again(); },
                                             [&client] { return policy::to_string(client); }};
            const auto http_handler = make_http_handler(st);
            front.bearer_subprotocol = st->config.bearer_subprotocol;
            transport::websocket_options ws_opts;
            ws_opts.max_message_size = wire_limit;
            if (st->config.bearer_subprotocol) ws_opts.subprotocol = sealed_subprotocol;
            ws_opts.upgrade_timeout = st->config.handshake_timeout;
            if constexpr (Family::uses_tls) {
                std::unique_lock tls_lock(st->tls_mutex);
                beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(stream), *st->tls);
                tls_lock.unlock();
                beast::get_lowest_layer(tls_stream).expires_at(deadline);
                auto [ec] = co_await tls_stream.async_handshake(net::ssl::stream_base::server,
                                                                net::as_tuple(net::use_awaitable));
                if (ec) {
                    st->log->info("TLS handshake with {} failed: {}", policy::to_string(*peer), ec.message());
                    co_return std::nullopt;
                }
                auto opened = co_await detail::http_front(std::move(tls_stream), front, ws_opts, http_handler, *st->log);
                if (opened && told) opened->stream.set_remote_endpoint(policy::to_string(client));
                co_return opened;
            } else {
                auto opened = co_await detail::http_front(std::move(stream), front, ws_opts, http_handler, *st->log);
                if (opened && told) opened->stream.set_remote_endpoint(policy::to_string(client));
                co_return opened;
            }
        }
    }

    state_ptr state_;
};

}  // namespace sealed
