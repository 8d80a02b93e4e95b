// yamux (libp2p/specs yamux/README.md) as a sans-I/O session: fed the decrypted connection
// bytes, it answers what the protocol answers by itself (stream ACKs, pings, window updates,
// RSTs past the stream limit, GoAway on a protocol error) and reports stream events to the
// caller, who writes on streams through it. Frames: a 12-byte header
//   version (0) | type (0 data, 1 window update, 2 ping, 3 go away) | flags u16 | stream u32 | length u32
// then `length` bytes for data frames. The dialer's streams have odd ids, the listener's even.
// Receive windows are 256 KiB per stream and never raised past it, so nothing buffered here
// exceeds a window per stream; sends wait for the peer's window in a bounded queue per stream.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/error.hpp>

#include <cstdint>
#include <map>
#include <vector>

namespace sealed::libp2p::yamux {

inline constexpr std::string_view protocol = "/yamux/1.0.0";
inline constexpr std::size_t header_size = 12;
inline constexpr std::uint32_t initial_window = 256 * 1024;

enum class frame_type : std::uint8_t { data = 0, window_update = 1, ping = 2, go_away = 3 };
namespace flags {
inline constexpr std::uint16_t syn = 1, ack = 2, fin = 4, rst = 8;
}
enum class go_away_code : std::uint32_t { normal = 0, protocol_error = 1, internal_error = 2 };

struct header {
    frame_type type;
    std::uint16_t flags;
    std::uint32_t stream;
    std::uint32_t length;
};
void append_header(const header& h, bytes& out);

struct limits {
    std::size_t max_streams = 128;          // open at once; one more is reset
    std::size_t max_send_queue = 1 << 20;   // bytes waiting for the peer's window, per stream
};

struct event {
    enum class kind : std::uint8_t { opened, data, remote_closed, reset, go_away } what;
    std::uint32_t stream = 0;
    bytes data;  // kind::data
};

class session {
public:
    // `dialer`: this side dialled the connection (odd stream ids), else it listens (even).
    session(bool dialer, limits l = {}) : dialer_(dialer), limits_(l), next_id_(dialer ? 1 : 2) {}

    // Frames for the peer go to `out`, what happened to `events`. errc::protocol_violation (after
    // a GoAway(protocol error) in `out`) for a frame the protocol forbids: unknown version or
    // type, a window overrun, a stream id of the wrong parity. The session is over after it.
    error_code on_bytes(const_bytes chunk, bytes& out, std::vector<event>& events);

    // A new stream of ours (SYN on a window update).
    std::uint32_t open_stream(bytes& out);
    // Data on a stream: sent as far as the peer's window allows, the rest queued until it grows;
    // errc::send_queue_full past limits.max_send_queue, errc::transport_closed for a stream
    // that is gone or that we closed.
    error_code write(std::uint32_t stream, const_bytes data, bytes& out);
    void close(std::uint32_t stream, bytes& out);  // FIN: we send no more
    void reset(std::uint32_t stream, bytes& out);  // RST: the stream is gone
    void go_away(go_away_code code, bytes& out);
    // The app took `n` bytes of `stream`'s data: the window opens again (in half-window steps).
    void consumed(std::uint32_t stream, std::size_t n, bytes& out);

    std::size_t stream_count() const noexcept { return streams_.size(); }
    // Streams the peer opened past limits.max_streams (each was reset), since the start.
    std::size_t refused_streams() const noexcept { return refused_streams_; }
    bool ended() const noexcept { return ended_; }

private:
    struct stream_state {
        std::uint32_t receive_window = initial_window;  // what the peer may still send
        std::uint32_t send_window = initial_window;     // what we may still send
        std::size_t unacknowledged = 0;                 // consumed, not yet given back
        bytes send_queue;
        bool local_closed = false, remote_closed = false, fin_queued = false;
    };

    error_code on_frame(const header& h, const_bytes body, bytes& out, std::vector<event>& events);
    error_code on_stream_frame(const header& h, const_bytes body, bytes& out, std::vector<event>& events);
    stream_state* accept_stream(std::uint32_t id, bytes& out, std::vector<event>& events);
    void flush(std::uint32_t id, stream_state& s, bytes& out);
    void finish_if_done(std::uint32_t id);
    error_code protocol_error(bytes& out);

    bool dialer_;
    limits limits_;
    std::uint32_t next_id_;
    std::map<std::uint32_t, stream_state> streams_;
    bytes pending_;
    std::size_t refused_streams_ = 0;
    bool ended_ = false;
};

}  // namespace sealed::libp2p::yamux
