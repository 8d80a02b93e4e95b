#include <sealed/signaling/broker.hpp>
#include <sealed/signaling/error.hpp>
#include <sealed/signaling/message.hpp>

#include <sealed/crypto/hash.hpp>
#include <sealed/crypto/random.hpp>
#include <sealed/url.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <mutex>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace sealed::signaling {

using clock = std::chrono::steady_clock;

namespace {

struct peer_entry {
    std::string token;
    std::uint64_t serial = 0;                   // the ticket of the id's current socket
    std::optional<broker::socket_sink> sink;    // set once that socket is attached
    clock::time_point last_heartbeat;
    std::unordered_set<std::string> contacts;   // ids it exchanged messages with (LEAVE on drop)
};

struct queued_message {
    std::string src;
    std::string frame;
};

struct offline_queue {
    clock::time_point last_read;
    std::vector<queued_message> messages;
    std::size_t bytes = 0;
};

// Runs `f` when the scope ends (after the locks declared later in it are released).
template <class F>
struct at_exit {
    F f;
    ~at_exit() { f(); }
};
template <class F>
at_exit(F) -> at_exit<F>;

std::string expire_frame(const std::string& offline, const std::string& sender) {
    message m;
    m.type = "EXPIRE";
    m.src = offline;
    m.dst = sender;
    return serialize(m);
}

}  // namespace

struct broker::state {
    std::mutex mutex;
    std::unordered_map<std::string, peer_entry> peers;
    std::unordered_map<std::string, offline_queue> queues;
    std::size_t queued_bytes = 0;  // over all queues
    std::uint64_t next_serial = 1;
    std::atomic<bool> running{false};
    std::vector<std::string> released;  // ids removed, for on_disconnect once the lock is gone

    // Frames for an attached socket go to it; for one admitted but not yet attached (its OPEN
    // is on the way), to its queue, as for an id that is offline.
    void deliver(const broker_options& o, broker_stats& stats, const std::string& src, const std::string& dst,
                 message_type type, std::string frame) {
        auto it = peers.find(dst);
        if (it != peers.end() && it->second.sink) {
            it->second.sink->send(std::move(frame));
            stats.relayed++;
            remember_contact(o, src, dst);
            return;
        }
        const bool registering = it != peers.end();
        if (!registering && (type == message_type::leave || type == message_type::expire)) return;
        auto queue = queues.find(dst);
        const bool full = (queue == queues.end() ? queues.size() >= o.queued_ids_limit
                                                 : queue->second.messages.size() >= o.queue_limit ||
                                                       queue->second.bytes + frame.size() > o.queue_bytes_limit) ||
                          queued_bytes + frame.size() > o.queued_bytes_limit;
        if (full) {  // the sender learns at once that this one will not arrive
            send_to(src, expire_frame(dst, src));
            stats.expired++;
            return;
        }
        if (queue == queues.end()) queue = queues.emplace(dst, offline_queue{clock::now(), {}}).first;
        queue->second.bytes += frame.size();
        queued_bytes += frame.size();
        queue->second.messages.push_back({src, std::move(frame)});
        stats.queued++;
    }

    // Every queue leaves through here, so queued_bytes stays the sum.
    std::unordered_map<std::string, offline_queue>::iterator erase_queue(
        std::unordered_map<std::string, offline_queue>::iterator it) {
        queued_bytes -= it->second.bytes;
        return queues.erase(it);
    }

    void send_to(const std::string& id, std::string frame) {
        auto it = peers.find(id);
        if (it != peers.end() && it->second.sink) it->second.sink->send(std::move(frame));
    }

    void remember_contact(const broker_options& o, const std::string& a, const std::string& b) {
        if (!o.leave_on_drop || a == b) return;
        for (auto [self, other] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
            auto it = peers.find(*self);
            if (it != peers.end() && it->second.contacts.size() < o.contacts_limit) it->second.contacts.insert(*other);
        }
    }

    // Unregisters `id`; its contacts that are connected get LEAVE (sealed's addition).
    void remove(const broker_options& o, broker_stats& stats, const std::string& id) {
        auto it = peers.find(id);
        if (it == peers.end()) return;
        auto contacts = std::move(it->second.contacts);
        peers.erase(it);
        if (o.on_disconnect) released.push_back(id);
        if (!o.leave_on_drop) return;
        for (const auto& contact : contacts) {
            auto other = peers.find(contact);
            if (other == peers.end()) continue;
            other->second.contacts.erase(id);
            if (!other->second.sink) continue;
            message leave;
            leave.type = "LEAVE";
            leave.src = id;
            leave.dst = contact;
            other->second.sink->send(serialize(leave));
            stats.leaves_on_drop++;
        }
    }
};

std::shared_ptr<broker> broker::make(net::any_io_executor ex, broker_options opts) {
    return std::shared_ptr<broker>(new broker(std::move(ex), std::move(opts)));
}

