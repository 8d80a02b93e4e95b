// The bus over Redis pub/sub (IGNIS's channels), through the process's one redis::client.
//
// Publishing is at-most-once: a message waits in a bounded buffer while Redis is unreachable and
// is sent once the client is connected again; a PUBLISH that fails or times out is counted and
// not retried, because Redis may have delivered it already (a retry could deliver it twice).
#include <sealed/cluster/bus.hpp>
#include <sealed/cluster/bus_seal.hpp>
#include <sealed/log.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <deque>
#include <optional>

namespace sealed::cluster {

namespace {

using namespace std::chrono_literals;

class redis_bus final : public bus, public std::enable_shared_from_this<redis_bus> {
public:
    redis_bus(std::shared_ptr<redis::client> client, net::any_io_executor ex, redis_bus_options opts)
        : client_(std::move(client)), strand_(net::make_strand(std::move(ex))), opts_(std::move(opts)),
          waiting_(strand_), log_(log::get("bus")) {
        if (opts_.server_id.empty()) opts_.server_id = random_server_id();
        if (opts_.max_in_flight == 0) opts_.max_in_flight = 1;
        if (opts_.keys) {
            sealer_.emplace(opts_.keys);
            opener_.emplace(opts_.keys, bus_seal_options{opts_.replay_window});
        }
    }

    // After construction: the subscriptions hold a weak reference to this bus.
    void subscribe() {
        std::weak_ptr<redis_bus> weak = shared_from_this();
        auto on_push = [weak](std::string_view channel, std::string_view message) {
            if (auto self = weak.lock()) self->deliver(channel, message);
        };
        client_->subscribe("ws:broadcast", on_push);
        for (const char* pattern : {"ws:room:*", "ws:client:*", "ws:user:*"}) client_->psubscribe(pattern, on_push);
        if (opener_) client_->subscribe(opts_.sealed_channel, on_push);
    }

    const std::string& server_id() const noexcept override { return opts_.server_id; }

    void publish(bus_message m) override {
        m.server_id = opts_.server_id;
        net::post(strand_, [self = shared_from_this(), m = std::move(m)]() mutable {
            // Sealed on the strand: the sealer's sequence is the order of publishing.
            if (self->sealer_)
                self->enqueue(self->opts_.sealed_channel, self->sealer_->seal(m));
            else
                self->enqueue(channel_of(m.type, m.target), to_json(m));
        });
    }

    bus_stats stats() const override {
        bus_stats s;
        s.published = published_;
        s.received = received_;
        s.ignored_own = ignored_own_;
        s.invalid = invalid_;
        s.dropped_full = dropped_full_;
        s.publish_failed = publish_failed_;
        s.buffered = buffered_;
        s.forged = forged_;
        s.replayed = replayed_;
        return s;
    }

    std::string prometheus_text() const override { return bus::prometheus_text() + client_->prometheus_text(); }

private:
    struct outgoing {
        std::string channel, payload;
    };

    // --- on the strand ---
    void enqueue(std::string channel, std::string payload) {
        if (queue_.size() >= opts_.max_buffered) {
            ++dropped_full_;
            if (!dropping_) log_.warn("bus: {} messages wait for Redis; dropping new ones (counted)", queue_.size());
            dropping_ = true;  // one line per outage, not one per message
            return;
        }
        queue_.push_back({std::move(channel), std::move(payload)});
        buffered_ = queue_.size();
        pump();
    }

    void pump() {
        while (!queue_.empty() && in_flight_ < opts_.max_in_flight) {
            if (client_->state() != redis::connection_state::connected) {
                wait_for_redis();
                return;
            }
            dropping_ = false;
            auto next = std::move(queue_.front());
            queue_.pop_front();
            buffered_ = queue_.size();
            ++in_flight_;
            net::co_spawn(strand_, send(client_, std::move(next)),
                          net::bind_executor(strand_, [self = shared_from_this()](std::exception_ptr, bool ok) {
                              --self->in_flight_;
                              ++(ok ? self->published_ : self->publish_failed_);
                              self->pump();
                          }));
        }
    }

    static awaitable<bool> send(std::shared_ptr<redis::client> client, outgoing m) {
        auto sent = co_await client->async_publish(m.channel, m.payload);
        co_return sent.has_value();
    }

    // Polls the client's state (it has no connect notification that stays armed): 50 ms is well
    // under a reconnect's backoff.
    void wait_for_redis() {
        if (timer_armed_) return;
        timer_armed_ = true;
        waiting_.expires_after(50ms);
        // A weak reference: a bus dropped while Redis is away ends its polling.
        waiting_.async_wait(net::bind_executor(strand_, [weak = weak_from_this()](error_code) {
            if (auto self = weak.lock()) {
                self->timer_armed_ = false;
                self->pump();
            }
        }));
    }

    // --- on the client's strand ---
    void deliver(std::string_view channel, std::string_view text) {
        if (opener_) {
            open_sealed(channel, text);
            return;
        }
        auto m = parse_bus_message(text);
        if (!m) {
            ++invalid_;
            log_.warn("bus: ignored a message on {}: {}", channel, m.error().message());
            return;
        }
        hand_over(*m);
    }

    // Whatever does not open is dropped; a log line per kind and minute at most, because a
    // flood of forgeries must not become a flood of logs.
    void open_sealed(std::string_view channel, std::string_view text) {
        auto m = channel == opts_.sealed_channel ? opener_->open(text) : result<bus_message>(make_error_code(errc::decrypt_failed));
        if (m) {
            hand_over(*m);
            return;
        }
        const bool replay = m.error() == errc::duplicate_message;
        ++(replay ? replayed_ : forged_);
        auto& last = replay ? last_replay_log_ : last_forged_log_;
        const auto now = std::chrono::steady_clock::now();
        if (now - last < std::chrono::minutes(1)) return;
        last = now;
        log_.warn("bus: dropped a {} message on {} ({}; counted in sealed_bus_{}_total)",
                  replay ? "replayed" : "forged", channel, m.error().message(), replay ? "replayed" : "forged");
    }

    std::shared_ptr<redis::client> client_;
    net::strand<net::any_io_executor> strand_;
    redis_bus_options opts_;
    std::deque<outgoing> queue_;
    std::size_t in_flight_ = 0;
    bool timer_armed_ = false;
    net::steady_timer waiting_;
    bool dropping_ = false;
    logger log_;
    std::optional<bus_sealer> sealer_;  // on strand_
    std::optional<bus_opener> opener_;  // on the client's strand
    std::chrono::steady_clock::time_point last_forged_log_{}, last_replay_log_{};
    std::atomic<std::uint64_t> forged_{0}, replayed_{0};
    std::atomic<std::uint64_t> published_{0}, invalid_{0}, dropped_full_{0}, publish_failed_{0}, buffered_{0};
};

}  // namespace

std::shared_ptr<bus> make_redis_bus(std::shared_ptr<redis::client> client, redis_bus_options opts) {
    auto ex = client->get_executor();
    auto b = std::make_shared<redis_bus>(std::move(client), std::move(ex), std::move(opts));
    b->subscribe();
    return b;
}

}  // namespace sealed::cluster
