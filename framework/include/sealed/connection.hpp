// One established connection as the runtime sees it: the secure_channel, a send queue bounded
// in messages and bytes with a single writer (write_timeout per write), the receive-side
// policies (rate limit, dedup), keepalive bookkeeping, and thread-safe send()/close() so
// Broadcast works from any thread. Everything runs on the connection's strand.
#pragma once

#include <sealed/config.hpp>
#include <sealed/concepts.hpp>
#include <sealed/control.hpp>
#include <sealed/hooks.hpp>
#include <sealed/detail/heap.hpp>
#include <sealed/rooms.hpp>
#include <sealed/log.hpp>
#include <sealed/metrics.hpp>
#include <sealed/policy/deduplicator.hpp>
#include <sealed/policy/rate_limiter.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/container/devector.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_set>
#include <string>

namespace sealed {

// What connections share with their server or managed client (owned by its state, which
// outlives them).
struct connection_context {
    const connection_limits* limits = nullptr;
    runtime_stats* stats = nullptr;
    policy::deduplicator* dedup = nullptr;
    room_index* rooms = nullptr;
    const logger* log = nullptr;
};

template <class Channel, class S>
class connection : public std::enable_shared_from_this<connection<Channel, S>> {
public:
    using channel_type = Channel;
    using strand_type = net::strand<net::io_context::executor_type>;
    using clock = std::chrono::steady_clock;
    // Decides which of the rooms a client asked to join it may join (the app's policy).
    using join_filter = std::function<std::vector<std::string>(connection&, std::vector<std::string> rooms)>;

    connection(Channel channel, strand_type strand, std::uint64_t id, connection_context ctx,
               const join_filter* filter = nullptr)
        : channel_(std::move(channel)), strand_(std::move(strand)), id_(id), ctx_(std::move(ctx)),
          join_filter_(filter), bucket_(ctx_.limits->rate_limit),
          writer_idle_(strand_, clock::time_point::max()), last_activity_(clock::now()),
          last_message_(last_activity_),
          session_id_(channel_.session_id().empty() ? std::to_string(id) : channel_.session_id()) {}
    // The writer returns every byte it counted before it lets go of the connection, so nothing
    // here touches ctx_.
    ~connection() {
        if (burst_) detail::give_back_freed_memory();
    }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // --- for the app handler, on this connection's strand ---------------------------------

    // The next app message that passed the policies (rate limit, dedup), opened. The scheme's
    // own messages (heartbeats, join/leave) are handled here and not returned; a message that
    // fails to open is answered as the cipher says and either dropped or ends the connection.
    awaitable<error_code> async_receive(message_buffer& out) {
        for (;;) {
            auto ec = co_await channel_.async_receive(out);
            if (ec != errc::transport_closed) last_message_ = last_activity_ = clock::now();
            const bool allowed = bucket_.try_take();
            if (!allowed) {
                ctx_.stats->dropped_rate_limited++;
                warn_rate_limited();
                if constexpr (has_rate_limited_reply_hook<S>) tell_rate_limited();
            }
            if (ec) {
                if (handle_receive_failure(ec, allowed)) continue;
                co_return ec;
            }
            if (!allowed) continue;
            if constexpr (has_message_id_hook<S>) {
                if (auto message_id = S::message_id(out.bytes()); message_id && ctx_.dedup->seen(*message_id)) {
                    ctx_.stats->dropped_duplicate++;
                    continue;
                }
            }
            if constexpr (has_inspect_hook<S>) {
                if (!deliver(S::inspect(out.bytes()))) continue;
            }
            ctx_.stats->messages_in++;
            ctx_.stats->bytes_in += out.size();
            co_return error_code{};
        }
    }

    // Rooms: membership lives in the server's index (send_to_room reads it from any thread).
    void join(const std::string& room) { ctx_.rooms->join(id_, room); }
    bool leave(const std::string& room) { return ctx_.rooms->leave(id_, room); }
    std::vector<std::string> rooms() const { return ctx_.rooms->rooms_of(id_); }

    // Enqueues a message and returns: it does not wait for the write (secure_channel::async_send
    // does). The result is the backpressure signal: errc::send_queue_full (and the connection
    // closes with 1008) when the peer reads too slowly (connection_limits's send_queue_* bounds;
    // with send_queue_overflow::drop_oldest the oldest messages make room instead),
    // errc::transport_closed once closing. Producers that must lose nothing watch queued_bytes()
    // and wait in async_drain().
    awaitable<error_code> async_send(const_bytes message, message_kind kind = message_kind::binary) {
        co_return enqueue(bytes(message.begin(), message.end()), kind);
    }

