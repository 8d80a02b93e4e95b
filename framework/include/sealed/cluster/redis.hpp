// An Asio-native Redis client for scale-out (DESIGN.md §3): hiredis's reader and formatter only,
// over TCP or TLS, on the client's own strand, to one Redis or to the primary that Redis
// Sentinel names. One pipelined command connection (many
// coroutines at once, replies matched FIFO) and, when something subscribes, a second connection
// for pub/sub (hiredis 0.14 has no RESP3, so pushes cannot share the command connection).
//
// Failure model: while the command connection is down every request fails fast with
// errc::redis_unavailable (nothing is queued for later); a request unanswered after
// request_timeout fails with errc::redis_timeout and the connection is re-established, because
// with FIFO matching every later request would wait behind the stuck one. Do not send blocking
// commands (BLPOP, WAIT, ...) or SUBSCRIBE through async_exec.
#pragma once

#include <sealed/error.hpp>
#include <sealed/log.hpp>
#include <sealed/net.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sealed::redis {

// rediss://: TLS with the server's certificate verified against `ca_file` (else the system's
// trust store) and its name against `server_name` (else the host connected to: a DNS name or
// an IP address, which must then be in the certificate's subjectAltName).
struct tls_options {
    bool enabled = false;
    std::string ca_file;
    std::string cert_file, key_file;  // a client certificate, for Redis's tls-auth-clients
    std::string server_name;
};

// Redis Sentinel: before every connection the sentinels are asked, in order, for the address
// of `master_name`'s primary, and the server found there must say it is a primary (ROLE), so a
// failover is followed at the next reconnect. Sentinels use the same TLS settings as Redis.
struct sentinel_options {
    struct address {
        std::string host;
        std::uint16_t port = 26379;
    };
    std::vector<address> nodes;       // empty: no Sentinel, connect to host:port
    std::string master_name;
    std::string username, password;   // AUTH to the sentinels (sentinel.conf's requirepass)
};

// Loads tls's files as a connection would: a start-up check, so that files which do not load
// are an error at once rather than a reconnect loop that never succeeds. `why` names the file.
error_code check_tls_files(const tls_options& tls, std::string& why);

struct config {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    int db = 0;                                   // SELECTed after connecting when not 0
    std::string username, password;               // AUTH [username] password when a password is set
    std::chrono::milliseconds connect_timeout{2000};  // TCP connect + AUTH/SELECT/PING
    std::chrono::milliseconds request_timeout{2000};
    std::chrono::milliseconds reconnect_min{100};     // backoff: doubles up to reconnect_max, ±20 % jitter
    std::chrono::milliseconds reconnect_max{5000};
    std::size_t max_pending = 10000;              // requests in flight before errc::send_queue_full
    tls_options tls;
    sentinel_options sentinel;
};

// redis://[[user]:password@]host[:port][/db], user and password percent-decoded; IPv6 hosts in
// brackets; rediss:// for TLS. Sentinel:
//   redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/master_name[/db]
// (rediss+sentinel:// with TLS), sentinel ports 26379 by default; the user and password are
// the primary's. errc::invalid_argument otherwise (a query, a bad port or db); `why`, when
// given, receives a sentence saying what is wrong (for command-line errors).
result<config> parse_url(std::string_view url);
result<config> parse_url(std::string_view url, std::string* why);

enum class reply_type { nil, status, error, integer, string, array };

struct reply {
    reply_type type = reply_type::nil;
    long long integer = 0;       // integer
    std::string str;             // status, error and string
    std::vector<reply> elements; // array

    bool is_nil() const noexcept { return type == reply_type::nil; }
    bool is_error() const noexcept { return type == reply_type::error; }
    bool is_status(std::string_view s) const noexcept { return type == reply_type::status && str == s; }
};

enum class connection_state { connecting, connected, reconnecting, stopped };
std::string_view to_string(connection_state s) noexcept;

