#include <sealed/pnet/pubsub_hub.hpp>

#include <sealed/crypto/encoding.hpp>
#include <sealed/libp2p/pubsub.hpp>

#include <vector>

namespace sealed::pnet {

bool pubsub_hub::join(std::uint64_t connection, const std::string& tenant, const libp2p::peer_id& peer,
                      deliver_fn deliver, announce_fn announce) {
    std::vector<std::pair<announce_fn, std::string>> tell;
    {
        std::lock_guard lock(mutex_);
        auto [it, fresh] = peers_.try_emplace(peer, tenant, 0);
        if (!fresh && it->second.first != tenant) {
            cross_tenant_peers_++;
            return false;
        }
        ++it->second.second;
        members_.insert_or_assign(connection, member{tenant, peer, std::move(deliver), announce, {}});
        // The newcomer hears of the topics the tenant's peers already hold.
        for (const auto& [id, m] : members_)
            if (id != connection && m.tenant == tenant)
                for (const auto& topic : m.topics) tell.emplace_back(announce, topic);
    }
    for (auto& [fn, topic] : tell) fn(topic);
    return true;
}

void pubsub_hub::leave(std::uint64_t connection) {
    std::lock_guard lock(mutex_);
    auto it = members_.find(connection);
    if (it == members_.end()) return;
    if (auto p = peers_.find(it->second.peer); p != peers_.end() && --p->second.second == 0) peers_.erase(p);
    members_.erase(it);
}

void pubsub_hub::subscribed(std::uint64_t connection, const std::string& topic) {
    std::vector<announce_fn> tell;
    {
        std::lock_guard lock(mutex_);
        auto it = members_.find(connection);
        if (it == members_.end()) return;
        it->second.topics.insert(topic);
        for (const auto& [id, m] : members_)
            if (id != connection && m.tenant == it->second.tenant) tell.push_back(m.announce);
    }
    for (auto& fn : tell) fn(topic);
}

void pubsub_hub::unsubscribed(std::uint64_t connection, const std::string& topic) {
    std::lock_guard lock(mutex_);
    if (auto it = members_.find(connection); it != members_.end()) it->second.topics.erase(topic);
}

bool pubsub_hub::first_sighting(const std::string& tenant, const bytes& id) {
    auto& cache = seen_[tenant];
    const auto now = std::chrono::steady_clock::now();
    while (!cache.order.empty() && (now - cache.order.front().first > seen_ttl_ || cache.order.size() >= seen_limit_)) {
        cache.ids.erase(cache.order.front().second);
        cache.order.pop_front();
    }
    std::string key(id.begin(), id.end());
    if (!cache.ids.emplace(key, now).second) return false;
    cache.order.emplace_back(now, std::move(key));
    return true;
}

// Call with the lock held.
std::vector<pubsub_hub::deliver_fn> pubsub_hub::subscribers(const std::string& tenant, const std::string& topic,
                                                            std::uint64_t except) {
    std::vector<deliver_fn> targets;
    for (const auto& [id, m] : members_)
        if (id != except && m.tenant == tenant && m.topics.contains(topic)) targets.push_back(m.deliver);
    return targets;
}

std::size_t pubsub_hub::publish(std::uint64_t connection, const std::string& topic, const bytes& id, const bytes& raw) {
    std::vector<deliver_fn> targets;
    std::string tenant;
    {
        std::lock_guard lock(mutex_);
        auto it = members_.find(connection);
        if (it == members_.end()) return 0;
        messages_++;
        tenant = it->second.tenant;
        if (!first_sighting(tenant, id)) {
            duplicates_++;
            return 0;
        }
        targets = subscribers(tenant, topic, connection);
    }
    const auto shared = std::make_shared<const bytes>(raw);
    for (auto& deliver : targets) deliver(topic, shared);
    forwarded_ += targets.size();
    if (bus_ && tenant != raw_tcp_tenant) {  // the raw TCP network stays local
        const boost::json::object data{{"tenant", tenant}, {"topic", topic}, {"message", crypto::base64_encode(raw)}};
        bus_->publish({{}, cluster::target_kind::room, "pubsub:" + tenant, std::string(bus_event), data, {}});
    }
    return targets.size();
}

bool pubsub_hub::from_bus(std::string_view event, const boost::json::value& data) {
    if (event != bus_event) return false;
    const auto* object = data.if_object();
    const auto* tenant = object ? object->if_contains("tenant") : nullptr;
    const auto* encoded = object ? object->if_contains("message") : nullptr;
    auto raw = encoded && encoded->is_string() ? crypto::base64_decode(std::string_view(encoded->get_string()))
                                               : result<bytes>(errc::invalid_encoding);
    auto message = raw ? libp2p::pubsub::parse_message(*raw) : result<libp2p::pubsub::message>(errc::invalid_encoding);
    // Checked as if a peer had sent it: its own signature, and a topic of the tenant it names.
    if (!tenant || !tenant->is_string() || !message || libp2p::pubsub::verify_strict_sign(*message) ||
        !libp2p::pubsub::in_scope(topic_scope_of(tenant->get_string()), message->topic)) {
        bus_refused_++;
        return true;
    }
    const std::string tenant_name(tenant->get_string());
    std::vector<deliver_fn> targets;
    {
        std::lock_guard lock(mutex_);
        from_bus_++;
        if (!first_sighting(tenant_name, libp2p::pubsub::message_id(*message))) {
            duplicates_++;
            return true;
        }
        targets = subscribers(tenant_name, message->topic, 0);
    }
    const auto shared = std::make_shared<const bytes>(std::move(*raw));
    for (auto& deliver : targets) deliver(message->topic, shared);
    forwarded_ += targets.size();
    return true;
}

void pubsub_hub::refused(std::string_view reason) {
    std::lock_guard lock(mutex_);
    auto it = refused_.find(reason);
    if (it == refused_.end()) it = refused_.emplace(std::string(reason), 0).first;
    ++it->second;
}

std::string pubsub_hub::prometheus_text() const {
    std::string out = "# TYPE sealed_swarm_pubsub_messages_total counter\nsealed_swarm_pubsub_messages_total " +
                      std::to_string(messages_.load()) + "\n";
    out += "# TYPE sealed_swarm_pubsub_forwarded_total counter\nsealed_swarm_pubsub_forwarded_total " +
           std::to_string(forwarded_.load()) + "\n";
    out += "# TYPE sealed_swarm_pubsub_duplicates_total counter\nsealed_swarm_pubsub_duplicates_total " +
           std::to_string(duplicates_.load()) + "\n";
    out += "# TYPE sealed_swarm_peer_in_two_tenants_total counter\nsealed_swarm_peer_in_two_tenants_total " +
           std::to_string(cross_tenant_peers_.load()) + "\n";
    out += "# TYPE sealed_swarm_pubsub_from_bus_total counter\nsealed_swarm_pubsub_from_bus_total " +
           std::to_string(from_bus_.load()) + "\n";
    out += "# TYPE sealed_swarm_pubsub_bus_refused_total counter\nsealed_swarm_pubsub_bus_refused_total " +
           std::to_string(bus_refused_.load()) + "\n";
    out += "# TYPE sealed_swarm_pubsub_refused_total counter\n";
    std::lock_guard lock(mutex_);
    for (const auto& [reason, n] : refused_)
        out += "sealed_swarm_pubsub_refused_total{reason=\"" + reason + "\"} " + std::to_string(n) + "\n";
    std::size_t peers = 0;
    for (const auto& [id, m] : members_) peers += !m.topics.empty();
    out += "# TYPE sealed_swarm_pubsub_subscribed_peers gauge\nsealed_swarm_pubsub_subscribed_peers " +
           std::to_string(peers) + "\n";
    return out;
}

}  // namespace sealed::pnet