broker::broker(net::any_io_executor ex, broker_options opts)
    : executor_(std::move(ex)), options_(std::move(opts)), state_(std::make_unique<state>()) {
    if (options_.path.empty() || options_.path.front() != '/') options_.path.insert(0, "/");
}

broker::~broker() { stop(); }

void broker::start() {
    if (state_->running.exchange(true)) return;
    const auto shortest = std::min(options_.expire_timeout, options_.alive_timeout);
    const auto tick = std::clamp<std::chrono::milliseconds>(shortest / 10, std::chrono::milliseconds(20),
                                                            std::chrono::milliseconds(250));
    std::weak_ptr<broker> weak = shared_from_this();
    net::co_spawn(
        executor_,
        [weak, tick]() -> awaitable<void> {
            net::steady_timer timer(co_await net::this_coro::executor);
            for (;;) {
                timer.expires_after(tick);
                co_await timer.async_wait(net::as_tuple(net::use_awaitable));
                auto self = weak.lock();
                if (!self || !self->state_->running) co_return;
                self->sweep(clock::now());
            }
        },
        net::detached);
}

void broker::stop() { state_->running = false; }

broker::admission broker::admit(std::string_view target) {
    auto refuse = [this](error e) {
        stats_.refused++;
        const auto ec = make_error_code(e);
        return admission{nullptr, refusal_frame(ec), ec};
    };
    const auto id = query_param(target, "id");
    const auto token = query_param(target, "token");
    const auto key = query_param(target, "key");
    if (!id || id->empty() || !token || token->empty() || !key || key->empty()) return refuse(error::missing_parameters);
    if (*key != options_.key) return refuse(error::invalid_key);
    if (!options_.api_token.empty()) {
        const auto presented = query_param(target, "apiToken").value_or("");
        if (!crypto::constant_time_equal(as_bytes(presented), as_bytes(options_.api_token)))
            return refuse(error::invalid_api_token);
    }
    if (id->size() > options_.max_id_length || token->size() > options_.max_token_length ||
        (options_.validate_ids && !valid_id(*id)))
        return refuse(error::invalid_id);
    if (options_.authorize) {
        if (auto why = options_.authorize({*id, *token, *key, target})) {
            stats_.refused++;
            const auto ec = make_error_code(error::invalid_token);
            return admission{nullptr, refusal_frame(ec, *why), ec};
        }
    }

    std::lock_guard lock(state_->mutex);
    auto it = state_->peers.find(*id);
    if (it != state_->peers.end()) {
        if (!crypto::constant_time_equal(as_bytes(it->second.token), as_bytes(*token))) return refuse(error::id_taken);
        // The same client again (a reconnect before its old socket was noticed gone): the new
        // socket takes the id over. Unlike the reference it is told so with OPEN.
        it->second.serial = state_->next_serial++;
        it->second.sink.reset();
        it->second.last_heartbeat = clock::now();
        return {std::make_shared<ticket>(weak_from_this(), *id, *token, it->second.serial), R"({"type":"OPEN"})", {}};
    }
    if (state_->peers.size() >= options_.concurrent_limit) return refuse(error::concurrent_limit);
    peer_entry entry;
    entry.token = *token;
    entry.serial = state_->next_serial++;
    entry.last_heartbeat = clock::now();
    const auto serial = entry.serial;
    state_->peers.emplace(*id, std::move(entry));
    stats_.registered++;
    return {std::make_shared<ticket>(weak_from_this(), *id, *token, serial), R"({"type":"OPEN"})", {}};
}

void broker::attach(const ticket_ptr& t, socket_sink sink) {
    {
        std::lock_guard lock(state_->mutex);
        auto it = state_->peers.find(t->id());
        if (it == state_->peers.end() || it->second.serial != t->serial()) return;  // taken over meanwhile
        it->second.sink = std::move(sink);
        if (auto queue = state_->queues.find(t->id()); queue != state_->queues.end()) {
            auto messages = std::move(queue->second.messages);
            state_->erase_queue(queue);
            for (auto& m : messages) {
                it->second.sink->send(std::move(m.frame));
                stats_.relayed++;
                state_->remember_contact(options_, m.src, t->id());
            }
        }
    }
    if (options_.on_connect) options_.on_connect(t->id());
}

void broker::announce_released() {
    if (!options_.on_disconnect) return;
    std::vector<std::string> gone;
    {
        std::lock_guard lock(state_->mutex);
        gone.swap(state_->released);
    }
    for (const auto& id : gone) options_.on_disconnect(id);
}

