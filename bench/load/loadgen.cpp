// sealed_loadgen: drives any scheme's server over real loopback sockets and prints one JSON
// object with what it measured. The same binary drives sealed and the reference peers, so the
// ratio between them is the result (bench/run).
//   sealed_loadgen --scheme ecdh_gcm --url ws://127.0.0.1:9091/stream --mode echo
//                  --connections 100 --size 1024 --duration 5 --server-pid 1234
// Modes: echo (round trips of --size bytes per connection), handshake (each of --connections
// workers connects, handshakes and closes in a loop), idle (opens --connections sessions and
// holds them; the server's RSS before and during tells the memory per connection). For libp2p,
// echo is pubsub through the gateway: one publisher, --connections subscribers.
// What a session and a round trip are for each scheme is in its driver:
//   session_driver.hpp    ecdh_gcm, hmac_x25519, pnet (--master-secret-file), plaintext (ws://)
//   http_driver.hpp       envelope, and plaintext over http:// (the envelope's ceiling)
//   signaling_driver.hpp  signaling (a PeerJS broker)
//   libp2p_driver.hpp     libp2p (a libp2p gateway: pnet, noise, yamux, identify; echo is pubsub)
#include "http_driver.hpp"
#include "libp2p_driver.hpp"
#include "session_driver.hpp"
#include "signaling_driver.hpp"

#include <sealed/log.hpp>

#include <boost/json.hpp>
#include <CLI/CLI.hpp>
#include <sys/resource.h>

#include <iostream>

namespace {

using namespace loadgen;
using sealed::net::co_spawn;
using sealed::net::detached;

template <class Driver>
boost::json::object run(const settings& s, Driver& d, sealed::net::io_context& io) {
    // Untimed preparation (the envelope's keys and sealed requests), then the measured part.
    sealed::error_code prepared;
    co_spawn(io, [&]() -> sealed::awaitable<void> { prepared = co_await d.prepare(); }, detached);
    io.run();
    io.restart();
    const auto before = read_usage(s.server_pid);
    server_usage during;
    const auto started = clock_type::now();
    const auto until = started + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s.duration));
    if (prepared) {
        d.measured().error(prepared);
    } else if (s.mode == "echo") {
        if constexpr (std::is_same_v<Driver, libp2p_driver>) co_spawn(io, d.pubsub(until), detached);
        else for (std::size_t i = 0; i < s.connections; ++i) co_spawn(io, d.echo_worker(until), detached);
    } else if (s.mode == "handshake") {
        for (std::size_t i = 0; i < s.connections; ++i) co_spawn(io, d.handshake_worker(until), detached);
    } else {
        co_spawn(io, d.idle(during), detached);
    }
    io.run();
    const double elapsed = std::chrono::duration<double>(clock_type::now() - started).count();
    const auto after = read_usage(s.server_pid);
    auto& t = d.measured();

    boost::json::object out;
    out["scheme"] = s.scheme;
    out["mode"] = s.mode;
    out["connections"] = s.connections;
    out["size"] = s.size;
    out["duration_s"] = elapsed;
    out["handshakes"] = t.handshakes;
    out["handshakes_per_s"] = s.mode == "handshake" ? double(t.handshakes) / elapsed : 0.0;
    out["messages"] = t.messages;
    out["messages_per_s"] = double(t.messages) / elapsed;
    out["mb_per_s"] = double(t.messages) * double(s.size) / elapsed / 1e6;
    out["latency_us"] = {{"p50", percentile(t.latency_us, 0.50)},
                         {"p99", percentile(t.latency_us, 0.99)},
                         {"p999", percentile(t.latency_us, 0.999)}};
    out["errors"] = t.errors;
    if (t.errors) out["first_error"] = t.first_error;
    out["server_cpu_s"] = after.cpu_s - before.cpu_s;
    out["server_peak_rss_kb"] = after.peak_rss_kb;
    out["server_rss_kb"] = s.mode == "idle" ? during.rss_kb : after.rss_kb;
    out["server_rss_before_kb"] = before.rss_kb;
    if constexpr (std::is_same_v<Driver, libp2p_driver>) {
        out["published"] = d.published();
        out["signed_during_run"] = d.signed_during_run();
    }
    if constexpr (std::is_same_v<Driver, http_driver>) {
        out["presealed_requests"] = d.presealed();
        out["requests_sealed_during_run"] = d.sealed_in_run();
    }
    return out;
}

template <class Driver, class... Args>
boost::json::object run_with(const settings& s, Args&&... args) {
    sealed::net::io_context io(1);
    Driver d(io, s, std::forward<Args>(args)...);
    return run(s, d, io);
}

void raise_fd_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"sealed load generator: drives a scheme's server over loopback, prints JSON"};
    settings s;
    cli.add_option("--scheme", s.scheme)
        ->check(CLI::IsMember({"ecdh_gcm", "hmac_x25519", "pnet", "libp2p", "envelope", "signaling", "plaintext"}))
        ->capture_default_str();
    cli.add_option("--url", s.url, "ws://HOST:PORT/PATH (envelope, and plaintext over HTTP: http://…)")->required();
    cli.add_option("--mode", s.mode)->check(CLI::IsMember({"echo", "handshake", "idle"}))->capture_default_str();
    cli.add_option("--connections", s.connections)->check(CLI::Range(1, 100000))->capture_default_str();
    cli.add_option("--size", s.size, "bytes per message")->check(CLI::Range(1, 16 * 1024 * 1024))->capture_default_str();
    cli.add_option("--duration", s.duration, "seconds")->check(CLI::Range(0.1, 3600.0))->capture_default_str();
    cli.add_option("--server-pid", s.server_pid, "read the server's CPU and RSS from /proc");
    cli.add_option("--master-secret-file", s.master_secret_file, "pnet: the gateways' master secret (hex)");
    CLI11_PARSE(cli, argc, argv);
    auto target = sealed::url::parse(s.url);
    if (!target) {
        std::cerr << "--url '" << s.url << "': not scheme://host:port/path\n";
        return 2;
    }
    const bool over_http = target->scheme == "http";
    if ((s.scheme == "envelope") != over_http && !(s.scheme == "plaintext" && over_http)) {
        std::cerr << "--url: the envelope is driven over http://, " << s.scheme << " over ws://\n";
        return 2;
    }
    if (s.scheme == "pnet" || s.scheme == "libp2p") {
        auto key = pnet_key_of(s);
        if (!key) {
            std::cerr << "--master-secret-file '" << s.master_secret_file << "': " << key.error().message() << "\n";
            return 2;
        }
        s.pnet_key = std::move(*key);
        if (s.scheme == "pnet") s.size = sealed::pnet::ping_size;  // what a round trip carries, whatever --size said
    }
    raise_fd_limit();
    sealed::log::set_level(spdlog::level::err);
    using namespace sealed;
    auto out = over_http                   ? run_with<http_driver>(s, *target, s.scheme == "envelope")
               : s.scheme == "signaling"   ? run_with<signaling_driver>(s, *target)
               : s.scheme == "ecdh_gcm"    ? run_with<driver<ecdh_gcm::scheme>>(s)
               : s.scheme == "hmac_x25519" ? run_with<driver<hmac_x25519::scheme>>(s)
               : s.scheme == "pnet"        ? run_with<driver<pnet::scheme>>(s)
               : s.scheme == "libp2p"      ? run_with<libp2p_driver>(s)
                                           : run_with<driver<plaintext::scheme>>(s);
    std::cout << boost::json::serialize(out) << std::endl;
    return 0;
}
