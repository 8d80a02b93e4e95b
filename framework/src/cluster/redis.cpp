// The Redis client: a command link (pipelined, FIFO-matched) and a pub/sub link, each kept up by
// a reconnect loop on the client's strand. Requests from other executors hop onto the strand
// with co_spawn and their caller resumes on its own executor.
#include <sealed/cluster/redis.hpp>
#include <sealed/log.hpp>

#include "redis_link.hpp"
#include "../prometheus_text.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>

#include <sealed/log.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace sealed::redis {

using detail::strand_type;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// Replies are matched to requests one for one; a command that answers zero or many times
// (an empty one, SUBSCRIBE, MONITOR) would shift every later reply onto the wrong caller.
void check_single_reply_command(std::span<const std::string_view> args) {
    if (args.empty()) throw std::invalid_argument("redis::client::async_exec: empty command");
    for (std::string_view c : {"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE",
                               "SUNSUBSCRIBE", "MONITOR"})
        if (iequals(args[0], c))
            throw std::invalid_argument("redis::client::async_exec: use subscribe()/unsubscribe() instead of " +
                                        std::string(c));
}

bool parse_port(std::string_view text, unsigned& port) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    return ec == std::errc{} && end == text.data() + text.size() && port > 0 && port <= 65535;
}

struct pending_request {
    pending_request(const strand_type& strand, std::chrono::milliseconds timeout) : timer(strand, timeout) {}
    net::steady_timer timer;              // the deadline, cancelled early when the reply arrives
    std::optional<result<reply>> outcome; // set once: the reply, or why there is none
};

}  // namespace

struct client::impl : std::enable_shared_from_this<impl> {
    impl(net::any_io_executor ex, config c, logger l)
        : strand(net::make_strand(std::move(ex))), cfg(std::move(c)),
          log(std::move(l)), command(strand, "redis"),
          subscriber(strand, "redis pub/sub") {
        if (!cfg.tls.enabled) return;
        auto ctx = detail::make_tls_context(cfg.tls, tls_problem);
        if (!ctx) {
            tls_error = ctx.error();
            return;
        }
        tls_context = *ctx;
        command.use_tls(tls_context);
        subscriber.use_tls(tls_context);
    }

    strand_type strand;
    const config cfg;
    logger log;
    std::shared_ptr<net::ssl::context> tls_context;
    error_code tls_error;      // the TLS files did not load: every connection attempt fails with it
    std::string tls_problem;   // and this sentence, naming the file

    // Readable from any thread.
    std::atomic<connection_state> state{connection_state::stopped};
    std::atomic<bool> started{false}, stopping{false};
    std::atomic<std::uint64_t> reconnects{0}, subscriber_reconnects{0}, commands{0}, command_errors{0}, published{0}, received{0},
        confirmed_count{0};
    mutable std::mutex error_mutex;
    error_code last_error;

    // On the strand only.
    detail::link command, subscriber;
    std::deque<std::shared_ptr<pending_request>> inflight;  // in the order the commands were sent
    std::vector<std::shared_ptr<net::steady_timer>> connect_waiters;
    std::map<std::string, message_handler, std::less<>> handlers, pattern_handlers;
    // What Redis said we are subscribed to: "c:" + channel, "p:" + pattern.
    std::set<std::string, std::less<>> confirmed;
    bool subscriber_running = false;
    net::cancellation_signal stop_command, stop_subscriber;

    void set_last_error(error_code ec) {
        std::lock_guard lock(error_mutex);
        last_error = ec;
    }
    void set_state(connection_state s) {
        if (!stopping) state = s;
    }

    void spawn(detail::link& l, net::cancellation_signal& signal, bool is_command) {
        auto loop = supervise(shared_from_this(), l, is_command);
        net::co_spawn(strand, std::move(loop),
                      net::bind_cancellation_slot(signal.slot(), [log = log, name = l.name()](std::exception_ptr e) {
                          if (!e) return;
                          try {
                              std::rethrow_exception(e);
                          } catch (const std::exception& ex) {
                              log.error("{}: connection loop ended by an exception: {}", name, ex.what());
                          }
                      }));
    }

