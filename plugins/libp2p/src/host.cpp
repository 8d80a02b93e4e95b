#include <sealed/libp2p/host.hpp>
#include <sealed/libp2p/varint.hpp>

namespace sealed::libp2p {
namespace {

constexpr std::size_t ping_size = 32;

std::string line(std::string_view protocol) { return std::string(protocol) + "\n"; }

}  // namespace

host_connection::host_connection(const host_options& options, bytes observed, std::string topics)
    : options_(options), observed_(std::move(observed)), topic_scope_(std::move(topics)),
      publish_bucket_(options.pubsub_rate) {}

bytes host_connection::greeting() {
    bytes out;
    multistream::append_message(multistream::protocol_id, out);
    return out;
}

// The header, then proposals until "/noise": everything after its echo is the handshake.
void host_connection::negotiate_security(const_bytes chunk, output& out) {
    reader_.feed(chunk);
    while (phase_ == phase::security) {
        auto message = reader_.next();
        if (!message) {
            out.error = message.error();
            return;
        }
        if (!*message) return;
        if (**message != line(noise_protocol)) {
            multistream::append_message(multistream::not_available, out.to_write);
            continue;
        }
        multistream::append_message(**message, out.to_write);
        auto handshake = begin_noise(reader_.take_rest());
        out.to_write.insert(out.to_write.end(), handshake.to_write.begin(), handshake.to_write.end());
        out.error = handshake.error;
        out.authenticated = std::move(handshake.authenticated);
    }
}

host_connection::output host_connection::begin_noise(const_bytes rest) {
    output out;
    phase_ = phase::noise;
    begin_handshake(role::server,
                    secure_handshake::options{options_.host, options_.noise_static, {}, {}, {}, options_.noise_payload});
    run_noise(rest, out);
    return out;
}

// Inside the channel, our header first: the dialer proposes the muxer.
void host_connection::on_secured(output& out) { seal(greeting(), out); }

void host_connection::on_plaintext(const_bytes plaintext, output& out) {
    if (phase_ == phase::muxer) negotiate_muxer(plaintext, out);
    else on_yamux(plaintext, out);
}

void host_connection::negotiate_muxer(const_bytes plaintext, output& out) {
    reader_.feed(plaintext);
    bytes reply;
    while (phase_ == phase::muxer) {
        auto message = reader_.next();
        if (!message) {
            out.error = message.error();
            break;
        }
        if (!*message) break;
        if (**message != line(yamux::protocol)) {
            multistream::append_message(multistream::not_available, reply);
            continue;
        }
        multistream::append_message(**message, reply);
        phase_ = phase::streams;
        muxer_.emplace(false, options_.yamux_limits);
    }
    seal(reply, out);
    if (phase_ == phase::streams && !out.error) {
        const auto rest = reader_.take_rest();
        if (!rest.empty()) on_yamux(rest, out);
    }
}

void host_connection::on_yamux(const_bytes plaintext, output& out) {
    const auto refused_before = muxer_->refused_streams();
    on_muxer_bytes(plaintext, out);
    out.streams_refused += muxer_->refused_streams() - refused_before;
}

void host_connection::on_stream_event(yamux::event& e, bytes& frames, output& out) {
    switch (e.what) {
    case yamux::event::kind::opened: streams_[e.stream]; break;
    case yamux::event::kind::data:
        if (auto it = streams_.find(e.stream); it != streams_.end()) on_stream_data(e.stream, it->second, e.data, frames, out);
        break;
    case yamux::event::kind::remote_closed:
        // The peer is done with a ping, its pubsub stream or an unanswered negotiation: so
        // are we. It never writes on our pubsub stream, so its FIN there changes nothing.
        if (e.stream == pubsub_out_) break;
        muxer_->close(e.stream, frames);
        streams_.erase(e.stream);
        break;
    case yamux::event::kind::reset:
        if (e.stream == pubsub_out_) {
            pubsub_out_.reset();
            pubsub_out_ready_ = false;
        }
        streams_.erase(e.stream);
        break;
    case yamux::event::kind::go_away: break;  // secured_connection's
    }
}

void host_connection::on_stream_data(std::uint32_t id, stream& s, const_bytes data, bytes& frames, output& out) {
    switch (s.role) {
    case stream_role::ping: return serve_ping(id, s, data, frames);
    case stream_role::pubsub_in: return read_rpcs(id, s, data, frames, out);
    case stream_role::done: return;
    case stream_role::pubsub_out:
        s.reader.feed(data);
        return on_pubsub_out_answer(id, s, frames);
    case stream_role::negotiating: break;
    }
    s.reader.feed(data);
    while (s.role == stream_role::negotiating) {
        auto message = s.reader.next();
        if (!message) return muxer_->reset(id, frames);
        if (!*message) return;
        select(id, s, **message, frames);
    }
    if (s.role == stream_role::ping) serve_ping(id, s, s.reader.take_rest(), frames);
    if (s.role == stream_role::pubsub_in) read_rpcs(id, s, s.reader.take_rest(), frames, out);
}

// Our answer to a proposal on a stream the peer opened: our header with the first answer.
void host_connection::select(std::uint32_t id, stream& s, const std::string& protocol, bytes& frames) {
    bytes reply;
    multistream::append_message(multistream::protocol_id, reply);
    if (protocol == line(identify_protocol)) {
        multistream::append_message(protocol, reply);
        const auto message = identify_message();
        append_uvarint(message.size(), reply);
        reply.insert(reply.end(), message.begin(), message.end());
        s.role = stream_role::done;
        if (muxer_->write(id, reply, frames)) return muxer_->reset(id, frames);
        muxer_->close(id, frames);  // js reads Identify until EOF
        return;
    }
    if (protocol == line(ping_protocol)) {
        multistream::append_message(protocol, reply);
        s.role = stream_role::ping;
    } else if (is_pubsub(protocol)) {
        multistream::append_message(protocol, reply);
        s.role = stream_role::pubsub_in;
        if (!pubsub_out_) open_pubsub_stream(protocol, frames);
    } else {
        multistream::append_message(multistream::not_available, reply);
    }
    if (muxer_->write(id, reply, frames)) muxer_->reset(id, frames);
}

void host_connection::serve_ping(std::uint32_t id, stream& s, const_bytes data, bytes& frames) {
    s.pending.insert(s.pending.end(), data.begin(), data.end());
    const std::size_t whole = s.pending.size() / ping_size * ping_size;
    if (whole == 0) return;
    // A peer that pings without reading the answers fills the stream's queue: reset it.
    if (muxer_->write(id, const_bytes(s.pending).first(whole), frames)) return muxer_->reset(id, frames);
    s.pending.erase(s.pending.begin(), s.pending.begin() + static_cast<std::ptrdiff_t>(whole));
}

bytes host_connection::identify_message() const {
    identify_info info;
    info.agent_version = options_.agent_version;
    info.public_key = public_key_protobuf(options_.host->key().public_key());
    info.listen_addrs = options_.listen_addrs;
    info.observed_addr = observed_;
    info.protocols = {std::string(identify_protocol), std::string(ping_protocol)};
    if (options_.pubsub)
        for (const auto p : pubsub::protocols) info.protocols.emplace_back(p);
    return encode_identify(info);
}

}  // namespace sealed::libp2p
