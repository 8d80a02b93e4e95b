#include <sealed/libp2p/error.hpp>
#include <sealed/libp2p/secure_channel.hpp>

#include "protobuf_fields.hpp"

#include <protozero/pbf_reader.hpp>
#include <protozero/pbf_writer.hpp>

#include <algorithm>

namespace sealed::libp2p {
namespace {

constexpr std::string_view signature_prefix = "noise-libp2p-static-key:";
constexpr std::size_t max_stream_muxers = 16;

const noise::protocol& xx() {
    static const auto protocol = noise::parse_protocol_name("Noise_XX_25519_ChaChaPoly_SHA256").value();
    return protocol;
}

bytes signed_data(const crypto::x25519_public_key& noise_static) {
    bytes data(signature_prefix.begin(), signature_prefix.end());
    const auto key = noise_static.bytes();
    data.insert(data.end(), key.begin(), key.end());
    return data;
}

void frame(const_bytes message, bytes& out) {
    out.push_back(static_cast<byte>(message.size() >> 8));
    out.push_back(static_cast<byte>(message.size()));
    out.insert(out.end(), message.begin(), message.end());
}

// A whole `u16 length ‖ message` frame at `at` in `buffer`, or nullopt while it is incomplete.
std::optional<const_bytes> next_frame(const bytes& buffer, std::size_t at) {
    if (buffer.size() - at < 2) return std::nullopt;
    const std::size_t length = (std::size_t{buffer[at]} << 8) | buffer[at + 1];
    if (buffer.size() - at - 2 < length) return std::nullopt;
    return const_bytes(buffer).subspan(at + 2, length);
}

}  // namespace

// --- the payload -----------------------------------------------------------------------------

bytes encode_noise_payload(const noise_payload& p) {
    std::string out;
    {
        protozero::pbf_writer writer(out);
        writer.add_bytes(1, reinterpret_cast<const char*>(p.identity_key.data()), p.identity_key.size());
        writer.add_bytes(2, reinterpret_cast<const char*>(p.identity_sig.data()), p.identity_sig.size());
        if (!p.stream_muxers.empty()) {
            protozero::pbf_writer extensions(writer, 4);
            for (const auto& muxer : p.stream_muxers) extensions.add_string(2, muxer);
        }
    }
    return bytes(out.begin(), out.end());
}

result<noise_payload> parse_noise_payload(const_bytes protobuf) {
    noise_payload p;
    bool too_many_muxers = false;
    try {
        detail::for_each_bytes_field(protozero::pbf_reader(reinterpret_cast<const char*>(protobuf.data()), protobuf.size()),
                                     [&](auto tag, protozero::data_view field) {
            if (tag == 1) p.identity_key.assign(field.data(), field.data() + field.size());
            if (tag == 2) p.identity_sig.assign(field.data(), field.data() + field.size());
            if (tag != 4) return;
            protozero::pbf_reader extensions(field);
            while (extensions.next(2, protozero::pbf_wire_type::length_delimited)) {
                if (p.stream_muxers.size() == max_stream_muxers) too_many_muxers = true;
                if (too_many_muxers) return;
                p.stream_muxers.push_back(extensions.get_string());
            }
        });
    } catch (const protozero::exception&) {
        return error::malformed_protobuf;
    }
    if (too_many_muxers || p.identity_key.empty() || p.identity_sig.empty()) return error::malformed_protobuf;
    return p;
}

noise_payload make_noise_payload(const identity& host, const crypto::x25519_public_key& noise_static,
                                 std::vector<std::string> stream_muxers) {
    const auto signature = host.key().sign(signed_data(noise_static));
    return {public_key_protobuf(host.key().public_key()), bytes(signature.begin(), signature.end()),
            std::move(stream_muxers)};
}

std::shared_ptr<const bytes> signed_noise_payload(const identity& host, const crypto::x25519_private_key& noise_static) {
    return std::make_shared<const bytes>(encode_noise_payload(make_noise_payload(host, noise_static.public_key())));
}

result<peer_id> verify_noise_payload(const noise_payload& p, const crypto::x25519_public_key& noise_static) {
    auto key = parse_public_key_protobuf(p.identity_key);
    if (!key) return key.error();
    if (!key->verify(signed_data(noise_static), p.identity_sig)) return error::bad_signature;
    return peer_id::from_public_key(*key);
}

// --- the stream after the handshake --------------------------------------------------------------

error_code secure_stream::seal(const_bytes plaintext, bytes& out) {
    std::size_t done = 0;
    do {
        const auto chunk = plaintext.subspan(done, std::min(noise::max_message_size - noise::tag_size, plaintext.size() - done));
        done += chunk.size();
        const auto length = chunk.size() + noise::tag_size;
        out.push_back(static_cast<byte>(length >> 8));
        out.push_back(static_cast<byte>(length));
        if (auto ec = send_.encrypt_with_ad({}, chunk, out)) return ec;
    } while (done < plaintext.size());
    return {};
}

error_code secure_stream::open(const_bytes chunk, bytes& out) {
    if (failed_) return errc::decrypt_failed;
    pending_.insert(pending_.end(), chunk.begin(), chunk.end());
    std::size_t at = 0;
    while (auto frame = next_frame(pending_, at)) {
        if (auto ec = receive_.decrypt_with_ad({}, *frame, out)) {
            failed_ = true;
            pending_.clear();
            return ec;
        }
        at += 2 + frame->size();
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(at));
    return {};
}

// --- the handshake ---------------------------------------------------------------------------

secure_handshake::secure_handshake(role r, options o) : role_(r), options_(std::move(o)) {
    if (!options_.host) {
        setup_error_ = errc::invalid_argument;
        return;
    }
    if (!options_.noise_static)
        options_.noise_static = std::make_shared<const crypto::x25519_private_key>(crypto::x25519_private_key::generate());
    noise::handshake_keys keys;
    keys.local_static = options_.noise_static;
    auto made = noise::handshake_state::create(xx(), r, std::move(keys), options_.ephemerals);
    if (!made) {
        setup_error_ = made.error();
        return;
    }
    state_.emplace(std::move(*made));
}

bytes secure_handshake::start() {
    bytes out;
    if (state_ && state_->my_turn() && write_message(out)) failed_ = true;
    return out;
}

secure_handshake::step secure_handshake::on_bytes(const_bytes chunk) {
    step out;
    if (!state_ || failed_) {
        out.error = setup_error_ ? setup_error_ : make_error_code(errc::protocol_violation);
        return out;
    }
    pending_.insert(pending_.end(), chunk.begin(), chunk.end());
    std::size_t at = 0;
    while (!state_->complete()) {
        auto frame = next_frame(pending_, at);
        if (!frame) break;
        at += 2 + frame->size();
        if ((out.error = read_frame(*frame, out))) {
            failed_ = true;
            return out;
        }
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(at));
    out.done = state_->complete();
    return out;
}

error_code secure_handshake::read_frame(const_bytes frame, step& out) {
    bytes payload;
    if (auto ec = state_->read_message(frame, payload)) return ec;
    // The message that carried the peer's static key carries its payload.
    if (state_->remote_static() && !remote_peer_)
        if (auto ec = verify_remote(payload)) return ec;
    if (state_->my_turn()) return write_message(out.to_write);
    return {};
}

error_code secure_handshake::verify_remote(const bytes& payload) {
    auto parsed = parse_noise_payload(payload);
    if (!parsed) return parsed.error();
    auto peer = verify_noise_payload(*parsed, *state_->remote_static());
    if (!peer) return peer.error();
    if (options_.expected_peer && *peer != *options_.expected_peer) return error::peer_id_mismatch;
    remote_peer_ = std::move(*peer);
    remote_muxers_ = std::move(parsed->stream_muxers);
    return {};
}

// XX: the initiator's first message (e) carries no payload; every later message carries ours.
bool secure_handshake::payload_due() const { return !(role_ == role::client && !remote_peer_); }

error_code secure_handshake::write_message(bytes& out) {
    bytes payload;
    if (payload_due() && options_.signed_payload && options_.stream_muxers.empty())
        payload = *options_.signed_payload;
    else if (payload_due())
        payload = encode_noise_payload(
            make_noise_payload(*options_.host, options_.noise_static->public_key(), options_.stream_muxers));
    bytes message;
    if (auto ec = state_->write_message(payload, message)) return ec;
    frame(message, out);
    return {};
}

result<secure_stream> secure_handshake::take_stream() {
    if (!state_ || !state_->complete() || !remote_peer_) return errc::unexpected_message;
    auto ciphers = state_->split();
    if (!ciphers) return ciphers.error();
    state_.reset();
    auto& [initiator_to_responder, responder_to_initiator] = *ciphers;
    if (role_ == role::client) return secure_stream(std::move(initiator_to_responder), std::move(responder_to_initiator));
    return secure_stream(std::move(responder_to_initiator), std::move(initiator_to_responder));
}

}  // namespace sealed::libp2p
