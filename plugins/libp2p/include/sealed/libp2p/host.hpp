// One libp2p connection as a listening host serves it, sans-I/O: fed the plaintext stream (what
// pnet decrypted), it runs multistream-select for `/noise`, the Noise XX handshake with the libp2p
// payload, multistream-select for `/yamux/1.0.0` inside the secure channel, then yamux streams,
// each negotiated on its own: `/ipfs/id/1.0.0` (our Identify, then FIN) and `/ipfs/ping/1.0.0`
// (32-byte echoes), and with pubsub on, `/meshsub/1.x` and `/floodsub/1.0.0` (a floodsub router
// under meshsub's ids: the peer's RPCs are read on its stream, ours go on a stream we open);
// anything else gets "na". It answers on its own and tells the caller who the peer is once noise
// has proved it, and what the peer did in pubsub: the caller routes messages between peers.
#pragma once

#include <sealed/libp2p/detail/secured_connection.hpp>
#include <sealed/libp2p/identify.hpp>
#include <sealed/libp2p/identity.hpp>
#include <sealed/libp2p/multistream.hpp>
#include <sealed/libp2p/pubsub.hpp>
#include <sealed/libp2p/secure_channel.hpp>
#include <sealed/libp2p/yamux.hpp>
#include <sealed/policy/rate_limiter.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace sealed::libp2p {

struct host_options {
    std::shared_ptr<const identity> host;
    std::shared_ptr<const crypto::x25519_private_key> noise_static;  // one per process start
    std::shared_ptr<const bytes> noise_payload;  // signed_noise_payload(*host, *noise_static): signed once
    std::string agent_version = "sealed-swarm-gateway/0.1";
    std::vector<bytes> listen_addrs;
    yamux::limits yamux_limits;
    bool pubsub = false;
    std::size_t max_topics = 64;                     // subscriptions one peer may hold
    policy::rate_limit pubsub_rate{200, 100};        // messages a peer may publish: burst, per second
    std::size_t max_pubsub_backlog = 1 << 20;        // bytes for the peer waiting for our stream
};

// What a peer did in pubsub, for the caller to route.
struct pubsub_event {
    enum class kind : unsigned char { subscribed, unsubscribed, message, refused } what;
    std::string topic;
    bytes raw;                 // message: the Message as received (forwarded unchanged)
    bytes id;                  // message: from ‖ seqno
    std::string_view reason;   // refused: why (a counter name)
};

struct host_output {
    bytes to_write;
    error_code error;                        // close the connection
    std::optional<peer_id> authenticated;   // set once, when noise proved the peer
    std::vector<pubsub_event> pubsub;
    std::size_t streams_refused = 0;         // streams past the limit, reset in this step
};

class host_connection : public detail::secured_connection<host_connection, host_output> {
public:
    using output = host_output;

    // `observed`: the peer's address as this host sees it (Identify's observedAddr). `topics`:
    // the pubsub topics this peer may use: that name and names below it ("swarm/<DID>" takes
    // "swarm/<DID>/chat"); empty: any.
    host_connection(const host_options& options, bytes observed, std::string topics = {});
    // Our multistream header: the first bytes this host sends.
    static bytes greeting();
    // on_bytes(chunk): the peer's bytes (secured_connection).
    // For a caller that ran the security negotiation itself and answered "/noise": the bytes
    // that followed the proposal go to the handshake.
    output begin_noise(const_bytes rest);
    // A verified message from another peer, to this peer if it subscribed to the topic.
    output deliver(const std::string& topic, const_bytes raw_message);
    // Tells the peer this host subscribes to `topic` (another peer of its scope does), so that
    // the peer's publish finds a subscriber; once per topic, and only for topics in scope.
    output announce(const std::string& topic);
    bool subscribed(const std::string& topic) const { return topics_.contains(topic); }

private:
    friend class detail::secured_connection<host_connection, host_output>;
    enum class stream_role : unsigned char { negotiating, ping, pubsub_in, pubsub_out, done };
    struct stream {
        multistream::negotiation_reader reader;
        stream_role role = stream_role::negotiating;
        bytes pending;  // ping bytes until 32 are in; pubsub bytes until an RPC is whole
    };

    void negotiate_security(const_bytes chunk, output& out);
    void on_secured(output& out);
    void on_plaintext(const_bytes plaintext, output& out);
    void negotiate_muxer(const_bytes plaintext, output& out);
    void on_yamux(const_bytes plaintext, output& out);
    void on_stream_event(yamux::event& e, bytes& frames, output& out);
    void on_stream_data(std::uint32_t id, stream& s, const_bytes data, bytes& frames, output& out);
    void select(std::uint32_t id, stream& s, const std::string& protocol, bytes& frames);
    void serve_ping(std::uint32_t id, stream& s, const_bytes data, bytes& frames);
    // pubsub (host_pubsub.cpp)
    bool is_pubsub(const std::string& protocol_line) const;
    void open_pubsub_stream(const std::string& protocol_line, bytes& frames);
    void on_pubsub_out_answer(std::uint32_t id, stream& s, bytes& frames);
    void read_rpcs(std::uint32_t id, stream& s, const_bytes data, bytes& frames, output& out);
    void on_rpc(const pubsub::rpc& rpc, bytes& frames, output& out);
    bool topic_allowed(const std::string& topic) const;
    void send_rpc(const bytes& framed_rpc, bytes& frames);
    bytes identify_message() const;

    const host_options& options_;
    bytes observed_;
    std::map<std::uint32_t, stream> streams_;
    std::string topic_scope_;
    std::set<std::string> topics_;        // the peer's subscriptions
    std::set<std::string> announced_;     // our SUBSCRIBEs on our stream
    std::optional<std::uint32_t> pubsub_out_;
    bool pubsub_out_ready_ = false;
    bytes pubsub_backlog_;                // RPCs for our stream until the peer accepts it
    policy::token_bucket publish_bucket_;
};

}  // namespace sealed::libp2p
