// sealed_loadgen: drives any scheme's server over real loopback sockets and prints one JSON
// object with what it measured. The same binary drives sealed and the reference peers, so the
// ratio between them is the result (bench/run).
//   sealed_loadgen --scheme ecdh_gcm --url ws://127.0.0.1:9091/stream --mode echo
//                  --connections 100 --size 1024 --duration 5 --server-pid 1234
// Modes: echo (round trips of --size bytes per connection), handshake (each of --connections
// workers connects, handshakes and closes in a loop), idle (opens --connections sessions and
// holds them; the server's RSS before and during tells the memory per connection).
// pnet (--master-secret-file, the URL's last segment a DID): a session is the pnet handshake plus
// multistream-select of /ipfs/ping/1.0.0, and a round trip is one 32-byte ping (--size is 32).
#include <sealed/client.hpp>
#include <sealed/log.hpp>
#include <sealed/ecdh_gcm/scheme.hpp>
#include <sealed/hmac_x25519/scheme.hpp>
#include <sealed/plaintext/scheme.hpp>
#include <sealed/pnet/swarm_client.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json.hpp>
#include <CLI/CLI.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

namespace {

using namespace sealed;
using clock_type = std::chrono::steady_clock;

struct settings {
    std::string scheme = "ecdh_gcm", url, mode = "echo", master_secret_file;
    pnet::psk pnet_key;  // from master_secret_file and the URL's DID, checked in main
    std::size_t connections = 1, size = 1024;
    double duration = 5;
    int server_pid = 0;
};

struct totals {
    std::uint64_t handshakes = 0, messages = 0, errors = 0;
    std::vector<std::uint32_t> latency_us;
    std::string first_error;
    void error(const error_code& ec) {
        if (errors++ == 0) first_error = ec.message();
    }
};

// The server's CPU seconds and memory, from /proc (0 without --server-pid).
struct server_usage {
    double cpu_s = 0;
    long rss_kb = 0, peak_rss_kb = 0;
};
server_usage read_usage(int pid) {
    server_usage u;
    if (pid <= 0) return u;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    if (auto close = text.rfind(')'); close != std::string::npos) {
        std::istringstream rest(text.substr(close + 2));
        std::string field;
        unsigned long utime = 0, stime = 0;
        for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15: utime, stime
            if (i == 14) utime = std::stoul(field);
            if (i == 15) stime = std::stoul(field);
        }
        u.cpu_s = double(utime + stime) / double(sysconf(_SC_CLK_TCK));
    }
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) u.rss_kb = std::stol(line.substr(6));
        if (line.rfind("VmHWM:", 0) == 0) u.peak_rss_kb = std::stol(line.substr(6));
    }
    return u;
}

// What one round trip sends: raw bytes, for ECDH-GCM an `echo` inner event of that size, for
// HMAC-X25519 an `echo` envelope (its id is renewed per message: the server deduplicates ids).
template <class S>
bytes request_of(std::size_t size) {
    if constexpr (std::is_same_v<S, hmac_x25519::scheme>) {
        auto text = hmac_x25519::wire::serialize(hmac_x25519::wire::make_envelope(
            "echo", "loadgen", "", boost::json::object{{"data", ""}}));
        const auto filler = size > text.size() ? size - text.size() : 1;
        text.insert(text.find(R"("data":"")") + 8, std::string(filler, 'x'));
        return bytes(text.begin(), text.end());
    } else if constexpr (std::is_same_v<S, ecdh_gcm::scheme>) {
        const std::string head = R"({"event":"echo","data":")", tail = R"("})";
        const std::size_t filler = size > head.size() + tail.size() ? size - head.size() - tail.size() : 1;
        const std::string text = head + std::string(filler, 'x') + tail;
        return bytes(text.begin(), text.end());
    } else {
        return bytes(size, 'x');
    }
}

// The tenant's PSK for pnet: SHA-256(master secret ‖ the DID that ends the URL), as the gateways
// derive it.
result<pnet::psk> pnet_key_of(const settings& s) {
    std::ifstream in(s.master_secret_file);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    auto secret = pnet::parse_master_secret(text);
    if (!secret) return secret.error();
    return pnet::tenant_psk(*secret, s.url.substr(s.url.rfind('/') + 1));
}