std::optional<std::string> broker::receive(const ticket_ptr& t, std::string_view frame) {
    auto parsed = parse_message(frame);
    if (!parsed) {
        stats_.malformed++;
        return refusal_frame(parsed.error());
    }
    auto& m = *parsed;
    const auto type = m.kind();
    // Declared before the lock: it runs after the lock is released, whichever return is taken.
    const at_exit announce{[this] { announce_released(); }};
    std::lock_guard lock(state_->mutex);
    auto self = state_->peers.find(t->id());
    // A socket whose id another token now holds speaks for nobody.
    if (self != state_->peers.end() && self->second.token != t->token()) {
        stats_.refused++;
        return refusal_frame(make_error_code(error::id_taken));
    }
    // Nor does one that left (LEAVE without dst) or whose id a newer socket of the same token
    // took over: it would relay as the id, outside concurrent_limit.
    if (self == state_->peers.end() || self->second.serial != t->serial()) {
        if (type == message_type::heartbeat) return std::nullopt;
        stats_.refused++;
        return refusal_frame(make_error_code(error::not_registered));
    }
    if (type == message_type::heartbeat) {
        self->second.last_heartbeat = clock::now();
        return std::nullopt;
    }
    if (!is_relayed(type)) {
        stats_.dropped_unknown_type++;
        return std::nullopt;
    }
    m.src = t->id();  // whatever the client wrote
    if (!m.dst) {
        // The reference's "LEAVE without dst": the client unregisters (its socket stays open).
        if (type == message_type::leave) state_->remove(options_, stats_, t->id());
        else stats_.dropped_no_destination++;
        return std::nullopt;
    }
    const auto dst = *m.dst;
    state_->deliver(options_, stats_, t->id(), dst, type, serialize(m));
    return std::nullopt;
}

void broker::detach(const ticket& t) {
    {
        std::lock_guard lock(state_->mutex);
        auto it = state_->peers.find(t.id());
        if (it == state_->peers.end() || it->second.serial != t.serial()) return;
        state_->remove(options_, stats_, t.id());
    }
    announce_released();
}

void broker::sweep(clock::time_point now) {
    const at_exit announce{[this] { announce_released(); }};
    std::lock_guard lock(state_->mutex);
    for (auto it = state_->queues.begin(); it != state_->queues.end();) {
        if (now - it->second.last_read < options_.expire_timeout) {
            ++it;
            continue;
        }
        std::set<std::string> told;  // one EXPIRE per sender, as the reference
        for (const auto& m : it->second.messages) {
            if (!told.insert(m.src).second) continue;
            state_->send_to(m.src, expire_frame(it->first, m.src));
            stats_.expired++;
        }
        it = state_->erase_queue(it);
    }
    std::vector<std::string> silent;
    for (auto& [id, entry] : state_->peers)
        if (entry.sink && now - entry.last_heartbeat >= options_.alive_timeout) silent.push_back(id);
    for (const auto& id : silent) {
        state_->peers.at(id).sink->close({close_code::policy_violation, "no HEARTBEAT within alive_timeout"});
        if (auto queue = state_->queues.find(id); queue != state_->queues.end()) state_->erase_queue(queue);
        state_->remove(options_, stats_, id);
        stats_.liveness_closed++;
    }
}

std::string broker::ws_path() const {
    return options_.path + (options_.path.back() == '/' ? "" : "/") + "peerjs";
}

std::vector<std::string> broker::ids() const {
    std::lock_guard lock(state_->mutex);
    std::vector<std::string> out;
    out.reserve(state_->peers.size());
    for (auto& [id, entry] : state_->peers) out.push_back(id);
    return out;
}

std::size_t broker::registered() const {
    std::lock_guard lock(state_->mutex);
    return state_->peers.size();
}

std::string broker::prometheus_text() const {
    std::ostringstream out;
    auto counter = [&](std::string_view name, std::string_view help, std::uint64_t value) {
        out << "# HELP sealed_signaling_" << name << ' ' << help << "\n# TYPE sealed_signaling_" << name
            << " counter\nsealed_signaling_" << name << ' ' << value << '\n';
    };
    out << "# HELP sealed_signaling_peers Registered ids.\n# TYPE sealed_signaling_peers gauge\nsealed_signaling_peers "
        << registered() << '\n';
    counter("registered_total", "Ids registered.", stats_.registered);
    counter("refused_total", "Sockets refused (ERROR or ID-TAKEN).", stats_.refused);
    counter("relayed_total", "Frames relayed to a socket.", stats_.relayed);
    counter("queued_total", "Frames queued for an offline id.", stats_.queued);
    counter("expired_total", "EXPIRE frames sent for undelivered messages.", stats_.expired);
    counter("malformed_total", "Frames that were not a JSON object with a string type.", stats_.malformed);
    counter("dropped_unknown_type_total", "Frames of a type the broker does not relay.", stats_.dropped_unknown_type);
    counter("dropped_no_destination_total", "Relayed types without dst.", stats_.dropped_no_destination);
    counter("leaves_on_drop_total", "LEAVE frames sent for a client that dropped.", stats_.leaves_on_drop);
    counter("liveness_closed_total", "Sockets closed for no HEARTBEAT within alive_timeout.", stats_.liveness_closed);
    return out.str();
}

}  // namespace sealed::signaling
