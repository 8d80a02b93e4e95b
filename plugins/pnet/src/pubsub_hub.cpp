#include <sealed/pnet/pubsub_hub.hpp>

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

std::size_t pubsub_hub::publish(std::uint64_t connection, const std::string& topic, const bytes& id, const bytes& raw) {
    std::vector<deliver_fn> targets;
    {
        std::lock_guard lock(mutex_);
        auto it = members_.find(connection);
        if (it == members_.end()) return 0;
        messages_++;
        if (!first_sighting(it->second.tenant, id)) {
            duplicates_++;
            return 0;
        }
        for (const auto& [other, m] : members_)
            if (other != connection && m.tenant == it->second.tenant && m.topics.contains(topic)) targets.push_back(m.deliver);
    }
    const auto shared = std::make_shared<const bytes>(raw);
    for (auto& deliver : targets) deliver(topic, shared);
    forwarded_ += targets.size();
    return targets.size();
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