    void ensure_subscriber() {
        if (subscriber_running || !started || stopping || (handlers.empty() && pattern_handlers.empty())) return;
        subscriber_running = true;
        spawn(subscriber, stop_subscriber, false);
    }

    void fail_inflight(error_code why) {
        for (auto& r : inflight) {
            if (r->outcome) continue;
            r->outcome = why;
            r->timer.cancel();
        }
        inflight.clear();
    }

    void wake_connect_waiters() {
        for (auto& t : connect_waiters) t->cancel();
        connect_waiters.clear();
    }

    error_code on_command_reply(reply&& r) {
        // A reply nobody asked for means the stream is out of step: matching would go wrong.
        if (inflight.empty()) return errc::protocol_violation;
        auto request = std::move(inflight.front());
        inflight.pop_front();
        if (!request->outcome) {  // not timed out or abandoned meanwhile
            request->outcome = std::move(r);
            request->timer.cancel();
        }
        return {};
    }

    error_code on_push(reply&& r) {
        if (r.is_error()) {
            log.warn("redis pub/sub: Redis answered {}", r.str);
            return {};
        }
        if (r.type != reply_type::array || r.elements.size() < 3) return {};
        const auto& kind = r.elements[0].str;
        const auto& channel = r.elements[1].str;
        if (kind == "message") {
            deliver(handlers, channel, channel, r.elements[2].str);
        } else if (kind == "pmessage" && r.elements.size() >= 4) {
            deliver(pattern_handlers, channel, r.elements[2].str, r.elements[3].str);
        } else if (kind == "subscribe") {
            confirmed.insert("c:" + channel);
        } else if (kind == "unsubscribe") {
            confirmed.erase("c:" + channel);
        } else if (kind == "psubscribe") {
            confirmed.insert("p:" + channel);
        } else if (kind == "punsubscribe") {
            confirmed.erase("p:" + channel);
        }
        confirmed_count = confirmed.size();
        return {};
    }

    void deliver(const std::map<std::string, message_handler, std::less<>>& table, std::string_view key,
                 std::string_view channel, std::string_view message) {
        auto it = table.find(key);
        if (it == table.end()) return;  // unsubscribed while the message was on its way
        ++received;
        try {
            it->second(channel, message);
        } catch (const std::exception& e) {
            log.error("redis pub/sub: handler for a message on {} threw: {}", channel, e.what());
        }
    }

    void resubscribe_all() {
        for (auto [command, table] : {std::pair{"SUBSCRIBE", &handlers}, std::pair{"PSUBSCRIBE", &pattern_handlers}}) {
            if (table->empty()) continue;
            std::vector<std::string_view> args{command};
            for (const auto& [name, handler] : *table) args.push_back(name);
            subscriber.send(detail::format_command(args));
        }
    }