struct client_stats {
    std::uint64_t reconnects = 0;      // command connection re-established after a loss
    std::uint64_t subscriber_reconnects = 0;  // the same for the pub/sub connection
    std::uint64_t commands = 0;        // requests accepted onto the connection
    std::uint64_t command_errors = 0;  // requests that failed or got an error reply
    std::uint64_t published = 0;       // PUBLISHes that Redis acknowledged
    std::uint64_t received = 0;        // pub/sub messages handed to handlers
    std::uint64_t subscriptions = 0;   // channels and patterns Redis confirmed on the pub/sub connection
    connection_state state = connection_state::stopped;
};

class client {
public:
    using message_handler = std::function<void(std::string_view channel, std::string_view message)>;
    struct impl;

    client(net::any_io_executor ex, config cfg, logger log);
    ~client();  // stop()s
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // Connects in the background and keeps reconnecting until stop(). Starting twice is a no-op;
    // starting again after stop() is misuse (std::logic_error).
    void start();
    // Closes both connections and fails every request in flight with redis_unavailable.
    void stop();

    // The client's strand (its handlers run there).
    net::any_io_executor get_executor() const noexcept;

    // Thread-safe. `stopped` before start() too.
    connection_state state() const noexcept;
    // Why the last connection attempt failed (redis_auth_failed for a refused AUTH, a socket
    // error, redis_timeout ...); empty once connected. Thread-safe.
    error_code last_error() const;

    // Completes when the command connection is up (success) or after `limit` with last_error()
    // (or redis_timeout when there was none). For startup checks and tests.
    awaitable<error_code> async_wait_connected(std::chrono::milliseconds limit);

    // One command: async_exec("SET", key, value), or a span of arguments. The arguments are
    // formatted before this returns, so they only have to live for the call. A Redis error reply
    // is a *value* of type reply_type::error (the connection is fine); error_codes are for
    // transport failures: redis_unavailable (not connected, connection lost, stopped),
    // redis_timeout, send_queue_full (max_pending requests in flight). Callable from any thread
    // or executor: the request hops onto the client's strand and the caller resumes on its own
    // executor. An empty command or one that does not answer exactly once (SUBSCRIBE, MONITOR)
    // is misuse: std::invalid_argument.
    // GCC 12 (ADR-0001): name std::string temporaries before the co_await that uses them; a
    // braced list (`async_exec({"GET", k})`) does not even compile inside a GCC 12 coroutine.
    awaitable<result<reply>> async_exec(std::span<const std::string_view> args);
    template <class... Args>
        requires(sizeof...(Args) > 0 && (std::is_convertible_v<const Args&, std::string_view> && ...))
    awaitable<result<reply>> async_exec(const Args&... args) {
        // A local array is fine here: the span overload formats it before returning.
        const std::array<std::string_view, sizeof...(Args)> list{std::string_view(args)...};
        return async_exec(std::span<const std::string_view>(list));
    }

    // Pub/sub on the second connection; one handler per channel (subscribing again replaces it).
    // Handlers run on the client's strand and must not block. Subscriptions are restored after
    // every reconnect; messages published while the connection is down are lost (Redis pub/sub
    // is at-most-once).
    void subscribe(std::string channel, message_handler handler);
    void unsubscribe(std::string channel);
    // The same for a glob pattern (PSUBSCRIBE, e.g. "ws:room:*"); the handler gets the channel
    // each message was published to. A message matching a channel and a pattern reaches both.
    void psubscribe(std::string pattern, message_handler handler);
    void punsubscribe(std::string pattern);
    // PUBLISH through the command connection: the number of subscribers that received it. An
    // error reply is errc::redis_error here.
    awaitable<result<long long>> async_publish(std::string_view channel, std::string_view message);

    client_stats stats() const;
    // Prometheus text format: a state gauge per state and the counters of client_stats.
    std::string prometheus_text(std::string_view prefix = "sealed_redis") const;

private:
    std::shared_ptr<impl> impl_;
};

// A client on `ex` (it makes its own strand), logging to `log`.
// Call start() to connect.
std::shared_ptr<client> make_client(net::any_io_executor ex, config cfg, logger log = logger("redis"));

}  // namespace sealed::redis
