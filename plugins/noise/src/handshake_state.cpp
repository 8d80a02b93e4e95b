#include <sealed/noise/handshake_state.hpp>

#include <algorithm>
#include <stdexcept>

namespace sealed::noise {
namespace {

bool sends_static(const handshake_pattern& p, bool initiator) {
    const auto& pre = initiator ? p.initiator_premessage : p.responder_premessage;
    if (std::find(pre.begin(), pre.end(), token::s) != pre.end()) return true;
    return std::any_of(p.messages.begin(), p.messages.end(), [&](const message_pattern& m) {
        return m.from_initiator == initiator && std::find(m.tokens.begin(), m.tokens.end(), token::s) != m.tokens.end();
    });
}

bool knows_remote_static_before(const handshake_pattern& p, bool initiator) {
    const auto& pre = initiator ? p.responder_premessage : p.initiator_premessage;
    return std::find(pre.begin(), pre.end(), token::s) != pre.end();
}

}  // namespace

result<handshake_state> handshake_state::create(const protocol& p, role r, handshake_keys keys,
                                                ephemeral_source ephemerals) {
    const bool initiator = r == role::client;
    if (keys.psks.size() != p.pattern.psk_count) return errc::invalid_key;
    for (const auto& psk : keys.psks)
        if (psk.size() != key_size) return errc::invalid_key;
    if (sends_static(p.pattern, initiator) && !keys.local_static) return errc::invalid_key;
    if (knows_remote_static_before(p.pattern, initiator) && !keys.remote_static) return errc::invalid_key;
    handshake_state state(p, r, std::move(keys), std::move(ephemerals));
    if (auto ec = state.mix_premessages()) return ec;
    return state;
}

handshake_state::handshake_state(const protocol& p, role r, handshake_keys keys, ephemeral_source ephemerals)
    : pattern_(p.pattern), symmetric_(p.name), initiator_(r == role::client), s_(std::move(keys.local_static)),
      rs_(std::move(keys.remote_static)), psks_(std::move(keys.psks)), ephemerals_(std::move(ephemerals)) {
    symmetric_.mix_hash(keys.prologue);
}

// The initiator's pre-message, then the responder's (§5.3 Initialize). Only static keys are
// pre-shared by the patterns this build knows (the fallback patterns pre-share an ephemeral).
error_code handshake_state::mix_premessages() {
    for (const bool of_initiator : {true, false}) {
        const auto& pre = of_initiator ? pattern_.initiator_premessage : pattern_.responder_premessage;
        for (const auto t : pre) {
            if (t != token::s) return errc::unsupported_algorithm;
            const auto& key = of_initiator == initiator_ ? s_->public_key() : *rs_;
            symmetric_.mix_hash(key.bytes());
        }
    }
    return {};
}

bool handshake_state::my_turn() const noexcept {
    return !failed_ && next_ < pattern_.messages.size() && pattern_.messages[next_].from_initiator == initiator_;
}

error_code handshake_state::write_message(const_bytes payload, bytes& out) {
    if (!my_turn()) return errc::unexpected_message;
    const auto start = out.size();
    for (const auto t : pattern_.messages[next_].tokens)
        if (auto ec = write_token(t, out)) return fail(ec);
    if (auto ec = symmetric_.encrypt_and_hash(payload, out)) return fail(ec);
    if (out.size() - start > max_message_size) return fail(errc::message_too_big);
    ++next_;
    return {};
}

error_code handshake_state::read_message(const_bytes message, bytes& out) {
    if (failed_ || next_ >= pattern_.messages.size() || my_turn()) return errc::unexpected_message;
    if (message.size() > max_message_size) return fail(errc::message_too_big);
    for (const auto t : pattern_.messages[next_].tokens)
        if (auto ec = read_token(t, message)) return fail(ec);
    if (auto ec = symmetric_.decrypt_and_hash(message, out)) return fail(ec);
    ++next_;
    return {};
}

error_code handshake_state::write_token(token t, bytes& out) {
    switch (t) {
    case token::e: {
        e_.emplace(ephemerals_ ? ephemerals_() : crypto::x25519_private_key::generate());
        const auto pub = e_->public_key().bytes();
        out.insert(out.end(), pub.begin(), pub.end());
        symmetric_.mix_hash(pub);
        // §9.2: in a PSK handshake the ephemeral also keys the cipher.
        return pattern_.psk_count > 0 ? symmetric_.mix_key(pub) : error_code{};
    }
    case token::s: return symmetric_.encrypt_and_hash(s_->public_key().bytes(), out);
    case token::psk: return symmetric_.mix_key_and_hash(psks_.at(next_psk_++));
    default: return mix_dh(t);
    }
}

error_code handshake_state::read_token(token t, const_bytes& in) {
    switch (t) {
    case token::e: {
        if (in.size() < crypto::x25519_public_key::encoded_size) return errc::protocol_violation;
        const auto pub = in.first(crypto::x25519_public_key::encoded_size);
        in = in.subspan(pub.size());
        auto key = crypto::x25519_public_key::from_bytes(pub);
        if (!key) return key.error();
        re_ = *key;
        symmetric_.mix_hash(pub);
        return pattern_.psk_count > 0 ? symmetric_.mix_key(pub) : error_code{};
    }
    case token::s: {
        const auto size = crypto::x25519_public_key::encoded_size + (symmetric_.has_key() ? tag_size : 0);
        if (in.size() < size) return errc::protocol_violation;
        bytes opened;
        if (auto ec = symmetric_.decrypt_and_hash(in.first(size), opened)) return ec;
        in = in.subspan(size);
        auto key = crypto::x25519_public_key::from_bytes(opened);
        if (!key) return key.error();
        rs_ = *key;
        return {};
    }
    case token::psk: return symmetric_.mix_key_and_hash(psks_.at(next_psk_++));
    default: return mix_dh(t);
    }
}

// ee, es, se, ss: the first letter names the initiator's key, the second the responder's.
error_code handshake_state::mix_dh(token t) {
    const bool initiator_static = t == token::se || t == token::ss;
    const bool responder_static = t == token::es || t == token::ss;
    const bool local_static = initiator_ ? initiator_static : responder_static;
    const bool remote_static = initiator_ ? responder_static : initiator_static;
    const crypto::x25519_private_key* local = local_static ? s_.get() : (e_ ? &*e_ : nullptr);
    const auto& remote = remote_static ? rs_ : re_;
    if (!local || !remote) return errc::protocol_violation;
    auto secret = local->agree(*remote);
    if (!secret) return secret.error();
    return symmetric_.mix_key(*secret);
}

result<std::pair<cipher_state, cipher_state>> handshake_state::split() const {
    if (!complete()) throw std::logic_error("noise: split() before the handshake is complete");
    return symmetric_.split();
}

}  // namespace sealed::noise