    // subscribe()/psubscribe() on the strand.
    void add_handler(bool pattern, std::string name, message_handler handler) {
        auto& table = pattern ? pattern_handlers : handlers;
        const bool is_new = !table.contains(name);
        table[name] = std::move(handler);
        if (is_new && subscriber.up()) {
            const std::array<std::string_view, 2> args{pattern ? "PSUBSCRIBE" : "SUBSCRIBE", name};
            subscriber.send(detail::format_command(args));
        }
        ensure_subscriber();
    }
    void remove_handler(bool pattern, const std::string& name) {
        auto& table = pattern ? pattern_handlers : handlers;
        if (table.erase(name) == 0 || !subscriber.up()) return;
        const std::array<std::string_view, 2> args{pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", name};
        subscriber.send(detail::format_command(args));
    }

    // Where to connect: cfg.host:cfg.port, or the primary the first sentinel that knows
    // cfg.sentinel.master_name names. `why_not` says why there is none.
    awaitable<result<config>> locate(std::string& why_not) {
        config target = cfg;
        if (tls_error) {
            why_not = tls_problem;
            co_return tls_error;
        }
        if (cfg.sentinel.nodes.empty()) co_return target;
        error_code last = errc::redis_unavailable;
        for (const auto& node : cfg.sentinel.nodes) {
            config at = cfg;
            at.host = node.host;
            at.port = node.port;
            at.username = cfg.sentinel.username;
            at.password = cfg.sentinel.password;
            detail::link sentinel(strand, "redis sentinel");
            sentinel.use_tls(tls_context);
            std::string why;
            if (auto ec = co_await sentinel.open(at, detail::link_role::sentinel, why)) {
                last = ec;
                why_not = "sentinel " + node.host + ":" + std::to_string(node.port) + ": " + (why.empty() ? ec.message() : why);
                continue;
            }
            const std::array<std::string_view, 3> ask{"SENTINEL", "get-master-addr-by-name", cfg.sentinel.master_name};
            auto answer = co_await sentinel.query(ask, cfg.connect_timeout);
            sentinel.close(errc::shutting_down);
            unsigned port = 0;
            const bool named = answer && answer->type == reply_type::array && answer->elements.size() == 2 &&
                               parse_port(answer->elements[1].str, port);
            if (!named) {
                last = answer ? make_error_code(errc::redis_error) : answer.error();
                why_not = "sentinel " + node.host + ":" + std::to_string(node.port) + " names no primary '" +
                         cfg.sentinel.master_name + "'" + (answer && answer->is_error() ? ": " + answer->str : "");
                continue;
            }
            target.host = answer->elements[0].str;
            target.port = static_cast<std::uint16_t>(port);
            co_return target;
        }
        co_return last;
    }

    // Keeps one link up until stop(): locate, connect, serve, back off, again. Logs each state
    // change once, not every failed retry (a retry that fails for a new reason is logged again).
    static awaitable<void> supervise(std::shared_ptr<impl> self, detail::link& l, bool is_command) {
        co_await net::this_coro::throw_if_cancelled(false);
        auto& s = *self;
        const std::function<error_code(reply&&)> on_reply = [&s, is_command](reply&& r) {
            return is_command ? s.on_command_reply(std::move(r)) : s.on_push(std::move(r));
        };
        const auto role = is_command ? detail::link_role::command : detail::link_role::subscriber;
        net::steady_timer backoff(s.strand);
        auto delay = s.cfg.reconnect_min;
        bool ever_up = false;
        unsigned failures = 0;
        error_code reported;
        std::string where = s.cfg.host + ":" + std::to_string(s.cfg.port);
        while (!s.stopping) {
            std::string detail;
            auto target = co_await s.locate(detail);
            error_code ec = target ? error_code{} : target.error();
            if (target) {
                where = target->host + ":" + std::to_string(target->port);
                ec = co_await l.open(*target, role, detail);
            }
            if (s.stopping) break;
            if (!ec) {
                if (ever_up) {
                    ++(is_command ? s.reconnects : s.subscriber_reconnects);
                    s.log.info("{}: reconnected to {} after {} failed attempt(s)", l.name(), where, failures);
                } else {
                    s.log.info("{}: connected to {}", l.name(), where);
                }
                ever_up = true;
                failures = 0;
                reported = {};
                delay = s.cfg.reconnect_min;
                if (is_command) {
                    s.set_last_error({});
                    s.set_state(connection_state::connected);
                    s.wake_connect_waiters();
                } else {
                    s.resubscribe_all();
                }
                const auto why = co_await l.serve(on_reply);
                if (is_command) {
                    s.fail_inflight(errc::redis_unavailable);
                    s.set_state(connection_state::reconnecting);
                } else {
                    s.confirmed.clear();
                    s.confirmed_count = 0;
                }
                if (s.stopping) break;
                s.log.warn("{}: connection to {} lost ({}); reconnecting", l.name(), where, why.message());
            } else {
                ++failures;
                if (is_command) s.set_last_error(ec);
                if (ec != reported) {
                    reported = ec;
                    s.log.warn("{}: cannot connect to {}: {}{}{}; retrying (backoff up to {} ms)", l.name(), where,
                                ec.message(), detail.empty() ? "" : ": ", detail, s.cfg.reconnect_max.count());
                } else {
                    s.log.debug("{}: attempt {} failed: {}", l.name(), failures, ec.message());
                }
            }
            backoff.expires_after(detail::jittered(delay));
            co_await backoff.async_wait(use_tuple);
            delay = std::min(s.cfg.reconnect_max, delay * 2);
        }
        if (is_command) {
            s.fail_inflight(errc::redis_unavailable);
            s.state = connection_state::stopped;
            s.wake_connect_waiters();
        } else {
            s.subscriber_running = false;
        }
    }

    static awaitable<result<reply>> run_request(std::shared_ptr<impl> self, std::string wire) {
        co_await net::this_coro::throw_if_cancelled(false);
        auto& s = *self;
        if (!s.command.up()) {
            ++s.command_errors;
            co_return make_error_code(errc::redis_unavailable);
        }
        if (s.inflight.size() >= s.cfg.max_pending) {
            ++s.command_errors;
            co_return make_error_code(errc::send_queue_full);
        }
        auto request = std::make_shared<pending_request>(s.strand, s.cfg.request_timeout);
        s.inflight.push_back(request);
        s.command.send(wire);
        ++s.commands;
        auto [ec] = co_await request->timer.async_wait(use_tuple);
        if (!request->outcome) {
            if (ec == net::error::operation_aborted) {
                // The caller gave up (cancellation); its reply, when it comes, is dropped.
                request->outcome = ec;
            } else {
                // Every later request is queued behind this one on the same connection, so a
                // stuck Redis is dropped and reconnected rather than waited for.
                request->outcome = make_error_code(errc::redis_timeout);
                s.command.close(errc::redis_timeout);
                s.set_state(connection_state::reconnecting);  // now, not when the link has wound down
            }
        }
        if (!*request->outcome || request->outcome->value().is_error()) ++s.command_errors;
        co_return std::move(*request->outcome);
    }

    static awaitable<error_code> wait_connected(std::shared_ptr<impl> self, std::chrono::milliseconds limit) {
        co_await net::this_coro::throw_if_cancelled(false);
        auto& s = *self;
        if (s.state == connection_state::connected) co_return error_code{};
        auto timer = std::make_shared<net::steady_timer>(s.strand, limit);
        if (s.state != connection_state::stopped) {
            s.connect_waiters.push_back(timer);
            co_await timer->async_wait(use_tuple);
            std::erase(s.connect_waiters, timer);
        }
        if (s.state == connection_state::connected) co_return error_code{};
        std::lock_guard lock(s.error_mutex);
        if (s.last_error) co_return s.last_error;
        co_return s.state == connection_state::stopped ? make_error_code(errc::redis_unavailable)
                                                       : make_error_code(errc::redis_timeout);
    }

    static awaitable<result<long long>> run_publish(std::shared_ptr<impl> self, std::string wire) {
        auto& s = *self;
        auto requesting = run_request(self, std::move(wire));  // named: ADR-0001
        auto answer = co_await std::move(requesting);
        if (!answer) co_return answer.error();
        if (answer->is_error()) co_return make_error_code(errc::redis_error);
        if (answer->type != reply_type::integer) co_return make_error_code(errc::protocol_violation);
        ++s.published;
        co_return answer->integer;
    }
};

client::client(net::any_io_executor ex, config cfg, logger log)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(cfg), std::move(log))) {}

