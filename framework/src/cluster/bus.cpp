// The bus message (IGNIS's JSON), the in-process bus, and what both buses share.
#include <sealed/cluster/bus.hpp>
#include <sealed/crypto/random.hpp>
#include <sealed/json.hpp>

#include "../prometheus_text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace sealed::cluster {

namespace json = boost::json;

std::string_view to_string(target_kind k) noexcept {
    switch (k) {
        case target_kind::client: return "client";
        case target_kind::user: return "user";
        case target_kind::room: return "room";
        case target_kind::broadcast: return "broadcast";
    }
    return "broadcast";
}

namespace {

std::optional<target_kind> kind_from(std::string_view s) {
    for (auto k : {target_kind::client, target_kind::user, target_kind::room, target_kind::broadcast})
        if (to_string(k) == s) return k;
    return std::nullopt;
}

}  // namespace

std::string channel_of(target_kind type, std::string_view target) {
    switch (type) {
        case target_kind::client: return "ws:client:" + std::string(target);
        case target_kind::user: return "ws:user:" + std::string(target);
        case target_kind::room: return "ws:room:" + std::string(target);
        case target_kind::broadcast: break;
    }
    return "ws:broadcast";
}

std::string to_json(const bus_message& m) {
    json::object o;
    o["serverId"] = m.server_id;
    o["type"] = to_string(m.type);
    if (m.type != target_kind::broadcast) o["target"] = m.target;
    o["event"] = m.event;
    if (m.data) o["data"] = *m.data;
    if (!m.exclude.empty()) o["exclude"] = json::array(m.exclude.begin(), m.exclude.end());
    return json::serialize(o);
}

result<bus_message> parse_bus_message(std::string_view text) {
    boost::system::error_code ec;
    auto value = json::parse(text, ec);
    if (ec || !all_numbers_finite(value)) return make_error_code(errc::invalid_encoding);
    const auto* o = value.if_object();
    const auto* server_id = o ? o->if_contains("serverId") : nullptr;
    const auto* event = o ? o->if_contains("event") : nullptr;
    const auto* type = o ? o->if_contains("type") : nullptr;
    if (!server_id || !server_id->is_string() || !event || !event->is_string() || !type || !type->is_string())
        return make_error_code(errc::protocol_violation);
    bus_message m;
    const auto kind = kind_from(type->get_string());
    if (!kind) return make_error_code(errc::protocol_violation);
    m.type = *kind;
    m.server_id = server_id->get_string();
    m.event = event->get_string();
    if (m.type != target_kind::broadcast) {
        const auto* target = o->if_contains("target");
        if (!target || !target->is_string() || target->get_string().empty())
            return make_error_code(errc::protocol_violation);
        m.target = target->get_string();
    }
    if (const auto* data = o->if_contains("data")) m.data = *data;
    if (const auto* exclude = o->if_contains("exclude"); exclude && exclude->is_array())
        for (const auto& id : exclude->get_array())
            if (id.is_string()) m.exclude.emplace_back(id.get_string());
    return m;
}

std::string random_server_id() { return crypto::random_uuid(); }

void bus::on_message(handler h) {
    std::lock_guard lock(handler_mutex_);
    handler_ = std::make_shared<handler>(std::move(h));
}

void bus::hand_over(const bus_message& m) {
    if (m.server_id == server_id()) {
        ++ignored_own_;
        return;
    }
    std::shared_ptr<handler> h;
    {
        std::lock_guard lock(handler_mutex_);
        h = handler_;
    }
    ++received_;
    if (h && *h) (*h)(m);
}

std::string bus::prometheus_text() const {
    const auto st = stats();
    std::ostringstream out;
    auto metric = [&](const char* name, const char* type, const char* help, std::uint64_t value) {
        sealed::detail::write_metric(out, std::string("sealed_bus_") + name, type, help, value);
    };
    metric("published_total", "counter", "Messages handed to the other processes.", st.published);
    metric("received_total", "counter", "Messages from other processes delivered here.", st.received);
    metric("ignored_own_total", "counter", "Our own messages coming back.", st.ignored_own);
    metric("invalid_total", "counter", "Bus messages of the wrong shape.", st.invalid);
    metric("dropped_full_total", "counter", "Messages dropped because the buffer was full.", st.dropped_full);
    metric("publish_failed_total", "counter", "Publishes that Redis refused or did not confirm.", st.publish_failed);
    metric("buffered", "gauge", "Messages waiting for Redis.", st.buffered);
    metric("forged_total", "counter", "Sealed bus: messages that did not verify or came unsealed.", st.forged);
    metric("replayed_total", "counter", "Sealed bus: messages seen before or outside the time window.", st.replayed);
    return out.str();
}

// --- in-process ------------------------------------------------------------------------------

class memory_bus;

class memory_broker {
public:
    void attach(const std::shared_ptr<memory_bus>& b) {
        std::lock_guard lock(mutex_);
        buses_.push_back(b);
    }
    std::vector<std::shared_ptr<memory_bus>> live() {
        std::lock_guard lock(mutex_);
        std::erase_if(buses_, [](const auto& w) { return w.expired(); });
        std::vector<std::shared_ptr<memory_bus>> out;
        for (auto& w : buses_)
            if (auto b = w.lock()) out.push_back(std::move(b));
        return out;
    }

private:
    std::mutex mutex_;
    std::vector<std::weak_ptr<memory_bus>> buses_;
};

class memory_bus final : public bus {
public:
    memory_bus(std::shared_ptr<memory_broker> broker, std::string id)
        : broker_(std::move(broker)), server_id_(std::move(id)) {}

    const std::string& server_id() const noexcept override { return server_id_; }

    void publish(bus_message m) override {
        m.server_id = server_id_;
        ++published_;
        // Every bus sees it, ours too, as with Redis: ours recognises its serverId and skips it.
        for (auto& b : broker_->live()) b->deliver(m);
    }
    bus_stats stats() const override {
        bus_stats s;
        s.published = published_;
        s.received = received_;
        s.ignored_own = ignored_own_;
        return s;
    }

    void deliver(const bus_message& m) { hand_over(m); }

private:
    std::shared_ptr<memory_broker> broker_;
    const std::string server_id_;
    std::atomic<std::uint64_t> published_{0};
};

std::shared_ptr<memory_broker> make_memory_broker() { return std::make_shared<memory_broker>(); }

std::shared_ptr<bus> make_memory_bus(std::shared_ptr<memory_broker> broker, std::string server_id) {
    if (!broker) broker = make_memory_broker();
    if (server_id.empty()) server_id = random_server_id();
    auto b = std::make_shared<memory_bus>(broker, std::move(server_id));
    broker->attach(b);
    return b;
}

}  // namespace sealed::cluster
