// Keepalive of one connection (a server's, or a managed client's): pings every ping_interval
// (WebSocket), and closes the connection when nothing arrived (message or pong) for
// ping_interval + pong_timeout (1003), or when the scheme's liveness says the peer sent no
// message for too long (e.g. IGNIS's 4002 heartbeat timeout). A handler that does not return
// within `grace` of that close is cancelled.
//
// The timer is set for the next ping or the moment a deadline would pass, whichever is first, so
// a silent peer is closed at ping_interval + pong_timeout, not up to a tick later.
//
// Each quiet tick also releases the cipher's idle memory (secure_channel::release_idle_memory).
// A timer with a callback on the connection's strand, not a coroutine raced against the app's
// handler: that race cost coroutine frames on every idle connection (docs/benchmarks.md).
#pragma once

#include <sealed/control.hpp>
#include <sealed/detail/connection_set.hpp>
#include <sealed/detail/heap.hpp>
#include <sealed/metrics.hpp>
#include <sealed/transport/websocket.hpp>

#include <boost/asio/steady_timer.hpp>
#include <sealed/log.hpp>

#include <chrono>
#include <memory>
#include <optional>

namespace sealed::detail {

template <class Connection, bool Pings>
class keepalive : public std::enable_shared_from_this<keepalive<Connection, Pings>> {
public:
    using duration = std::chrono::steady_clock::duration;
    struct settings {
        duration ping_interval;
        duration pong_timeout;
        duration grace;  // after a verdict's close, before the handler is cancelled
        std::optional<liveness> alive;
    };

    keepalive(std::shared_ptr<Connection> conn, connection_ticket ticket, const settings& s, runtime_stats& stats,
              std::shared_ptr<const logger> log)
        : conn_(std::move(conn)), ticket_(std::move(ticket)), settings_(s), stats_(stats), log_(std::move(log)),
          timer_(conn_->strand()) {
        // At most tick_ between checks; next_check() wakes earlier for a deadline. A zero
        // ping_interval turns pings and the idle check off (liveness still applies).
        pinging_ = s.ping_interval > duration::zero();
        tick_ = !s.alive ? s.ping_interval
                : pinging_ ? std::min<duration>(s.ping_interval, s.alive->timeout / 3)
                           : duration(s.alive->timeout / 3);
        next_ping_ = std::chrono::steady_clock::now() + s.ping_interval;
    }

    // Call both on the connection's strand.
    void start() {
        if (tick_ > duration::zero()) arm(tick_);
    }
    // The handler ended: no verdict, ping or cancellation after this.
    void stop() {
        stopped_ = true;
        timer_.cancel();
    }
    // Why the keepalive closed the connection, if it did.
    const std::optional<close_reason>& verdict() const noexcept { return verdict_; }

    // Pongs count as activity; a close frame with an undefined code fails the pending read.
    // Call once, before the first read.
    static void watch_control_frames(Connection& conn) {
        if constexpr (Pings) {
            conn.channel().transport().native().control_callback(
                [c = &conn](websocket::frame_type kind, beast::string_view) {
                    if (kind != websocket::frame_type::close) c->note_activity();
                    else c->channel().transport().fail_if_close_code_undefined();
                });
        }
    }

private:
    void arm(duration after) {
        timer_.expires_after(after);
        timer_.async_wait([self = this->shared_from_this()](const error_code& ec) { self->on_timer(ec); });
    }

    void on_timer(const error_code& ec) {
        if (ec || stopped_) return;
        if (verdict_) {  // the grace period is over and the handler is still running
            ticket_->signal.emit(net::cancellation_type::terminal);
            return;
        }
        if (settings_.alive && conn_->silent_for() >= settings_.alive->timeout) {
            stats_.closed_liveness++;
            verdict_ = settings_.alive->reason;
        } else if (pinging_ && conn_->idle_for() >= settings_.ping_interval + settings_.pong_timeout) {
            stats_.closed_idle++;
            verdict_ = close_reason{close_code::idle_timeout, "idle timeout"};
        }
        if (verdict_) {
            // Closed while the handler's read is pending, so the close frame goes out and the
            // read ends; the handler is cancelled only if it does not return in time.
            log_->info("connection {} ({}): {}", conn_->id(), conn_->remote_endpoint(), verdict_->reason);
            conn_->close(*verdict_);
            return arm(settings_.grace);
        }
        // No message for a whole tick (pongs do not count): the cipher's keyed context and
        // buffers go until the next message; an idle connection keeps its key, not the key
        // schedule.
        if (conn_->silent_for() >= tick_) conn_->channel().release_idle_memory();
        give_back_pending_memory();
        if constexpr (Pings) {
            if (pinging_ && std::chrono::steady_clock::now() >= next_ping_) {
                next_ping_ = std::chrono::steady_clock::now() + settings_.ping_interval;
                // A failed ping shows up as a failed read; the connection outlives the ping.
                conn_->channel().transport().native().async_ping({}, [conn = conn_](const error_code&) {});
            }
        }
        arm(next_check());
    }

    // The next ping or the moment the idle or liveness timeout would pass if nothing arrives,
    // whichever comes first, and never more than tick_ away.
    duration next_check() const {
        const auto now = std::chrono::steady_clock::now();
        duration next = tick_;
        if (pinging_) {
            next = std::min<duration>(next, next_ping_ - now);
            next = std::min<duration>(next, settings_.ping_interval + settings_.pong_timeout - conn_->idle_for());
        }
        if (settings_.alive) next = std::min<duration>(next, settings_.alive->timeout - conn_->silent_for());
        return std::max<duration>(next, std::chrono::milliseconds(1));
    }

    std::shared_ptr<Connection> conn_;
    connection_ticket ticket_;
    settings settings_;
    runtime_stats& stats_;
    std::shared_ptr<const logger> log_;
    net::steady_timer timer_;
    duration tick_;
    std::chrono::steady_clock::time_point next_ping_;
    std::optional<close_reason> verdict_;
    bool pinging_ = true;
    bool stopped_ = false;
};

}  // namespace sealed::detail
