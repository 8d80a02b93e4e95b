#include <sealed/libp2p/yamux.hpp>

#include <algorithm>

namespace sealed::libp2p::yamux {
namespace {

std::uint32_t read_u32(const byte* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

void put_u32(std::uint32_t v, bytes& out) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<byte>(v >> shift));
}

}  // namespace

void append_header(const header& h, bytes& out) {
    out.push_back(0);
    out.push_back(static_cast<byte>(h.type));
    out.push_back(static_cast<byte>(h.flags >> 8));
    out.push_back(static_cast<byte>(h.flags));
    put_u32(h.stream, out);
    put_u32(h.length, out);
}

error_code session::on_bytes(const_bytes chunk, bytes& out, std::vector<event>& events) {
    if (ended_) return errc::transport_closed;
    pending_.insert(pending_.end(), chunk.begin(), chunk.end());
    std::size_t at = 0;
    while (pending_.size() - at >= header_size) {
        const byte* p = pending_.data() + at;
        if (p[0] != 0 || p[1] > static_cast<byte>(frame_type::go_away)) return protocol_error(out);
        const header h{static_cast<frame_type>(p[1]), static_cast<std::uint16_t>((p[2] << 8) | p[3]), read_u32(p + 4),
                       read_u32(p + 8)};
        std::size_t body = h.type == frame_type::data ? h.length : 0;
        // A data frame past the stream's window is an error before its bytes arrive.
        if (h.type == frame_type::data && body > initial_window) return protocol_error(out);
        if (pending_.size() - at - header_size < body) break;
        if (auto ec = on_frame(h, const_bytes(pending_).subspan(at + header_size, body), out, events)) return ec;
        at += header_size + body;
        if (ended_) break;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(at));
    return {};
}

error_code session::on_frame(const header& h, const_bytes body, bytes& out, std::vector<event>& events) {
    switch (h.type) {
    case frame_type::ping:
        // A ping asks (SYN) for the same opaque value back; an answer to ours needs nothing.
        if (h.flags & flags::syn) append_header({frame_type::ping, flags::ack, 0, h.length}, out);
        return {};
    case frame_type::go_away:
        ended_ = true;
        events.push_back({event::kind::go_away, 0, {}});
        return {};
    default: return h.stream == 0 ? protocol_error(out) : on_stream_frame(h, body, out, events);
    }
}

error_code session::on_stream_frame(const header& h, const_bytes body, bytes& out, std::vector<event>& events) {
    stream_state* s = nullptr;
    if (h.flags & flags::syn) {
        // The peer opens streams of its parity only, and each id once.
        const bool peers_parity = (h.stream % 2 == 1) != dialer_;
        if (!peers_parity || streams_.contains(h.stream)) return protocol_error(out);
        s = accept_stream(h.stream, out, events);
        if (!s) return {};  // over the limit: reset, the frame's data dropped
    } else {
        auto it = streams_.find(h.stream);
        if (it == streams_.end()) return {};  // a stream we reset or finished: late frames are fine
        s = &it->second;
    }
    if (h.flags & flags::rst) {
        streams_.erase(h.stream);
        events.push_back({event::kind::reset, h.stream, {}});
        return {};
    }
    if (h.type == frame_type::window_update) {
        s->send_window = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{s->send_window} + h.length, 0xffffffffu));
        flush(h.stream, *s, out);
    } else if (!body.empty()) {
        if (body.size() > s->receive_window || s->remote_closed) return protocol_error(out);
        s->receive_window -= static_cast<std::uint32_t>(body.size());
        events.push_back({event::kind::data, h.stream, bytes(body.begin(), body.end())});
    }
    if (h.flags & flags::fin) {
        s->remote_closed = true;
        events.push_back({event::kind::remote_closed, h.stream, {}});
        finish_if_done(h.stream);
    }
    return {};
}

