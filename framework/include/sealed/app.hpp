// What every example server shares: the common command line (--listen, --threads,
// --log-level, TLS), printing "listening on HOST:PORT" once accepting, running N threads, and
// stopping gracefully on SIGINT/SIGTERM with exit code 0.
#pragma once

#include <sealed/cluster/bus.hpp>
#include <sealed/cluster/bus_seal.hpp>
#include <sealed/cluster/redis.hpp>
#include <sealed/config.hpp>
#include <sealed/detail/descriptors.hpp>
#include <sealed/detail/tls_reloader.hpp>
#include <sealed/log.hpp>
#include <sealed/tls.hpp>
#include <sealed/transport/websocket.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <thread>
#include <vector>

namespace sealed::app {

struct common_options {
    std::string log_level = "info";
    bool tls_self_signed = false;  // development only: a throwaway certificate made at start
};

inline void add_common_options(CLI::App& cli, server_config& cfg, common_options& common) {
    cli.add_option("--listen", cfg.listen, "HOST:PORT to listen on (port 0 picks a free port)")
        ->capture_default_str();
    cli.add_option("--threads", cfg.threads, "I/O threads")->capture_default_str()->check(CLI::Range(1u, 256u));
    cli.add_option("--log-level", common.log_level, "trace|debug|info|warn|error|critical|off")
        ->capture_default_str();
    cli.add_option("--max-connections", cfg.max_connections, "connections at once, handshakes included")
        ->capture_default_str();
    cli.add_option("--max-connections-per-ip", cfg.max_connections_per_ip,
                   "WebSocket upgrades one client address may hold at once; past it HTTP 429 with Retry-After "
                   "(0: no limit; the client address is the one --trusted-proxy/--proxy-protocol name)")
        ->capture_default_str();
    cli.add_option("--handshake-burst-per-ip", cfg.handshake_rate_per_ip.burst,
                   "WebSocket upgrades one client address may begin at once; past it HTTP 429 with Retry-After "
                   "(0: no limit)")
        ->capture_default_str();
    cli.add_option("--handshakes-per-second-per-ip", cfg.handshake_rate_per_ip.refill_per_second,
                   "sustained upgrades per second per client address (0: no limit)")
        ->capture_default_str();
    cli.add_option("--trusted-proxy", cfg.trusted_proxies,
                   "reverse proxies (CIDR ranges or addresses, repeatable; \"*\": any) whose Forwarded / "
                   "X-Forwarded-For name the client; from anyone else those headers are ignored");
    cli.add_flag("--proxy-protocol", cfg.proxy_protocol,
                 "every connection starts with a PROXY protocol v1/v2 header (HAProxy send-proxy[-v2]) naming "
                 "the client; others are closed (with --trusted-proxy, only those addresses may connect)");
    cli.add_option("--max-message-size", cfg.max_message_size, "largest message in bytes")->capture_default_str();
    cli.add_option("--rate-limit-burst", cfg.rate_limit.burst, "messages a connection may send at once (0: no limit)")
        ->capture_default_str();
    cli.add_option("--rate-limit-per-second", cfg.rate_limit.refill_per_second,
                   "sustained messages per second per connection (0: no limit)")
        ->capture_default_str();
    cli.add_option("--send-queue-messages", cfg.send_queue_limit, "messages queued to one slow reader at most")
        ->capture_default_str();
    cli.add_option("--send-queue-bytes", cfg.send_queue_bytes, "bytes queued to one slow reader at most")
        ->capture_default_str();
    const std::map<std::string, send_queue_overflow> overflow{{"close", send_queue_overflow::close},
                                                              {"drop-oldest", send_queue_overflow::drop_oldest}};
    cli.add_option("--send-queue-overflow", cfg.send_overflow,
                   "past a send queue bound: close (1008) or drop-oldest (lossy streams)")
        ->transform(CLI::CheckedTransformer(overflow, CLI::ignore_case).description(""))
        ->type_name("close|drop-oldest")
        ->default_str("close");
    cli.add_flag("--bearer-subprotocol", cfg.bearer_subprotocol,
                 "browsers may send their token as the subprotocol sealed.bearer.<token> beside sealed.v1 (answered "
                 "sealed.v1; the scheme sees Authorization: Bearer)");
    cli.add_option("--tls-cert", cfg.tls_cert,
                   "PEM certificate chain (serves wss; read again on SIGHUP and when it or the key changes: new "
                   "handshakes get the new pair, established connections keep theirs, a bad pair is logged and the "
                   "old one kept)");
    cli.add_option("--tls-key", cfg.tls_key, "PEM private key");
    cli.add_option("--tls-client-ca", cfg.tls_client_ca,
                   "PEM CA bundle: clients must present a certificate it signed (mutual TLS; reloaded with the "
                   "certificate)");
    cli.add_flag("--tls-self-signed", common.tls_self_signed, "serve wss with a throwaway certificate (development)");
}

// Applies the log level and the TLS choice; false (with a message) when they are unusable.
inline bool apply_common_options(server_config& cfg, const common_options& common) {
    if (!log::set_level(common.log_level)) {
        std::cerr << "unknown --log-level " << common.log_level << "\n";
        return false;
    }
    if (common.tls_self_signed) {
        auto pair = tls::make_self_signed("localhost");
        auto ctx = tls::make_server_context_from_pem(pair.cert_pem, pair.key_pem);
        if (!ctx) return false;
        cfg.tls_context = std::make_shared<net::ssl::context>(std::move(*ctx));
    }
    if (cfg.tls_cert.empty() != cfg.tls_key.empty()) {
        std::cerr << "--tls-cert and --tls-key go together\n";
        return false;
    }
    return true;
}

// For a server whose default max_connections is large (peer_broker's 6 000): when the flag was
// not given and the hard open-file limit cannot hold the default, serve what it holds and say
// so. A value the operator chose is left for start() to refuse.
inline void fit_default_max_connections(const CLI::App& cli, server_config& cfg) {
    if (cli.count("--max-connections") != 0) return;
    const auto holds = detail::connections_the_hard_limit_holds();
    if (cfg.max_connections <= holds) return;
    log::get("app").warn("max_connections lowered from {} to {}: the hard open-file limit (ulimit -Hn) holds no more",
                          cfg.max_connections, holds);
    cfg.max_connections = holds;
}

// --redis URL and what goes with it, the same on every binary that takes --redis.
struct redis_options {
    std::string url;
    std::string tls_ca, tls_cert, tls_key;  // for rediss:// URLs
    std::string bus_key;                    // the sealed bus, where the binary has a bus
};

inline void add_redis_options(CLI::App& cli, redis_options& o, const std::string& what) {
    cli.add_option("--redis", o.url,
                   "redis[s]://[[user]:password@]host[:port][/db] or "
                   "redis[s]+sentinel://[[user]:password@]host[:port][,host[:port]...]/primary[/db]: " + what);
    cli.add_option("--redis-tls-ca", o.tls_ca, "rediss://: CA certificates (PEM) that Redis's certificate must chain to "
                                               "(default: the system's trust store)");
    cli.add_option("--redis-tls-cert", o.tls_cert, "rediss://: client certificate (PEM) for Redis's tls-auth-clients");
    cli.add_option("--redis-tls-key", o.tls_key, "rediss://: the client certificate's private key (PEM)");
}

inline void add_bus_key_option(CLI::App& cli, redis_options& o) {
    cli.add_option("--bus-key", o.bus_key,
                   "seal the Redis bus with the keys in FILE (lines '<id> <base64 32 bytes>', the first seals); "
                   "IGNIS nodes cannot join a sealed bus (docs/cluster.md)");
}

// A client that connects in the background (the server serves its own clients meanwhile, and
// Redis's state shows in /metrics), or nullptr after printing why the options are unusable
// (the caller exits 2).
inline std::shared_ptr<redis::client> start_redis(net::io_context& io, const redis_options& o) {
    std::string why;
    auto redis_cfg = redis::parse_url(o.url, &why);
    if (!redis_cfg) {
        std::cerr << "--redis " << o.url << ": " << why << "\n";
        return nullptr;
    }
    const bool tls_flags = !o.tls_ca.empty() || !o.tls_cert.empty() || !o.tls_key.empty();
    if (tls_flags && !redis_cfg->tls.enabled) {
        std::cerr << "--redis-tls-ca/-cert/-key need a rediss:// URL\n";
        return nullptr;
    }
    redis_cfg->tls.ca_file = o.tls_ca;
    redis_cfg->tls.cert_file = o.tls_cert;
    redis_cfg->tls.key_file = o.tls_key;
    if (redis_cfg->tls.enabled) {
        // Files that do not load are a start-up error, not a reconnect loop that never ends.
        if (redis::check_tls_files(redis_cfg->tls, why)) {
            std::cerr << "--redis " << o.url << ": " << why << "\n";
            return nullptr;
        }
    }
    auto client = redis::make_client(io.get_executor(), *redis_cfg);
    client->start();
    return client;
}

// The bus the options ask for: in-process without --redis, else over Redis, sealed with
// --bus-key. nullptr after printing why not (the caller exits 2).
inline std::shared_ptr<cluster::bus> make_bus(net::io_context& io, const redis_options& o, const std::string& server_id) {
    if (o.url.empty()) {
        if (!o.bus_key.empty()) {
            std::cerr << "--bus-key needs --redis\n";
            return nullptr;
        }
        return cluster::make_memory_bus(nullptr, server_id);
    }
    cluster::redis_bus_options bus_opts;
    bus_opts.server_id = server_id;
    if (!o.bus_key.empty()) {
        std::string why;
        auto keys = cluster::bus_keyring::load(o.bus_key, &why);
        if (!keys) {
            std::cerr << "--bus-key " << o.bus_key << ": " << why << "\n";
            return nullptr;
        }
        bus_opts.keys = std::make_shared<const cluster::bus_keyring>(std::move(*keys));
    }
    auto redis = start_redis(io, o);
    if (!redis) return nullptr;
    return cluster::make_redis_bus(std::move(redis), std::move(bus_opts));
}

inline bool wants_tls(const server_config& cfg) { return cfg.tls_context || !cfg.tls_cert.empty(); }

// Starts `srv`, announces the endpoint on stdout, runs until SIGINT/SIGTERM, then stops it
// (and calls `also_stop`, for what the app runs beside the server: its managed clients). A
// certificate given as files is reloaded on SIGHUP and when the files change.
template <class Server>
int run(net::io_context& io, Server& srv, unsigned threads, std::function<void()> also_stop = {}) {
    // Signals are caught before the endpoint is announced, so a supervisor that signals as soon
    // as it reads the line gets a graceful stop.
    net::signal_set signals(io, SIGINT, SIGTERM);
    auto bound = srv.start();
    if (!bound) {
        std::cerr << "cannot listen on " << srv.config().listen << ": " << bound.error().message() << "\n";
        return 1;
    }
    std::printf("listening on %s\n", transport::to_string(*bound).c_str());
    std::fflush(stdout);
    // --tls-cert/--tls-key renewed in place: SIGHUP or a change to the files.
    detail::tls_reloader<Server> certificates(io, srv);

    // On a signal: stop the server (close 1004→1001 to everyone), then poll until every
    // connection has ended or stop_timeout passed, then stop the io_context. The poller lives in
    // this frame, which outlives io.run(): no handler owns itself.
    net::steady_timer stop_timer(io);
    std::chrono::steady_clock::time_point stop_started;
    std::function<void(error_code)> poll_until_stopped = [&](error_code) {
        if (srv.active_connections() == 0 ||
            std::chrono::steady_clock::now() - stop_started > srv.config().stop_timeout) {
            io.stop();
            return;
        }
        stop_timer.expires_after(std::chrono::milliseconds(20));
        stop_timer.async_wait(poll_until_stopped);
    };
    signals.async_wait([&](const error_code& ec, int) {
        if (ec) return;
        log::get("app").info("signal received, stopping");
        srv.stop();
        if (also_stop) also_stop();
        stop_started = std::chrono::steady_clock::now();
        poll_until_stopped({});
    });

    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : pool) t.join();
    return 0;
}

}  // namespace sealed::app
