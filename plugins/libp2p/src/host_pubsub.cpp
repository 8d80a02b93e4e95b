// host_connection's pubsub: a floodsub router's share of one connection. The peer's RPCs arrive
// on streams it opened; ours go on one stream we open with the protocol id it chose.
#include <sealed/libp2p/host.hpp>
#include <sealed/libp2p/varint.hpp>

#include <algorithm>

namespace sealed::libp2p {

bool host_connection::is_pubsub(const std::string& protocol_line) const {
    if (!options_.pubsub || protocol_line.empty()) return false;
    const std::string_view id(protocol_line.data(), protocol_line.size() - 1);  // without '\n'
    return std::find(pubsub::protocols.begin(), pubsub::protocols.end(), id) != pubsub::protocols.end();
}

bool host_connection::topic_allowed(const std::string& topic) const { return pubsub::in_scope(topic_scope_, topic); }

void host_connection::open_pubsub_stream(const std::string& protocol_line, bytes& frames) {
    pubsub_out_ = muxer_->open_stream(frames);
    streams_[*pubsub_out_].role = stream_role::pubsub_out;
    bytes propose;
    multistream::append_message(multistream::protocol_id, propose);
    multistream::append_message(protocol_line, propose);
    (void)muxer_->write(*pubsub_out_, propose, frames);
    // The scope's own topic at once: a peer that only publishes must see a subscriber.
    if (!topic_scope_.empty() && announced_.insert(topic_scope_).second)
        send_rpc(pubsub::frame_subscriptions({{true, topic_scope_}}), frames);
}

// Our stream's answer: the peer's header, then its echo of the protocol (or "na").
void host_connection::on_pubsub_out_answer(std::uint32_t id, stream& s, bytes& frames) {
    while (!pubsub_out_ready_) {
        auto message = s.reader.next();
        if (!message || (*message && **message == multistream::not_available)) {
            pubsub_out_.reset();
            return muxer_->reset(id, frames);
        }
        if (!*message) return;
        pubsub_out_ready_ = true;
    }
    if (!pubsub_backlog_.empty() && !muxer_->write(id, pubsub_backlog_, frames)) pubsub_backlog_.clear();
}

void host_connection::send_rpc(const bytes& framed_rpc, bytes& frames) {
    if (!pubsub_out_) return;
    if (pubsub_out_ready_) {
        if (muxer_->write(*pubsub_out_, framed_rpc, frames)) muxer_->reset(*pubsub_out_, frames);
        return;
    }
    if (pubsub_backlog_.size() + framed_rpc.size() <= options_.max_pubsub_backlog)
        pubsub_backlog_.insert(pubsub_backlog_.end(), framed_rpc.begin(), framed_rpc.end());
}

host_connection::output host_connection::announce(const std::string& topic) {
    output out;
    if (phase_ != phase::streams || !pubsub_out_ || !topic_allowed(topic) || announced_.contains(topic)) return out;
    announced_.insert(topic);
    bytes frames;
    send_rpc(pubsub::frame_subscriptions({{true, topic}}), frames);
    seal(frames, out);
    return out;
}

host_connection::output host_connection::deliver(const std::string& topic, const_bytes raw_message) {
    output out;
    if (phase_ != phase::streams || !subscribed(topic)) return out;
    bytes frames;
    send_rpc(pubsub::frame_publish(raw_message), frames);
    seal(frames, out);
    return out;
}

// uvarint-length-prefixed RPCs, each parsed once whole; one over the size limit or malformed
// resets the stream (the peer may open another).
void host_connection::read_rpcs(std::uint32_t id, stream& s, const_bytes data, bytes& frames, output& out) {
    s.pending.insert(s.pending.end(), data.begin(), data.end());
    std::size_t at = 0;
    for (;;) {
        std::size_t body = at;
        const auto length = read_uvarint(s.pending, body, 4);
        if (!length || (*length && **length > pubsub::max_rpc_size)) {
            out.pubsub.push_back({pubsub_event::kind::refused, {}, {}, {}, "rpc_too_large"});
            streams_.erase(id);
            return muxer_->reset(id, frames);
        }
        if (!*length || s.pending.size() - body < **length) break;
        auto rpc = pubsub::parse_rpc(const_bytes(s.pending).subspan(body, **length));
        if (!rpc) {
            out.pubsub.push_back({pubsub_event::kind::refused, {}, {}, {}, "malformed_rpc"});
            streams_.erase(id);
            return muxer_->reset(id, frames);
        }
        on_rpc(*rpc, frames, out);
        at = body + **length;
    }
    s.pending.erase(s.pending.begin(), s.pending.begin() + static_cast<std::ptrdiff_t>(at));
}

void host_connection::on_rpc(const pubsub::rpc& rpc, bytes& frames, output& out) {
    using kind = pubsub_event::kind;
    for (const auto& sub : rpc.subscriptions) {
        if (!sub.subscribe) {
            if (topics_.erase(sub.topic)) out.pubsub.push_back({kind::unsubscribed, sub.topic, {}, {}, {}});
        } else if (!topic_allowed(sub.topic)) {
            out.pubsub.push_back({kind::refused, sub.topic, {}, {}, "topic_not_allowed"});
        } else if (topics_.size() >= options_.max_topics && !topics_.contains(sub.topic)) {
            out.pubsub.push_back({kind::refused, sub.topic, {}, {}, "too_many_topics"});
        } else if (topics_.insert(sub.topic).second) {
            out.pubsub.push_back({kind::subscribed, sub.topic, {}, {}, {}});
            if (!announced_.contains(sub.topic)) {
                announced_.insert(sub.topic);
                send_rpc(pubsub::frame_subscriptions({{true, sub.topic}}), frames);
            }
        }
    }
    for (const auto& m : rpc.publish) {
        if (!publish_bucket_.try_take()) {
            out.pubsub.push_back({kind::refused, m.topic, {}, {}, "rate_limited"});
        } else if (!topic_allowed(m.topic)) {
            out.pubsub.push_back({kind::refused, m.topic, {}, {}, "topic_not_allowed"});
        } else if (pubsub::verify_strict_sign(m)) {
            out.pubsub.push_back({kind::refused, m.topic, {}, {}, "bad_signature"});
        } else {
            out.pubsub.push_back({kind::message, m.topic, bytes(m.raw.begin(), m.raw.end()), pubsub::message_id(m), {}});
        }
    }
    // A floodsub router under meshsub's ids: GRAFT is taken as granted, nothing is pruned, no
    // gossip is sent; a control message naming another scope's topic is refused and counted.
    for (const auto* topics : {&rpc.ctl.graft, &rpc.ctl.prune, &rpc.ctl.ihave})
        for (const auto& topic : *topics)
            if (!topic_allowed(topic)) out.pubsub.push_back({kind::refused, topic, {}, {}, "topic_not_allowed"});
}

}  // namespace sealed::libp2p
