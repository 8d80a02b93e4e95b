// The gateway's pubsub router across connections (issue 28): which connection of which tenant
// subscribes to what, a seen-cache per tenant, and each new message forwarded to the tenant's
// other subscribers — never to another tenant's. A peer id belongs to one tenant at a time.
// Thread-safe: connections call it from their strands; each registered deliver/announce function
// posts back to its own connection's strand.
#pragma once

#include <sealed/libp2p/peer_id.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

namespace sealed::pnet {

class pubsub_hub {
public:
    using deliver_fn = std::function<void(const std::string& topic, std::shared_ptr<const bytes> raw_message)>;
    using announce_fn = std::function<void(const std::string& topic)>;

    explicit pubsub_hub(std::chrono::seconds seen_ttl = std::chrono::seconds(120), std::size_t seen_limit = 65536)
        : seen_ttl_(seen_ttl), seen_limit_(seen_limit) {}

    // false when `peer` is connected under another tenant: the caller refuses the connection.
    bool join(std::uint64_t connection, const std::string& tenant, const libp2p::peer_id& peer, deliver_fn deliver,
              announce_fn announce);
    void leave(std::uint64_t connection);
    // The tenant's other connections are told, so that a peer that only publishes finds a
    // subscriber in the gateway.
    void subscribed(std::uint64_t connection, const std::string& topic);
    void unsubscribed(std::uint64_t connection, const std::string& topic);
    // A verified message: forwarded once (the seen-cache), to the tenant's other subscribers of
    // its topic. Returns how many it was handed to.
    std::size_t publish(std::uint64_t connection, const std::string& topic, const bytes& id, const bytes& raw);
    void refused(std::string_view reason);

    // Counters for /metrics (Prometheus text).
    std::string prometheus_text() const;

private:
    struct member {
        std::string tenant;
        libp2p::peer_id peer;
        deliver_fn deliver;
        announce_fn announce;
        std::set<std::string> topics;
    };
    struct seen_cache {
        std::unordered_map<std::string, std::chrono::steady_clock::time_point> ids;
        std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> order;
    };
    bool first_sighting(const std::string& tenant, const bytes& id);

    mutable std::mutex mutex_;
    std::unordered_map<std::uint64_t, member> members_;
    std::map<libp2p::peer_id, std::pair<std::string, std::size_t>> peers_;  // peer → tenant, connections
    std::unordered_map<std::string, seen_cache> seen_;
    std::chrono::seconds seen_ttl_;
    std::size_t seen_limit_;
    std::atomic<std::uint64_t> messages_{0}, forwarded_{0}, duplicates_{0}, cross_tenant_peers_{0};
    std::map<std::string, std::uint64_t, std::less<>> refused_;
};

}  // namespace sealed::pnet
