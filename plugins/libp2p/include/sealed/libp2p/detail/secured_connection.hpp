// What host_connection and dialer_connection share below their streams: the phases up to the
// muxer, the hand-over from the Noise handshake to the secure stream (and the bytes that came
// after the last handshake message), and plaintext in and out of it. `Derived` provides
// negotiate_security(chunk, out) (each side's part of agreeing on `/noise`), on_secured(out) (what
// it writes first inside the channel), on_plaintext(plaintext, out) and, once yamux runs,
// on_stream_event(event, frames, out) for every yamux event but GoAway. `Output` has to_write, error and authenticated.
#pragma once

#include <sealed/libp2p/multistream.hpp>
#include <sealed/libp2p/secure_channel.hpp>
#include <sealed/libp2p/yamux.hpp>

#include <optional>
#include <vector>

namespace sealed::libp2p::detail {

enum class connection_phase : unsigned char { security, noise, muxer, streams };

template <class Derived, class Output>
class secured_connection {
public:
    using phase = connection_phase;

    // Stream bytes, in any chunks: what to write back, what happened, or why the connection is over.
    Output on_bytes(const_bytes chunk) {
        Output out;
        if (phase_ == phase::security) self().negotiate_security(chunk, out);
        else on_secured_bytes(chunk, out);
        return out;
    }
    phase current() const noexcept { return phase_; }
    const std::optional<peer_id>& remote_peer() const noexcept { return remote_; }

protected:
    // Bytes past the security negotiation: the handshake's, then the secure stream's.
    void on_secured_bytes(const_bytes chunk, Output& out) {
        if (phase_ == phase::noise) return run_noise(chunk, out);
        bytes plaintext;
        if ((out.error = secure_->open(chunk, plaintext))) return;
        self().on_plaintext(plaintext, out);
    }

    // The handshake's bytes arrive once phase_ is noise (each side sets it after `/noise`).
    void begin_handshake(role r, secure_handshake::options o) { handshake_.emplace(r, std::move(o)); }

    void run_noise(const_bytes chunk, Output& out) {
        auto step = handshake_->on_bytes(chunk);
        out.to_write.insert(out.to_write.end(), step.to_write.begin(), step.to_write.end());
        if ((out.error = step.error) || !step.done) return;
        auto stream = handshake_->take_stream();
        if (!stream) {
            out.error = stream.error();
            return;
        }
        remote_ = handshake_->remote_peer();
        out.authenticated = remote_;
        const auto leftover = handshake_->take_leftover();
        handshake_.reset();
        secure_.emplace(std::move(*stream));
        phase_ = phase::muxer;
        reader_ = multistream::negotiation_reader();
        self().on_secured(out);
        if (leftover.empty() || out.error) return;
        bytes plaintext;
        if (!(out.error = secure_->open(leftover, plaintext))) self().on_plaintext(plaintext, out);
    }

    // Yamux's bytes: each event to the derived side, the data handed out given back to the
    // peer's window. The frames go out even when the muxer refused the input (its GoAway comes
    // first), then its error ends the connection; the peer's GoAway is errc::transport_closed.
    void on_muxer_bytes(const_bytes plaintext, Output& out) {
        bytes frames;
        std::vector<yamux::event> events;
        const auto muxer_error = muxer_->on_bytes(plaintext, frames, events);
        for (auto& e : events) {
            if (e.what == yamux::event::kind::go_away) {
                out.error = errc::transport_closed;
                continue;
            }
            const auto stream = e.stream;
            const auto taken = e.what == yamux::event::kind::data ? e.data.size() : 0;
            self().on_stream_event(e, frames, out);
            if (taken != 0) muxer_->consumed(stream, taken, frames);
        }
        seal(frames, out);
        if (!out.error) out.error = muxer_error;
    }

    void seal(const bytes& plaintext, Output& out) {
        if (plaintext.empty() || out.error) return;
        out.error = secure_->seal(plaintext, out.to_write);
    }

    phase phase_ = phase::security;
    multistream::negotiation_reader reader_;  // security, then the muxer's negotiation
    std::optional<secure_handshake> handshake_;
    std::optional<secure_stream> secure_;
    std::optional<yamux::session> muxer_;
    std::optional<peer_id> remote_;

private:
    Derived& self() { return static_cast<Derived&>(*this); }
};

}  // namespace sealed::libp2p::detail
