// Internal to the Redis client: one TCP or TLS connection to Redis with hiredis's reader, a
// batching writer and the connect handshake (AUTH, SELECT, PING, ROLE). Everything here runs on the client's
// strand; the command and pub/sub connections are both a `link`.
#pragma once

#include <sealed/cluster/redis.hpp>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

struct redisReader;

namespace sealed::redis::detail {

using strand_type = net::strand<net::any_io_executor>;

// RESP for one command (hiredis's formatter); binary-safe.
std::string format_command(std::span<const std::string_view> args);

struct reader_deleter {
    void operator()(redisReader* r) const noexcept;
};
using reader_ptr = std::unique_ptr<redisReader, reader_deleter>;
reader_ptr make_reader();

// Every complete reply buffered in `reader`, in order, to `on_reply`; a protocol error (the
// stream is not RESP) is errc::protocol_violation.
error_code drain_replies(redisReader& reader, const std::function<error_code(reply&&)>& on_reply);

// The client context for tls_options: TLS 1.2 or later, the peer verified against ca_file (or
// the system's store), the client certificate loaded. errc::invalid_key or the file system's
// error, with `detail` naming the file.
result<std::shared_ptr<net::ssl::context>> make_tls_context(const tls_options& tls, std::string& detail);

// What a connection is for: the handshake differs.
enum class link_role {
    command,     // [AUTH] [SELECT] PING, and ROLE must be master when behind Sentinel
    subscriber,  // [AUTH] PING, and ROLE as above
    sentinel,    // [AUTH] PING to a sentinel
};

class link {
public:
    link(strand_type strand, std::string name) : strand_(std::move(strand)), name_(std::move(name)),
                                                 wake_(strand_, net::steady_timer::time_point::max()) {}

    const std::string& name() const noexcept { return name_; }
    bool up() const noexcept { return up_; }

    // TLS for every open() from now on (null: plain TCP).
    void use_tls(std::shared_ptr<net::ssl::context> ctx) { tls_context_ = std::move(ctx); }

    // Connects to cfg.host:cfg.port and runs the handshake for `role`, all within
    // connect_timeout. errc::redis_auth_failed when Redis refuses AUTH or wants one we did not
    // send; errc::redis_error for a server that is not a primary; `detail` gets Redis's own
    // words for the log.
    awaitable<error_code> open(const config& cfg, link_role role, std::string& detail);

    // One command on an open link that is not serve()d (the sentinel query), within `limit`.
    awaitable<result<reply>> query(std::span<const std::string_view> args, std::chrono::milliseconds limit);

    // Reads and writes until the connection fails or close() is called; each reply goes to
    // `on_reply` (an error from it ends the connection). Returns why it ended.
    awaitable<error_code> serve(const std::function<error_code(reply&&)>& on_reply);

    // Queues bytes for the writer (which sends everything queued as one write).
    void send(std::string_view wire);
    // Ends open()/serve() with `why`; the link can be opened again afterwards.
    void close(error_code why);

private:
    awaitable<error_code> connect(const config& cfg);
    awaitable<error_code> handshake(const config& cfg, link_role role, std::string& detail);
    awaitable<error_code> read_loop(const std::function<error_code(reply&&)>& on_reply);
    awaitable<error_code> write_loop();
    awaitable<result<reply>> read_one();
    awaitable<std::tuple<error_code, std::size_t>> read_some(net::mutable_buffer b);
    awaitable<error_code> write_all(std::string_view bytes);
    tcp_socket& socket() noexcept { return tls_ ? tls_->next_layer() : *socket_; }
    bool connected() const noexcept { return socket_.has_value() || tls_.has_value(); }
    void drop_socket() noexcept;

    strand_type strand_;
    std::string name_;
    std::shared_ptr<net::ssl::context> tls_context_;
    std::optional<tcp_socket> socket_;                    // plain TCP
    std::optional<net::ssl::stream<tcp_socket>> tls_;     // or TLS
    reader_ptr reader_;
    std::string outbox_;
    net::steady_timer wake_;  // cancelled to wake the writer
    bool up_ = false;
    error_code close_reason_;
};

// Exponential backoff with ±20 % jitter, so clients of a restarted Redis do not all come back
// in the same millisecond.
std::chrono::milliseconds jittered(std::chrono::milliseconds d);

}  // namespace sealed::redis::detail
