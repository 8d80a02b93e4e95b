// The gateway's pubsub router across connections (tenants never hear each other, a message is
// forwarded once, a peer id belongs to one tenant at a time) and its list of revoked tenants.
#include <sealed/pnet/deny_list.hpp>
#include <sealed/pnet/error.hpp>
#include <sealed/pnet/pubsub_hub.hpp>

#include <gtest/gtest.h>

namespace {

using namespace sealed;

struct inbox {
    std::vector<std::string> delivered, announced;
    pnet::pubsub_hub::deliver_fn deliver() {
        return [this](const std::string& topic, std::shared_ptr<const bytes> raw) {
            delivered.push_back(topic + "=" + std::string(raw->begin(), raw->end()));
        };
    }
    pnet::pubsub_hub::announce_fn announce() {
        return [this](const std::string& topic) { announced.push_back(topic); };
    }
};

libp2p::peer_id new_peer() { return libp2p::peer_id::from_public_key(crypto::ed25519_private_key::generate().public_key()); }
bytes b(std::string_view s) { return bytes(s.begin(), s.end()); }

TEST(pnet_pubsub_hub, tenants_stay_apart_and_each_message_goes_once) {
    pnet::pubsub_hub hub;
    inbox a1, a2, b1;
    ASSERT_TRUE(hub.join(1, "did:example:alice", new_peer(), a1.deliver(), a1.announce()));
    ASSERT_TRUE(hub.join(2, "did:example:alice", new_peer(), a2.deliver(), a2.announce()));
    ASSERT_TRUE(hub.join(3, "did:example:bob", new_peer(), b1.deliver(), b1.announce()));
    hub.subscribed(2, "swarm/did:example:alice");
    hub.subscribed(3, "swarm/did:example:alice");  // a peer of another tenant naming Alice's topic
    EXPECT_EQ(a1.announced, std::vector<std::string>{"swarm/did:example:alice"}) << "Alice's other peer is told";
    EXPECT_TRUE(b1.announced.empty() || b1.announced == std::vector<std::string>{});
    EXPECT_EQ(hub.publish(1, "swarm/did:example:alice", b("id-1"), b("hello")), 1u);
    EXPECT_EQ(a2.delivered, std::vector<std::string>{"swarm/did:example:alice=hello"});
    EXPECT_TRUE(b1.delivered.empty()) << "another tenant's connection never gets it";
    EXPECT_TRUE(a1.delivered.empty()) << "not back to the publisher";
    EXPECT_EQ(hub.publish(2, "swarm/did:example:alice", b("id-1"), b("hello")), 0u) << "seen already";
    // The same id in another tenant is another message.
    hub.subscribed(3, "swarm/did:example:bob");
    ASSERT_TRUE(hub.join(4, "did:example:bob", new_peer(), b1.deliver(), b1.announce()));
    EXPECT_EQ(hub.publish(4, "swarm/did:example:bob", b("id-1"), b("bob's")), 1u);
    const auto metrics = hub.prometheus_text();
    EXPECT_NE(metrics.find("sealed_swarm_pubsub_duplicates_total 1"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("sealed_swarm_pubsub_forwarded_total 2"), std::string::npos) << metrics;
}

TEST(pnet_pubsub_hub, a_peer_id_belongs_to_one_tenant_at_a_time) {
    pnet::pubsub_hub hub;
    inbox x;
    const auto peer = new_peer();
    ASSERT_TRUE(hub.join(1, "did:example:alice", peer, x.deliver(), x.announce()));
    EXPECT_TRUE(hub.join(2, "did:example:alice", peer, x.deliver(), x.announce())) << "two connections, one tenant";
    EXPECT_FALSE(hub.join(3, "did:example:bob", peer, x.deliver(), x.announce()));
    hub.leave(1);
    hub.leave(2);
    EXPECT_TRUE(hub.join(3, "did:example:bob", peer, x.deliver(), x.announce())) << "free once it left";
    hub.refused("topic_not_allowed");
    EXPECT_NE(hub.prometheus_text().find("sealed_swarm_pubsub_refused_total{reason=\"topic_not_allowed\"} 1"),
              std::string::npos);
    EXPECT_NE(hub.prometheus_text().find("sealed_swarm_peer_in_two_tenants_total 1"), std::string::npos);
}

}  // namespace

namespace {

TEST(pnet_deny_list, parses_dids_and_reports_the_newly_revoked) {
    auto parsed = sealed::pnet::deny_list::parse("# revoked\ndid:example:alice  # leaked\n\n  did:web:bob.example\n");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->size(), 2u);
    sealed::pnet::deny_list list;
    EXPECT_EQ(list.replace(*parsed).size(), 2u);
    EXPECT_TRUE(list.denies("did:example:alice"));
    EXPECT_FALSE(list.denies("did:example:carol"));
    auto next = sealed::pnet::deny_list::parse("did:example:alice\ndid:example:carol\n").value();
    EXPECT_EQ(list.replace(next), (sealed::pnet::deny_list::set_type{"did:example:carol"})) << "only Carol is new";
    EXPECT_FALSE(list.denies("did:web:bob.example")) << "taken off the list";
    EXPECT_EQ(sealed::pnet::deny_list::parse("alice\n").error(), sealed::pnet::error::invalid_did);
}

}  // namespace
