#include <sealed/libp2p/dialer.hpp>

namespace sealed::libp2p {
namespace {

std::string line(std::string_view protocol) { return std::string(protocol) + "\n"; }

std::string without_newline(const std::string& message) {
    return message.empty() ? message : message.substr(0, message.size() - 1);
}

}  // namespace

dialer_connection::dialer_connection(dialer_options options) : options_(std::move(options)) {
    if (!options_.self) options_.self = std::make_shared<const identity>(identity::generate());
}

bytes dialer_connection::start() {
    bytes out;
    multistream::append_message(multistream::protocol_id, out);
    multistream::append_message(line(noise_protocol), out);
    begin_handshake(role::client,
                    secure_handshake::options{options_.self, options_.noise_static, {}, options_.expected_peer, {}});
    const auto first = handshake_->start();
    out.insert(out.end(), first.begin(), first.end());
    return out;
}

// The host's header, then its echo of `/noise` (anything else ends the dial): the handshake's
// bytes follow.
void dialer_connection::negotiate_security(const_bytes chunk, output& out) {
    reader_.feed(chunk);
    auto message = reader_.next();
    if (!message) {
        out.error = message.error();
        return;
    }
    if (!*message) return;
    if (**message != line(noise_protocol)) {
        out.error = errc::protocol_violation;
        return;
    }
    phase_ = phase::noise;
    run_noise(reader_.take_rest(), out);
}

// Inside the channel: our header and the muxer we want.
void dialer_connection::on_secured(output& out) {
    bytes propose;
    multistream::append_message(multistream::protocol_id, propose);
    multistream::append_message(line(yamux::protocol), propose);
    seal(propose, out);
}

void dialer_connection::on_plaintext(const_bytes plaintext, output& out) {
    if (phase_ == phase::streams) return on_muxer_bytes(plaintext, out);
    reader_.feed(plaintext);
    auto message = reader_.next();
    if (!message) {
        out.error = message.error();
        return;
    }
    if (!*message) return;
    if (**message != line(yamux::protocol)) {
        out.error = errc::protocol_violation;
        return;
    }
    phase_ = phase::streams;
    muxer_.emplace(true, options_.yamux_limits);
    const auto rest = reader_.take_rest();
    if (!rest.empty()) on_muxer_bytes(rest, out);
}

void dialer_connection::on_stream_event(yamux::event& e, bytes& frames, output& out) {
    switch (e.what) {
    case yamux::event::kind::opened: streams_[e.stream].inbound = true; break;
    case yamux::event::kind::data:
        if (auto it = streams_.find(e.stream); it != streams_.end())
            on_stream_data(e.stream, it->second, std::move(e.data), frames, out);
        break;
    case yamux::event::kind::remote_closed: out.events.push_back({stream_event::kind::closed, e.stream, {}, {}}); break;
    case yamux::event::kind::reset:
        streams_.erase(e.stream);
        out.events.push_back({stream_event::kind::reset, e.stream, {}, {}});
        break;
    case yamux::event::kind::go_away: break;  // secured_connection's
    }
}

void dialer_connection::on_stream_data(std::uint32_t id, stream& s, bytes data, bytes& frames, output& out) {
    if (s.negotiated) {
        out.events.push_back({stream_event::kind::data, id, {}, std::move(data)});
        return;
    }
    s.reader.feed(data);
    if (!negotiate(id, s, frames, out)) return;
    auto rest = s.reader.take_rest();
    if (!rest.empty()) out.events.push_back({stream_event::kind::data, id, {}, std::move(rest)});
}

// Our stream: the host's answer to our proposal. Theirs: its proposals, each answered (our
// header with the first answer). True once the stream carries its protocol.
bool dialer_connection::negotiate(std::uint32_t id, stream& s, bytes& frames, output& out) {
    bytes reply;
    for (;;) {
        auto message = s.reader.next();
        if (!message) {
            muxer_->reset(id, frames);
            out.events.push_back({stream_event::kind::reset, id, {}, {}});
            streams_.erase(id);
            return false;
        }
        if (!*message) break;
        if (!s.inbound) {
            const bool echoed = **message == line(s.protocol);
            out.events.push_back({echoed ? stream_event::kind::selected : stream_event::kind::refused, id, s.protocol, {}});
            if (echoed) return s.negotiated = true;
            muxer_->close(id, frames);
            streams_.erase(id);
            return false;
        }
        if (!s.header_sent) multistream::append_message(multistream::protocol_id, reply);
        s.header_sent = true;
        const auto proposed = without_newline(**message);
        if (!options_.accept.contains(proposed)) {
            multistream::append_message(multistream::not_available, reply);
            continue;
        }
        multistream::append_message(**message, reply);
        s.protocol = proposed;
        s.negotiated = true;
        out.events.push_back({stream_event::kind::accepted, id, proposed, {}});
        break;
    }
    if (!reply.empty() && muxer_->write(id, reply, frames)) muxer_->reset(id, frames);
    return s.negotiated;
}

std::uint32_t dialer_connection::open_stream(std::string_view protocol, const_bytes early, bytes& to_write) {
    bytes frames;
    const auto id = muxer_->open_stream(frames);
    auto& s = streams_[id];
    s.protocol = std::string(protocol);
    bytes propose;
    multistream::append_message(multistream::protocol_id, propose);
    multistream::append_message(line(protocol), propose);
    propose.insert(propose.end(), early.begin(), early.end());
    if (muxer_->write(id, propose, frames)) muxer_->reset(id, frames);
    (void)write_below_muxer(frames, to_write);
    return id;
}

error_code dialer_connection::write(std::uint32_t stream, const_bytes data, bytes& to_write) {
    bytes frames;
    if (auto ec = muxer_->write(stream, data, frames)) return ec;
    return write_below_muxer(frames, to_write);
}

void dialer_connection::close(std::uint32_t stream, bytes& to_write) {
    bytes frames;
    muxer_->close(stream, frames);
    (void)write_below_muxer(frames, to_write);
}

void dialer_connection::reset(std::uint32_t stream, bytes& to_write) {
    bytes frames;
    muxer_->reset(stream, frames);
    streams_.erase(stream);
    (void)write_below_muxer(frames, to_write);
}

void dialer_connection::go_away(bytes& to_write) {
    bytes frames;
    muxer_->go_away(yamux::go_away_code::normal, frames);
    (void)write_below_muxer(frames, to_write);
}

error_code dialer_connection::write_below_muxer(const_bytes plaintext, bytes& to_write) {
    if (plaintext.empty()) return {};
    return secure_->seal(plaintext, to_write);
}

}  // namespace sealed::libp2p
