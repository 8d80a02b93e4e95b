#include <sealed/pnet/swarm.hpp>

#include <iterator>

namespace sealed::pnet {

bytes swarm_session::greeting() { return libp2p::host_connection::greeting(); }

swarm_session::output swarm_session::on_bytes(const_bytes chunk) {
    output out;
    switch (mode_) {
    case mode::negotiating:
        // The stream's first byte must be the header's length (19): behind a wrong PSK it is
        // random, and a "length" over what was sent would otherwise wait for the time limit.
        if (!header_seen_ && !first_byte_checked_ && !chunk.empty()) {
            first_byte_checked_ = true;
            if (chunk[0] != multistream::protocol_id.size()) {
                out.error = errc::protocol_violation;
                return out;
            }
        }
        reader_.feed(chunk);
        negotiate(out);
        break;
    case mode::libp2p: take(host_->on_bytes(chunk), out); break;
    case mode::ping: serve_ping(chunk, out); break;
    case mode::broadcast:
        reader_.feed(chunk);
        serve_broadcast(out);
        break;
    }
    return out;
}

void swarm_session::negotiate(output& out) {
    // The header must be the very first message, and must be exact: after a wrong PSK the
    // "length" is a random byte, so a strict check fails at once instead of waiting for it.
    while (mode_ == mode::negotiating && !out.error) {
        auto message = reader_.next();
        if (!message) {
            out.error = message.error();
            return;
        }
        if (!*message) return;
        const auto& m = **message;
        if (!header_seen_) {
            if (m != multistream::protocol_id) out.error = errc::protocol_violation;
            header_seen_ = true;
            continue;
        }
        if (m == ping_protocol) {
            multistream::append_message(ping_protocol, out.reply);
            mode_ = mode::ping;
            serve_ping(reader_.take_rest(), out);
        } else if (m == broadcast_protocol) {
            multistream::append_message(broadcast_protocol, out.reply);
            mode_ = mode::broadcast;
            reader_.set_limit(max_broadcast);
            out.joined_broadcast = true;
            serve_broadcast(out);
        } else if (m == "/noise\n" && host_options_) {
            multistream::append_message(m, out.reply);
            mode_ = mode::libp2p;
            host_.emplace(*host_options_, observed_, topics_);
            take(host_->begin_noise(reader_.take_rest()), out);
        } else {
            multistream::append_message(multistream::not_available, out.reply);  // "ls" included
        }
    }
}

void swarm_session::serve_ping(const_bytes data, output& out) {
    // Echoed per whole ping, as libp2p's ping handler does.
    ping_pending_.insert(ping_pending_.end(), data.begin(), data.end());
    const std::size_t whole = ping_pending_.size() / ping_size * ping_size;
    out.reply.insert(out.reply.end(), ping_pending_.begin(), ping_pending_.begin() + static_cast<std::ptrdiff_t>(whole));
    ping_pending_.erase(ping_pending_.begin(), ping_pending_.begin() + static_cast<std::ptrdiff_t>(whole));
}

void swarm_session::serve_broadcast(output& out) {
    for (;;) {
        auto message = reader_.next();
        if (!message) {
            out.error = message.error();
            return;
        }
        if (!*message) return;
        bytes framed;
        multistream::append_message(**message, framed);
        out.broadcasts.push_back(std::move(framed));
    }
}

void swarm_session::take(libp2p::host_connection::output from, output& out) {
    out.reply.insert(out.reply.end(), from.to_write.begin(), from.to_write.end());
    if (from.error) out.error = from.error;
    if (from.authenticated) out.authenticated = std::move(from.authenticated);
    out.streams_refused += from.streams_refused;
    std::move(from.pubsub.begin(), from.pubsub.end(), std::back_inserter(out.pubsub));
}

bytes swarm_session::deliver(const std::string& topic, const_bytes raw_message) {
    if (!host_) return {};
    auto out = host_->deliver(topic, raw_message);
    return out.error ? bytes{} : std::move(out.to_write);
}

bytes swarm_session::announce(const std::string& topic) {
    if (!host_) return {};
    auto out = host_->announce(topic);
    return out.error ? bytes{} : std::move(out.to_write);
}

}  // namespace sealed::pnet