    // Returns once at most `bytes` are queued (written to the socket, or dropped); at once if so
    // already. errc::transport_closed once the connection is closing. On this connection's strand.
    awaitable<error_code> async_drain(std::size_t bytes) {
        for (;;) {
            if (closing_) co_return errc::transport_closed;
            if (queued_bytes_.load(std::memory_order_relaxed) <= bytes) co_return error_code{};
            drain_below_ = std::min(drain_below_, bytes);
            co_await writer_idle_.async_wait(net::as_tuple(net::use_awaitable));
        }
    }

    // Sends what is queued, then closes with `reason`; returns when the writer is done.
    awaitable<void> async_close(const close_reason& reason) {
        request_close(reason);
        while (writing_) co_await writer_idle_.async_wait(net::as_tuple(net::use_awaitable));
    }

    // This connection's own send queue bounds and overflow policy, in place of the server's
    // (connection_limits). On this connection's strand.
    void set_send_queue(std::size_t messages, std::size_t bytes, send_queue_overflow overflow) {
        own_queue_limits_ = std::make_unique<queue_limits>(queue_limits{messages, bytes, overflow});
    }

    // --- from any thread --------------------------------------------------------------------

    // On the connection's own strand (its handler) they take effect at once, so what the handler
    // does next (returning, which closes normally) comes after them; from elsewhere they are
    // posted to the strand.
    void send(bytes message, message_kind kind = message_kind::binary) {
        if (strand_.running_in_this_thread()) {
            enqueue(std::move(message), kind);
            return;
        }
        net::post(strand_, [self = this->shared_from_this(), m = std::move(message), kind]() mutable {
            self->enqueue(std::move(m), kind);
        });
    }
    void close(close_reason reason) {
        if (strand_.running_in_this_thread()) {
            request_close(reason);
            return;
        }
        net::post(strand_, [self = this->shared_from_this(), r = std::move(reason)] { self->request_close(r); });
    }

    std::uint64_t id() const noexcept { return id_; }
    const std::string& peer_id() const noexcept { return channel_.peer_id(); }
    // The scheme's name for this connection (IGNIS's client id), else the numeric id.
    const std::string& session_id() const noexcept { return session_id_; }
    std::string remote_endpoint() const { return channel_.remote_endpoint(); }
    // Bytes queued to be written, the message being written included (from any thread).
    std::size_t queued_bytes() const noexcept { return queued_bytes_.load(std::memory_order_relaxed); }
    Channel& channel() noexcept { return channel_; }
    const strand_type& strand() const noexcept { return strand_; }
    bool closing() const noexcept { return closing_.load(); }

    // Keepalive: time since the last message or pong, and a hook for the transport's pongs;
    // liveness: time since the last message (pongs do not count).
    clock::duration idle_for() const noexcept { return clock::now() - last_activity_; }
    clock::duration silent_for() const noexcept { return clock::now() - last_message_; }
    void note_activity() noexcept { last_activity_ = clock::now(); }

private:
    struct queued {
        bytes data;
        message_kind kind;
        bool sealed;  // false: written as is (the scheme's clear-text replies)
    };
    struct queue_limits {
        std::size_t messages;
        std::size_t bytes;
        send_queue_overflow overflow;
    };
    queue_limits queue_bounds() const noexcept {
        if (own_queue_limits_) return *own_queue_limits_;
        const auto& cfg = *ctx_.limits;
        return {cfg.send_queue_limit, cfg.send_queue_bytes, cfg.send_overflow};
    }

    // true: the message is dropped and the connection goes on.
    bool handle_receive_failure(const error_code& ec, bool allowed) {
        auto reply = channel_.take_failure_reply();
        if (reply && allowed) enqueue_reply(std::move(*reply));
        if (!channel_.failure()) {
            ctx_.stats->dropped_failed_open++;
            ctx_.log->debug("connection {} ({}): dropped a message: {}", id_, remote_endpoint(), ec.message());
            return true;
        }
        if (ec == errc::message_too_big) ctx_.stats->closed_oversize++;
        if (const auto& how = channel_.failure_close()) {
            ctx_.log->info("connection {} ({}): closing: {}", id_, remote_endpoint(), ec.message());
            request_close(*how);
        }
        return false;
    }

