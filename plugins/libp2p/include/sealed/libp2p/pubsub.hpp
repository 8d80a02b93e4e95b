// libp2p pubsub's wire messages (libp2p/specs pubsub/README.md, gossipsub v1.0-1.2): the RPC a
// peer writes on its own stream (uvarint-length-prefixed), its Messages with StrictSign
// signatures, and the control messages a hub must look at to keep tenants apart.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/error.hpp>
#include <sealed/libp2p/identity.hpp>
#include <sealed/libp2p/peer_id.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace sealed::libp2p::pubsub {

// Accepted on streams a peer opens, in the order the gateway prefers.
inline constexpr std::array<std::string_view, 4> protocols{"/meshsub/1.2.0", "/meshsub/1.1.0", "/meshsub/1.0.0",
                                                          "/floodsub/1.0.0"};
inline constexpr std::size_t max_rpc_size = 1 << 20;  // js's default max inbound data length

struct subscription {
    bool subscribe = true;
    std::string topic;
};

// A Message, with views into the bytes it was parsed from (forwarded unchanged).
struct message {
    const_bytes raw;  // the whole encoded Message
    const_bytes from, data, seqno, signature, key;
    std::string topic;
};

// The topics a control message names (GRAFT, PRUNE, IHAVE); message ids are not kept.
struct control {
    std::vector<std::string> graft, prune, ihave;
    std::size_t iwant = 0, idontwant = 0;
};

struct rpc {
    std::vector<subscription> subscriptions;
    std::vector<message> publish;
    control ctl;
};

// Views into `protobuf`, which must outlive the result. libp2p::error::malformed_protobuf.
result<rpc> parse_rpc(const_bytes protobuf);
result<message> parse_message(const_bytes protobuf);

// RPC{subscriptions} and RPC{publish: raw messages}, each with its uvarint length prefix, as
// they go on a pubsub stream.
bytes frame_subscriptions(const std::vector<subscription>& subs);
bytes frame_publish(const_bytes raw_message);

// StrictSign: `from` is a peer id inlining an Ed25519 key (or `key` carries it), `seqno` is 8
// bytes, and `signature` verifies over "libp2p-pubsub:" ‖ the Message without fields 5 and 6.
// libp2p::error::bad_signature, unsupported_key_type or malformed_protobuf otherwise.
error_code verify_strict_sign(const message& m);
// What a message's signature covers: "libp2p-pubsub:" ‖ its encoding without fields 5 and 6
// (for signing one: tests, a publisher).
bytes signed_bytes(const message& m);

// A Message by `author` as a StrictSign publisher writes it: from, data, seqno (8 bytes, big
// endian), topic, then the signature over them; the key travels in `from` (Ed25519 inlines it).
bytes sign_message(const identity& author, std::string_view topic, const_bytes data, std::uint64_t seqno);

// The spec's message id, from ‖ seqno: what the seen-cache keys on.
bytes message_id(const message& m);

// Whether `topic` is `scope` or a name below it ("swarm/<DID>" takes "swarm/<DID>/chat", not
// "swarm/<DID>x"); an empty scope takes every topic.
inline bool in_scope(std::string_view scope, std::string_view topic) {
    if (scope.empty() || topic == scope) return true;
    return topic.size() > scope.size() && topic.starts_with(scope) && topic[scope.size()] == '/';
}

}  // namespace sealed::libp2p::pubsub