client::~client() { stop(); }

void client::start() {
    if (impl_->stopping) throw std::logic_error("redis::client::start() after stop()");
    if (impl_->started.exchange(true)) return;
    impl_->state = connection_state::connecting;
    net::post(impl_->strand, [self = impl_] {
        if (self->stopping) return;
        self->spawn(self->command, self->stop_command, true);
        self->ensure_subscriber();
    });
}

void client::stop() {
    if (impl_->stopping.exchange(true)) return;
    impl_->state = connection_state::stopped;
    net::post(impl_->strand, [self = impl_] {
        self->command.close(errc::shutting_down);
        self->subscriber.close(errc::shutting_down);
        self->stop_command.emit(net::cancellation_type::terminal);
        self->stop_subscriber.emit(net::cancellation_type::terminal);
        self->fail_inflight(errc::redis_unavailable);
        self->state = connection_state::stopped;
        self->wake_connect_waiters();
    });
}

connection_state client::state() const noexcept { return impl_->state; }

error_code client::last_error() const {
    std::lock_guard lock(impl_->error_mutex);
    return impl_->last_error;
}

awaitable<error_code> client::async_wait_connected(std::chrono::milliseconds limit) {
    auto waiting = impl::wait_connected(impl_, limit);
    return net::co_spawn(impl_->strand, std::move(waiting), net::use_awaitable);
}