    // true: an app message.
    bool deliver(inbound message) {
        switch (message.what) {
        case inbound::kind::app: return true;
        case inbound::kind::heartbeat: return false;
        case inbound::kind::refused:
            ctx_.stats->dropped_invalid++;
            if (message.reply) enqueue_reply(std::move(*message.reply));
            return false;
        case inbound::kind::join: {
            // The cap comes first, so what the app's filter sees (and may answer, as stream_chat's
            // `joined`) is what will be joined.
            auto fitting = within_max_rooms(std::move(message.rooms));
            // What the filter sends (stream_chat's `joined`) waits until the rooms are joined: the
            // writer would otherwise start at once, and a client that read the answer could miss
            // a room message delivered from another thread in between.
            holding_writes_ = true;
            auto allowed = join_filter_ && *join_filter_ ? (*join_filter_)(*this, std::move(fitting)) : std::move(fitting);
            for (const auto& room : allowed) join(room);
            holding_writes_ = false;
            if (!queue_.empty()) start_writer();
            return false;
        }
        case inbound::kind::leave:
            for (const auto& room : message.rooms) leave(room);
            return false;
        }
        return false;
    }

    // The rooms asked for that fit under max_rooms, in order: rooms already joined always do.
    std::vector<std::string> within_max_rooms(std::vector<std::string> rooms) const {
        auto held = ctx_.rooms->count_of(id_);
        std::unordered_set<std::string_view> added;
        std::vector<std::string> fitting;
        fitting.reserve(rooms.size());  // `added` views into its strings: no reallocation
        bool over = false;
        for (auto& room : rooms) {
            if (ctx_.rooms->contains(id_, room) || added.contains(room)) {
                fitting.push_back(std::move(room));
                continue;
            }
            if (held >= ctx_.limits->max_rooms) {
                over = true;
                continue;
            }
            ++held;
            fitting.push_back(std::move(room));
            added.insert(fitting.back());
        }
        if (over)
            ctx_.log->warn("connection {} ({}): max_rooms ({}) reached, not joining more", id_, remote_endpoint(),
                           ctx_.limits->max_rooms);
        return fitting;
    }

    error_code enqueue(bytes message, message_kind kind) { return enqueue({std::move(message), kind, true}); }
    error_code enqueue(queued message) {
        if (closing_) return errc::transport_closed;
        // Lossy: the oldest make room, and one message behind the one being written always fits.
        const bool lossy = queue_bounds().overflow == send_queue_overflow::drop_oldest;
        if (lossy) drop_oldest_for(message.data.size());
        if (auto over = lossy && queue_.empty() ? nullptr : queue_bound_passed(message.data.size())) {
            ctx_.stats->closed_send_queue_full++;
            ctx_.log->warn("connection {} ({}): send queue full ({} messages, {} bytes; {}), closing", id_,
                           remote_endpoint(), queue_.size(), queued_bytes(), over);
            drop_queue();
            request_close({close_code::policy_violation, "send queue full"});
            return errc::send_queue_full;
        }
        count_queued(message.data.size());
        queue_.push_back(std::move(message));
        start_writer();
        return {};
    }

    // Which bound one more message of `size` bytes would pass, or null. An empty queue always
    // takes one message, so a limit below max_message_size still lets every message through.
    const char* queue_bound_passed(std::size_t size) const noexcept {
        const auto bounds = queue_bounds();
        const auto queued = queued_bytes();
        if (queued == 0 && queue_.empty()) return nullptr;
        if (queue_.size() >= bounds.messages) return "send_queue_limit";
        if (queued + size > bounds.bytes) return "send_queue_bytes";
        if (ctx_.stats->send_queue_bytes.load() + size > ctx_.limits->send_queue_total_bytes)
            return "send_queue_total_bytes";
        return nullptr;
    }
    // drop_oldest: queued messages (not the one being written) go, oldest first, until one more
    // of `size` bytes fits.
    void drop_oldest_for(std::size_t size) {
        std::size_t dropped = 0;
        while (!queue_.empty() && queue_bound_passed(size)) {
            count_written(queue_.front().data.size());
            queue_.pop_front();
            ++dropped;
        }
        if (dropped == 0) return;
        ctx_.stats->dropped_send_queue += dropped;
        const auto now = clock::now();
        if (now - last_drop_warning_ < std::chrono::seconds(10)) return;
        last_drop_warning_ = now;
        ctx_.log->warn("connection {} ({}): reads too slowly, dropping its oldest queued messages", id_,
                       remote_endpoint());
    }
    void count_queued(std::size_t size) noexcept {
        const auto queued = queued_bytes_.fetch_add(size, std::memory_order_relaxed) + size;
        ctx_.stats->send_queue_bytes += size;
        if (queued >= detail::burst_bytes) burst_ = true;
    }
    void count_written(std::size_t size) noexcept {
        queued_bytes_.fetch_sub(size, std::memory_order_relaxed);
        ctx_.stats->send_queue_bytes -= size;
        if (queued_bytes() <= drain_below_) {
            drain_below_ = static_cast<std::size_t>(-1);
            writer_idle_.cancel();  // wakes async_drain
        }
    }
    void drop_queue() noexcept {
        for (const auto& m : queue_) count_written(m.data.size());
        queue_.clear();
        queue_.shrink_to_fit();
    }