template <class S>
typename S::options options_for([[maybe_unused]] const settings& s) {
    typename S::options o{};
    if constexpr (std::is_same_v<S, pnet::scheme>) o.key = s.pnet_key;
    if constexpr (std::is_same_v<S, ecdh_gcm::scheme>) o.token = "loadgen";
    if constexpr (std::is_same_v<S, hmac_x25519::scheme>) {
        // One node identity for the whole run, as a real node has.
        static const auto identity =
            std::make_shared<hmac_x25519::node_identity>(hmac_x25519::node_identity::generate("loadgen"));
        o.identity = identity;
    }
    return o;
}

// A fresh message id for HMAC-X25519 requests: the counter in hex over the uuid's first digits
// (an envelope starts {"id":"<uuid>", so the id is at a fixed offset).
template <class S>
void renew_id(bytes& request, std::uint64_t counter) {
    if constexpr (std::is_same_v<S, hmac_x25519::scheme>) {
        static constexpr char hex[] = "0123456789abcdef";
        for (std::size_t i = 0; i < 16; ++i) request[7 + i] = static_cast<byte>(hex[(counter >> (4 * i)) & 0xF]);
    }
}

template <class S>
class driver {
public:
    using client_type = client<ws, S>;
    static constexpr bool is_pnet = std::is_same_v<S, pnet::scheme>;
    // What a worker holds: the channel, or for pnet the swarm dialer around it.
    using channel_type = std::conditional_t<is_pnet, pnet::swarm_client<ws>, typename client_type::channel_type>;

    driver(net::io_context& io, const settings& s) : io_(io), settings_(s), request_(request_of<S>(s.size)) {
        cfg_.ping_interval = std::chrono::hours(1);  // no keepalive traffic in the measurement
    }

    awaitable<result<channel_type>> connect() {
        const auto options = options_for<S>(settings_);
        auto channel = co_await client_type::connect(io_.get_executor(), std::string_view(settings_.url), cfg_, options);
        if constexpr (is_pnet) {
            if (!channel) co_return channel.error();
            pnet::swarm_client<ws> swarm(std::move(*channel));
            if (auto ec = co_await swarm.select(pnet::ping_protocol)) co_return ec;
            co_return std::move(swarm);
        } else {
            co_return std::move(channel);
        }
    }

    static auto& transport_of(channel_type& c) {
        if constexpr (is_pnet) return c.channel();
        else return c;
    }

    // Round trips until `until`; a reply that never comes is cut off shortly after it.
    awaitable<void> echo_worker(clock_type::time_point until) {
        using namespace net::experimental::awaitable_operators;
        auto channel = co_await connect();
        if (!channel) co_return totals_.error(channel.error());
        totals_.handshakes++;
        net::steady_timer cutoff(io_, until + std::chrono::seconds(2));
        auto outcome = co_await (round_trips(*channel, until) || cutoff.async_wait(net::as_tuple(net::use_awaitable)));
        if (outcome.index() == 1) totals_.error(errc::timeout);
    }

    awaitable<void> round_trips(channel_type& channel, clock_type::time_point until) {
        message_buffer reply;
        while (clock_type::now() < until) {
            const auto sent = clock_type::now();
            if constexpr (is_pnet) {
                if (auto ec = co_await channel.ping()) co_return totals_.error(ec);
            } else {
                renew_id<S>(request_, ++sequence_);
                if (auto ec = co_await channel.async_send(request_, message_kind::text)) co_return totals_.error(ec);
                if (auto ec = co_await channel.async_receive(reply)) co_return totals_.error(ec);
            }
            record(sent);
            totals_.messages++;
        }
        const close_reason bye{close_code::normal, "done"};
        co_await transport_of(channel).async_close(bye);
    }

    awaitable<void> handshake_worker(clock_type::time_point until) {
        while (clock_type::now() < until) {
            const auto started = clock_type::now();
            auto channel = co_await connect();
            if (!channel) {
                totals_.error(channel.error());
                continue;
            }
            record(started);
            totals_.handshakes++;
            const close_reason bye{close_code::normal, "done"};
            co_await transport_of(*channel).async_close(bye);
        }
    }

