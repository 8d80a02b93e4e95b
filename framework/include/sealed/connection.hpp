// One established connection as the runtime sees it: the secure_channel, a bounded send queue
// with a single writer (write_timeout per write), the receive-side policies (rate limit,
// dedup), keepalive bookkeeping, and thread-safe send()/close() so Broadcast works from any
// thread. Everything runs on the connection's strand.
#pragma once

#include <sealed/config.hpp>
#include <sealed/concepts.hpp>
#include <sealed/log.hpp>
#include <sealed/metrics.hpp>
#include <sealed/policy/deduplicator.hpp>
#include <sealed/policy/rate_limiter.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace sealed {

// What connections share with their server (owned by the server's state, which outlives them).
struct connection_context {
    const server_config* config = nullptr;
    runtime_stats* stats = nullptr;
    policy::deduplicator* dedup = nullptr;
    std::shared_ptr<spdlog::logger> log;
};

template <class Channel, class S>
class connection : public std::enable_shared_from_this<connection<Channel, S>> {
public:
    using channel_type = Channel;
    using strand_type = net::strand<net::io_context::executor_type>;
    using clock = std::chrono::steady_clock;

    connection(Channel channel, strand_type strand, std::uint64_t id, connection_context ctx)
        : channel_(std::move(channel)), strand_(std::move(strand)), id_(id), ctx_(std::move(ctx)),
          bucket_(ctx_.config->rate_limit), writer_idle_(strand_, clock::time_point::max()),
          last_activity_(clock::now()) {}

    // --- for the app handler, on this connection's strand ---------------------------------

    // The next message that passed the policies (rate limit, dedup), opened.
    awaitable<error_code> async_receive(message_buffer& out) {
        for (;;) {
            if (auto ec = co_await channel_.async_receive(out)) {
                if (ec == errc::message_too_big) ctx_.stats->closed_oversize++;
                co_return ec;
            }
            last_activity_ = clock::now();
            if (!bucket_.try_take()) {
                ctx_.stats->dropped_rate_limited++;
                warn_rate_limited();
                continue;
            }
            if constexpr (requires { { S::message_id(out.bytes()) } -> std::convertible_to<std::optional<std::string_view>>; }) {
                if (auto message_id = S::message_id(out.bytes()); message_id && ctx_.dedup->seen(*message_id)) {
                    ctx_.stats->dropped_duplicate++;
                    continue;
                }
            }
            ctx_.stats->messages_in++;
            ctx_.stats->bytes_in += out.size();
            co_return error_code{};
        }
    }

    // Queues a message; errc::send_queue_full (and the connection closes with 1008) when the
    // peer reads too slowly, errc::transport_closed once closing.
    awaitable<error_code> async_send(const_bytes message, message_kind kind = message_kind::binary) {
        co_return enqueue(bytes(message.begin(), message.end()), kind);
    }

    // Sends what is queued, then closes with `reason`; returns when the writer is done.
    awaitable<void> async_close(const close_reason& reason) {
        request_close(reason);
        while (writing_) {
            writer_idle_.expires_at(clock::time_point::max());
            co_await writer_idle_.async_wait(net::as_tuple(net::use_awaitable));
        }
    }

    // --- from any thread --------------------------------------------------------------------

    void send(bytes message, message_kind kind = message_kind::binary) {
        net::post(strand_, [self = this->shared_from_this(), m = std::move(message), kind]() mutable {
            self->enqueue(std::move(m), kind);
        });
    }
    void close(close_reason reason) {
        net::post(strand_, [self = this->shared_from_this(), r = std::move(reason)] { self->request_close(r); });
    }

    std::uint64_t id() const noexcept { return id_; }
    const std::string& peer_id() const noexcept { return channel_.peer_id(); }
    std::string remote_endpoint() const { return channel_.remote_endpoint(); }
    Channel& channel() noexcept { return channel_; }
    const strand_type& strand() const noexcept { return strand_; }
    bool closing() const noexcept { return closing_.load(); }

    // Keepalive: time since the last message or pong, and a hook for the transport's pongs.
    clock::duration idle_for() const noexcept { return clock::now() - last_activity_; }
    void note_activity() noexcept { last_activity_ = clock::now(); }

private:
    error_code enqueue(bytes message, message_kind kind) {
        if (closing_) return errc::transport_closed;
        if (queue_.size() >= ctx_.config->send_queue_limit) {
            ctx_.stats->closed_send_queue_full++;
            ctx_.log->warn("connection {} ({}): send queue full ({} messages), closing", id_, remote_endpoint(),
                           queue_.size());
            queue_.clear();
            request_close({close_code::policy_violation, "send queue full"});
            return errc::send_queue_full;
        }
        queue_.push_back({std::move(message), kind});
        start_writer();
        return {};
    }

    void request_close(const close_reason& reason) {
        if (closing_.exchange(true)) return;
        pending_close_ = reason;
        start_writer();
    }

    void start_writer() {
        if (writing_) return;
        writing_ = true;
        net::co_spawn(strand_, write_loop(this->shared_from_this()), net::detached);
    }

    // The only writer: one message at a time, each bounded by write_timeout.
    static awaitable<void> write_loop(std::shared_ptr<connection> self) {
        co_await net::this_coro::throw_if_cancelled(false);
        while (!self->queue_.empty() && !self->write_failed_) {
            auto [message, kind] = std::move(self->queue_.front());
            self->queue_.pop_front();
            if (auto ec = co_await self->write_with_timeout(message, kind)) {
                self->write_failed_ = true;
                self->closing_ = true;
                self->queue_.clear();
                self->ctx_.log->info("connection {} ({}): write failed: {}", self->id_, self->remote_endpoint(),
                                     ec.message());
                const close_reason broken{close_code::going_away, "write failed"};
                co_await self->channel_.async_close(broken);
                break;
            }
            self->ctx_.stats->messages_out++;
            self->ctx_.stats->bytes_out += message.size();
        }
        if (self->pending_close_ && !self->write_failed_) {
            const close_reason reason = *self->pending_close_;
            co_await self->channel_.async_close(reason);
        }
        self->writing_ = false;
        self->writer_idle_.cancel();
    }

    awaitable<error_code> write_with_timeout(const bytes& message, message_kind kind) {
        using namespace net::experimental::awaitable_operators;
        net::steady_timer timer(strand_, ctx_.config->write_timeout);
        auto winner = co_await (channel_.async_send(message, kind) || timer.async_wait(net::as_tuple(net::use_awaitable)));
        if (winner.index() == 1) co_return errc::timeout;
        co_return std::get<0>(winner);
    }

    void warn_rate_limited() {
        // One line per connection per 10 s, however many messages are dropped.
        const auto now = clock::now();
        if (now - last_rate_warning_ < std::chrono::seconds(10)) return;
        last_rate_warning_ = now;
        ctx_.log->warn("connection {} ({}): rate limit exceeded, dropping messages", id_, remote_endpoint());
    }

    Channel channel_;
    strand_type strand_;
    std::uint64_t id_;
    connection_context ctx_;
    policy::token_bucket bucket_;
    std::deque<std::pair<bytes, message_kind>> queue_;
    bool writing_ = false;
    bool write_failed_ = false;
    std::atomic<bool> closing_{false};
    std::optional<close_reason> pending_close_;
    net::steady_timer writer_idle_;
    clock::time_point last_activity_;
    clock::time_point last_rate_warning_{};
};

}  // namespace sealed