    void request_close(const close_reason& reason) {
        if (closing_.exchange(true)) return;
        pending_close_ = reason;
        start_writer();
    }

    void start_writer() {
        if (writing_ || holding_writes_) return;
        writing_ = true;
        net::co_spawn(strand_, write_loop(this->shared_from_this()), net::detached);
    }

    // The only writer: one message at a time, each bounded by write_timeout.
    static awaitable<void> write_loop(std::shared_ptr<connection> self) {
        co_await net::this_coro::throw_if_cancelled(false);
        while (!self->queue_.empty() && !self->write_failed_) {
            auto message = std::move(self->queue_.front());
            self->queue_.pop_front();
            const auto ec = co_await self->write_with_timeout(message);
            self->count_written(message.data.size());
            if (ec) {
                self->write_failed_ = true;
                self->closing_ = true;
                self->drop_queue();
                self->ctx_.log->info("connection {} ({}): write failed: {}", self->id_, self->remote_endpoint(),
                                     ec.message());
                // A message we could not seal (the key sealed its last one) is closed with why,
                // so the peer knows to reconnect for a new key; a broken transport as going away.
                const auto& local = self->channel_.local_failure();
                const close_reason broken = local ? close_reason{default_close_code(local), local.message()}
                                                  : close_reason{close_code::going_away, "write failed"};
                co_await self->channel_.async_close(broken);
                break;
            }
            self->ctx_.stats->messages_out++;
            self->ctx_.stats->bytes_out += message.data.size();
        }
        if (self->pending_close_ && !self->write_failed_) {
            const close_reason reason = *self->pending_close_;
            co_await self->channel_.async_close(reason);
        }
        // A queue that held a burst gives its memory back to the system once it is written
        // (the allocator would keep it for the process otherwise).
        if (self->burst_ && self->queue_.empty()) {
            self->queue_.shrink_to_fit();
            self->burst_ = false;
            detail::give_back_freed_memory();
        }
        self->writing_ = false;
        self->writer_idle_.cancel();
    }

    awaitable<error_code> write_with_timeout(const queued& message) {
        using namespace net::experimental::awaitable_operators;
        net::steady_timer timer(strand_, ctx_.limits->write_timeout);
        auto write = message.sealed ? channel_.async_send(message.data, message.kind)
                                    : channel_.transport().async_write(message.data, message.kind);
        auto winner = co_await (std::move(write) || timer.async_wait(net::as_tuple(net::use_awaitable)));
        if (winner.index() == 1) co_return errc::timeout;
        co_return std::get<0>(winner);
    }

    // The scheme's reply to dropped messages, at most once a second (a flood gets few replies).
    void tell_rate_limited() {
        const auto now = clock::now();
        if (now - last_rate_reply_ < std::chrono::seconds(1)) return;
        last_rate_reply_ = now;
        enqueue_reply(S::rate_limited_reply());
    }

    // The scheme's own replies: as they are, or sealed when its cipher says so.
    void enqueue_reply(outgoing_message reply) {
        bool seal = false;
        if constexpr (has_seals_replies_hook<cipher_of<S>>) seal = channel_.cipher().seals_replies();
        enqueue({std::move(reply.data), reply.kind, seal});
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
    const join_filter* join_filter_;
    policy::token_bucket bucket_;
    boost::container::devector<queued> queue_;  // allocates nothing until a message is queued
    std::atomic<std::size_t> queued_bytes_{0};  // queue_ and the message being written
    std::size_t drain_below_ = static_cast<std::size_t>(-1);  // what async_drain waits for
    std::unique_ptr<queue_limits> own_queue_limits_;          // set_send_queue(); null: the server's
    bool burst_ = false;                        // queued_bytes_ reached detail::burst_bytes
    bool writing_ = false;
    bool holding_writes_ = false;  // a join filter is running: its answer waits for the joins
    bool write_failed_ = false;
    std::atomic<bool> closing_{false};
    std::optional<close_reason> pending_close_;
    net::steady_timer writer_idle_;
    clock::time_point last_activity_;
    clock::time_point last_message_;
    clock::time_point last_rate_warning_{};
    clock::time_point last_rate_reply_{};
    clock::time_point last_drop_warning_{};
    std::string session_id_;
};

}  // namespace sealed
