#include <sealed/noise/scheme.hpp>

#include <algorithm>

namespace sealed::noise {

// --- cipher ----------------------------------------------------------------------------------

error_code cipher::seal(const_bytes plaintext, message_buffer& out) {
    auto wire = out.resize(wire_size(plaintext.size()));
    std::size_t at = 0;
    std::size_t done = 0;
    do {
        const auto chunk = plaintext.subspan(done, std::min(max_frame_plaintext, plaintext.size() - done));
        done += chunk.size();
        const byte last[1] = {static_cast<byte>(done == plaintext.size())};
        const auto length = chunk.size() + tag_size;
        wire[at] = static_cast<byte>(length >> 8);
        wire[at + 1] = static_cast<byte>(length);
        if (auto ec = send_.encrypt_with_ad(last, chunk, wire.subspan(at + frame_header_size, length))) {
            out.clear();
            return ec;
        }
        at += frame_header_size + length;
    } while (done < plaintext.size());
    return {};
}

error_code cipher::open(const_bytes wire, message_buffer& out) {
    // First the framing, so nothing is decrypted from a message that is not whole frames.
    std::size_t plaintext_size = 0;
    for (std::size_t at = 0; at < wire.size();) {
        if (wire.size() - at < frame_header_size) return error::bad_frame;
        const std::size_t length = (std::size_t{wire[at]} << 8) | wire[at + 1];
        if (length < tag_size || length > wire.size() - at - frame_header_size) return error::bad_frame;
        plaintext_size += length - tag_size;
        at += frame_header_size + length;
    }
    if (wire.empty()) return error::bad_frame;
    auto plaintext = out.resize(plaintext_size);
    std::size_t written = 0;
    for (std::size_t at = 0; at < wire.size();) {
        const std::size_t length = (std::size_t{wire[at]} << 8) | wire[at + 1];
        const auto frame = wire.subspan(at + frame_header_size, length);
        at += frame_header_size + length;
        const byte last[1] = {static_cast<byte>(at == wire.size())};
        if (auto ec = receive_.decrypt_with_ad(last, frame, plaintext.subspan(written, length - tag_size))) {
            std::fill(plaintext.begin(), plaintext.end(), byte{0});
            out.clear();
            return ec;
        }
        written += length - tag_size;
    }
    return {};
}

// --- handshake -------------------------------------------------------------------------------

handshake::handshake(role r, const options& o, ephemeral_source ephemerals)
    : role_(r), allowed_(o.allowed), expected_peer_(o.expected_peer), time_limit_(o.handshake_timeout) {
    auto protocol = parse_protocol_name(o.protocol_name);
    if (!protocol) {
        setup_error_ = protocol.error();
        return;
    }
    handshake_keys keys;
    keys.local_static = o.static_key;
    if (r == role::client) keys.remote_static = o.expected_peer;
    keys.prologue = o.prologue;
    auto made = handshake_state::create(*protocol, r, std::move(keys), std::move(ephemerals));
    if (!made) {
        setup_error_ = made.error() == errc::invalid_key && !o.static_key ? make_error_code(error::no_static_key)
                                                                           : made.error();
        return;
    }
    state_.emplace(std::move(*made));
}

handshake::action handshake::start() {
    if (!state_) return refuse(setup_error_, "handshake not configured");
    return advance();
}

handshake::action handshake::resume(const_bytes in) {
    // One handshake message per transport message, in one frame.
    if (in.size() < frame_header_size || ((std::size_t{in[0]} << 8) | in[1]) != in.size() - frame_header_size)
        return refuse(error::bad_frame, "bad handshake frame");
    bytes payload;
    if (auto ec = state_->read_message(in.subspan(frame_header_size), payload)) return refuse(ec, "handshake failed");
    if (auto ec = check_peer()) return refuse(ec, ec.message());
    return advance();
}

// Writes while it is this side's turn (one message at most: patterns alternate), then reads or
// finishes.
handshake::action handshake::advance() {
    if (state_->complete()) return finish({});
    if (!state_->my_turn()) return action::read();
    bytes message(frame_header_size);
    if (auto ec = state_->write_message({}, message)) return refuse(ec, "handshake failed");
    const auto length = message.size() - frame_header_size;
    message[0] = static_cast<byte>(length >> 8);
    message[1] = static_cast<byte>(length);
    if (state_->complete()) return finish(std::move(message));
    return action::write_then_read(std::move(message));
}

// The peer's static key is checked as soon as it is known: a client learns the server's from
// XX's second message and refuses it before sending its own identity.
error_code handshake::check_peer() {
    const auto& peer = state_->remote_static();
    if (peer_checked_ || !peer) return {};
    peer_checked_ = true;
    if (role_ == role::client && expected_peer_ && *peer != *expected_peer_) return error::unexpected_peer;
    if (allowed_ && !allowed_->allows(*peer)) return error::peer_not_allowed;
    return {};
}

handshake::action handshake::finish(bytes last_message) {
    auto ciphers = state_->split();
    if (!ciphers) return refuse(ciphers.error(), "handshake failed");
    auto& [initiator_to_responder, responder_to_initiator] = *ciphers;
    const bool initiator = role_ == role::client;
    cipher session(std::move(initiator ? initiator_to_responder : responder_to_initiator),
                   std::move(initiator ? responder_to_initiator : initiator_to_responder));
    const auto& peer = state_->remote_static();
    established<cipher> done{std::move(session), peer ? peer_id_of(*peer) : std::string{}, {}, {}, {}};
    state_.reset();  // the ephemeral key goes now, not with the handshake object
    auto next = action::done(std::move(done));
    if (!last_message.empty()) return std::move(next).and_write(std::move(last_message));
    return next;
}

handshake::action handshake::refuse(error_code ec, std::string_view why) {
    return action::fail(ec, close_reason{close_code::policy_violation, std::string(why)});
}

}  // namespace sealed::noise