awaitable<result<reply>> client::async_exec(std::span<const std::string_view> args) {
    check_single_reply_command(args);
    // Formatted here, before anything is awaited, so `args` need not outlive this call.
    auto request = impl::run_request(impl_, detail::format_command(args));
    return net::co_spawn(impl_->strand, std::move(request), net::use_awaitable);
}

awaitable<result<long long>> client::async_publish(std::string_view channel, std::string_view message) {
    const std::array<std::string_view, 3> args{"PUBLISH", channel, message};
    auto publishing = impl::run_publish(impl_, detail::format_command(args));
    return net::co_spawn(impl_->strand, std::move(publishing), net::use_awaitable);
}

void client::subscribe(std::string channel, message_handler handler) {
    net::post(impl_->strand, [self = impl_, channel = std::move(channel), handler = std::move(handler)]() mutable {
        self->add_handler(false, std::move(channel), std::move(handler));
    });
}

void client::unsubscribe(std::string channel) {
    net::post(impl_->strand, [self = impl_, channel = std::move(channel)] { self->remove_handler(false, channel); });
}

void client::psubscribe(std::string pattern, message_handler handler) {
    net::post(impl_->strand, [self = impl_, pattern = std::move(pattern), handler = std::move(handler)]() mutable {
        self->add_handler(true, std::move(pattern), std::move(handler));
    });
}

void client::punsubscribe(std::string pattern) {
    net::post(impl_->strand, [self = impl_, pattern = std::move(pattern)] { self->remove_handler(true, pattern); });
}

net::any_io_executor client::get_executor() const noexcept { return impl_->strand; }

client_stats client::stats() const {
    client_stats out;
    out.reconnects = impl_->reconnects;
    out.subscriber_reconnects = impl_->subscriber_reconnects;
    out.commands = impl_->commands;
    out.command_errors = impl_->command_errors;
    out.published = impl_->published;
    out.received = impl_->received;
    out.subscriptions = impl_->confirmed_count;
    out.state = impl_->state;
    return out;
}

std::string client::prometheus_text(std::string_view prefix) const {
    const auto st = stats();
    const std::string p(prefix);
    std::ostringstream out;
    out << "# HELP " << p << "_state Redis command connection state (1 for the current one).\n"
        << "# TYPE " << p << "_state gauge\n";
    for (auto s : {connection_state::connecting, connection_state::connected, connection_state::reconnecting,
                   connection_state::stopped})
        out << p << "_state{state=\"" << to_string(s) << "\"} " << (s == st.state ? 1 : 0) << '\n';
    auto metric = [&](const char* name, const char* type, const char* help, std::uint64_t value) {
        sealed::detail::write_metric(out, p + name, type, help, value);
    };
    metric("_reconnects_total", "counter", "Command connection re-established after a loss.", st.reconnects);
    metric("_commands_total", "counter", "Commands sent.", st.commands);
    metric("_command_errors_total", "counter", "Commands that failed or got an error reply.", st.command_errors);
    metric("_published_total", "counter", "Messages published.", st.published);
    metric("_received_total", "counter", "Pub/sub messages received.", st.received);
    metric("_subscriptions", "gauge", "Channels and patterns subscribed on the pub/sub connection.", st.subscriptions);
    return out.str();
}

std::shared_ptr<client> make_client(net::any_io_executor ex, config cfg, logger log) {
    return std::make_shared<client>(std::move(ex), std::move(cfg), std::move(log));
}

}  // namespace sealed::redis