    // Opens every session (a bounded number of connects at a time), holds them, then closes.
    awaitable<void> idle(std::vector<channel_type>& open, server_usage& during) {
        std::size_t next = 0;
        auto opener = [&]() -> awaitable<void> {
            while (next < settings_.connections) {
                ++next;
                auto channel = co_await connect();
                if (!channel) {
                    totals_.error(channel.error());
                    continue;
                }
                totals_.handshakes++;
                open.push_back(std::move(*channel));
            }
        };
        for (int i = 0; i < 64; ++i) net::co_spawn(io_, opener(), net::detached);
        net::steady_timer timer(io_);
        while (totals_.handshakes + totals_.errors < settings_.connections) {
            timer.expires_after(std::chrono::milliseconds(20));
            co_await timer.async_wait(net::as_tuple(net::use_awaitable));
        }
        timer.expires_after(std::chrono::seconds(2));
        co_await timer.async_wait(net::as_tuple(net::use_awaitable));
        during = read_usage(settings_.server_pid);
        const close_reason bye{close_code::normal, "done"};
        for (auto& channel : open) co_await transport_of(channel).async_close(bye);  // ends their keepalive timers too
    }

    totals& measured() { return totals_; }

private:
    void record(clock_type::time_point since) {
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - since).count();
        totals_.latency_us.push_back(static_cast<std::uint32_t>(us));
    }

    net::io_context& io_;
    const settings& settings_;
    client_config cfg_;
    bytes request_;
    std::uint64_t sequence_ = 0;
    totals totals_;
};

std::uint32_t percentile(std::vector<std::uint32_t>& v, double p) {
    if (v.empty()) return 0;
    const auto at = static_cast<std::size_t>(p * double(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(at), v.end());
    return v[at];
}

template <class S>
boost::json::object run(const settings& s) {
    net::io_context io(1);
    driver<S> d(io, s);
    const auto before = read_usage(s.server_pid);
    server_usage during;
    std::vector<typename driver<S>::channel_type> idle_sessions;
    const auto started = clock_type::now();
    const auto until = started + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s.duration));
    if (s.mode == "echo") {
        for (std::size_t i = 0; i < s.connections; ++i) net::co_spawn(io, d.echo_worker(until), net::detached);
    } else if (s.mode == "handshake") {
        for (std::size_t i = 0; i < s.connections; ++i) net::co_spawn(io, d.handshake_worker(until), net::detached);
    } else {
        net::co_spawn(io, d.idle(idle_sessions, during), net::detached);
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
    return out;
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
    cli.add_option("--scheme", s.scheme)->check(CLI::IsMember({"ecdh_gcm", "hmac_x25519", "pnet", "plaintext"}))->capture_default_str();
    cli.add_option("--url", s.url, "ws://HOST:PORT/PATH")->required();
    cli.add_option("--mode", s.mode)->check(CLI::IsMember({"echo", "handshake", "idle"}))->capture_default_str();
    cli.add_option("--connections", s.connections)->check(CLI::Range(1, 100000))->capture_default_str();
    cli.add_option("--size", s.size, "bytes per message")->check(CLI::Range(1, 16 * 1024 * 1024))->capture_default_str();
    cli.add_option("--duration", s.duration, "seconds")->check(CLI::Range(0.1, 3600.0))->capture_default_str();
    cli.add_option("--server-pid", s.server_pid, "read the server's CPU and RSS from /proc");
    cli.add_option("--master-secret-file", s.master_secret_file, "pnet: the gateways' master secret (hex)");
    CLI11_PARSE(cli, argc, argv);
    if (s.scheme == "pnet") {
        auto key = pnet_key_of(s);
        if (!key) {
            std::cerr << "--master-secret-file '" << s.master_secret_file << "': " << key.error().message() << "\n";
            return 2;
        }
        s.pnet_key = std::move(*key);
        s.size = pnet::ping_size;  // what a round trip carries, whatever --size said
    }
    raise_fd_limit();
    sealed::log::set_level(spdlog::level::err);
    auto out = s.scheme == "ecdh_gcm"      ? run<ecdh_gcm::scheme>(s)
               : s.scheme == "hmac_x25519" ? run<hmac_x25519::scheme>(s)
               : s.scheme == "pnet"        ? run<pnet::scheme>(s)
                                           : run<plaintext::scheme>(s);
    std::cout << boost::json::serialize(out) << std::endl;
    return 0;
}
