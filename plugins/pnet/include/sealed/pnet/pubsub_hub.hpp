// The gateway's pubsub router across connections (issue 28): which connection of which tenant
// subscribes to what, a seen-cache per tenant, and each new message forwarded to the tenant's
// other subscribers — never to another tenant's. A peer id belongs to one tenant at a time. With a
// bus, gateways sharing it are one swarm per tenant: each new message is also published to room
// "pubsub:<tenant>" as event "swarm-pubsub" ({tenant, topic, message}, the message in base64),
// and one arriving from another gateway is verified again and handed to this gateway's
// subscribers of its tenant and topic (the seen-cache keeps it from going round twice).
// Thread-safe: connections call it from their strands; each registered deliver/announce function
// posts back to its own connection's strand.
#pragma once

#include <sealed/cluster/bus.hpp>
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

// The raw TCP listener's one network, where a WebSocket connection has its DID.
inline constexpr std::string_view raw_tcp_tenant = "(tcp)";
// The pubsub topics a tenant's peers may use: "swarm/<DID>" and below; any on the raw TCP network.
inline std::string topic_scope_of(std::string_view tenant) {
    return tenant == raw_tcp_tenant ? std::string() : "swarm/" + std::string(tenant);
}

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

    // Gateways sharing `bus` are one swarm per tenant (see above); set before connections join.
    void set_bus(std::shared_ptr<cluster::bus> bus) { bus_ = std::move(bus); }
    // A "swarm-pubsub" event's data from another gateway; true when it was one (handled).
    bool from_bus(std::string_view event, const boost::json::value& data);
    static constexpr std::string_view bus_event = "swarm-pubsub";

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
    std::vector<deliver_fn> subscribers(const std::string& tenant, const std::string& topic, std::uint64_t except);

    mutable std::mutex mutex_;
    std::unordered_map<std::uint64_t, member> members_;
    std::map<libp2p::peer_id, std::pair<std::string, std::size_t>> peers_;  // peer → tenant, connections
    std::unordered_map<std::string, seen_cache> seen_;
    std::chrono::seconds seen_ttl_;
    std::size_t seen_limit_;
    std::shared_ptr<cluster::bus> bus_;
    std::atomic<std::uint64_t> messages_{0}, forwarded_{0}, duplicates_{0}, cross_tenant_peers_{0};
    std::atomic<std::uint64_t> from_bus_{0}, bus_refused_{0};
    std::map<std::string, std::uint64_t, std::less<>> refused_;
};

}  // namespace sealed::pnet