session::stream_state* session::accept_stream(std::uint32_t id, bytes& out, std::vector<event>& events) {
    if (streams_.size() >= limits_.max_streams) {
        ++refused_streams_;
        append_header({frame_type::window_update, flags::rst, id, 0}, out);
        return nullptr;
    }
    append_header({frame_type::window_update, flags::ack, id, 0}, out);
    events.push_back({event::kind::opened, id, {}});
    return &streams_[id];
}

std::uint32_t session::open_stream(bytes& out) {
    const auto id = next_id_;
    next_id_ += 2;
    streams_[id];
    append_header({frame_type::window_update, flags::syn, id, 0}, out);
    return id;
}

error_code session::write(std::uint32_t stream, const_bytes data, bytes& out) {
    auto it = streams_.find(stream);
    if (it == streams_.end() || it->second.local_closed || ended_) return errc::transport_closed;
    auto& s = it->second;
    if (s.send_queue.size() + data.size() > limits_.max_send_queue) return errc::send_queue_full;
    s.send_queue.insert(s.send_queue.end(), data.begin(), data.end());
    flush(stream, s, out);
    return {};
}

// Sends what the peer's window takes, in frames of at most 64 KiB as js does; a FIN asked for
// goes out once the queue is empty.
void session::flush(std::uint32_t id, stream_state& s, bytes& out) {
    constexpr std::size_t max_frame = 64 * 1024;
    std::size_t sent = 0;
    while (sent < s.send_queue.size() && s.send_window > 0) {
        const auto n = std::min({s.send_queue.size() - sent, max_frame, std::size_t{s.send_window}});
        append_header({frame_type::data, 0, id, static_cast<std::uint32_t>(n)}, out);
        out.insert(out.end(), s.send_queue.begin() + static_cast<std::ptrdiff_t>(sent),
                   s.send_queue.begin() + static_cast<std::ptrdiff_t>(sent + n));
        s.send_window -= static_cast<std::uint32_t>(n);
        sent += n;
    }
    s.send_queue.erase(s.send_queue.begin(), s.send_queue.begin() + static_cast<std::ptrdiff_t>(sent));
    if (s.fin_queued && s.send_queue.empty()) {
        s.fin_queued = false;
        append_header({frame_type::window_update, flags::fin, id, 0}, out);
        finish_if_done(id);
    }
}

void session::close(std::uint32_t stream, bytes& out) {
    auto it = streams_.find(stream);
    if (it == streams_.end() || it->second.local_closed) return;
    it->second.local_closed = true;
    it->second.fin_queued = true;
    flush(stream, it->second, out);
}

void session::reset(std::uint32_t stream, bytes& out) {
    if (streams_.erase(stream) == 0) return;
    append_header({frame_type::window_update, flags::rst, stream, 0}, out);
}

void session::go_away(go_away_code code, bytes& out) {
    if (ended_) return;
    ended_ = true;
    append_header({frame_type::go_away, 0, 0, static_cast<std::uint32_t>(code)}, out);
}

void session::consumed(std::uint32_t stream, std::size_t n, bytes& out) {
    auto it = streams_.find(stream);
    if (it == streams_.end()) return;
    auto& s = it->second;
    s.unacknowledged += n;
    if (s.unacknowledged < initial_window / 2 || s.remote_closed) return;
    append_header({frame_type::window_update, 0, stream, static_cast<std::uint32_t>(s.unacknowledged)}, out);
    s.receive_window += static_cast<std::uint32_t>(s.unacknowledged);
    s.unacknowledged = 0;
}

void session::finish_if_done(std::uint32_t id) {
    auto it = streams_.find(id);
    if (it != streams_.end() && it->second.remote_closed && it->second.local_closed && !it->second.fin_queued)
        streams_.erase(it);
}

error_code session::protocol_error(bytes& out) {
    go_away(go_away_code::protocol_error, out);
    return errc::protocol_violation;
}

}  // namespace sealed::libp2p::yamux
