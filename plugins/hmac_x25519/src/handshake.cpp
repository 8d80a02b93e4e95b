#include <sealed/hmac_x25519/scheme.hpp>

#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/hash.hpp>
#include <sealed/crypto/random.hpp>
#include <sealed/log.hpp>

#include <stdexcept>

namespace sealed::hmac_x25519 {
namespace json = boost::json;
namespace {

using action = next_action<cipher>;

bytes to_bytes(const std::string& s) { return bytes(s.begin(), s.end()); }

const json::value* field(const json::value& payload, std::string_view key) {
    const auto* o = payload.if_object();
    return o ? o->if_contains(key) : nullptr;
}

std::string string_field(const json::value& payload, std::string_view key) {
    const auto* v = field(payload, key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// A malformed message is a protocol error; a refusal on policy (version, allowlist, identity)
// is 1008. The reason travels in the close frame too (≤ 123 bytes).
std::uint16_t close_code_for(error e) {
    return e == error::invalid_message || e == error::unexpected_type ? close_code::protocol_error
                                                                       : close_code::policy_violation;
}

std::string printable(std::string_view untrusted, std::size_t limit = 120) {
    std::string out;
    for (char c : untrusted.substr(0, limit)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return out;
}

// shared = SHA-256(X25519(own private, peer public)); a low-order peer key is refused.
result<secure_bytes> shared_secret(const node_identity& me, const crypto::x25519_public_key& peer) {
    auto agreed = me.key().agree(peer);
    if (!agreed) return make_error_code(error::invalid_public_key);
    const auto digest = crypto::sha256(*agreed);
    return secure_bytes(digest.begin(), digest.end());
}

}  // namespace

handshake::handshake(role r, options opts) : handshake(r, std::move(opts), handshake_randomness{}) {}

handshake::handshake(role r, options opts, handshake_randomness fixed)
    : role_(r), options_(std::move(opts)), fixed_(std::move(fixed)) {
    if (!options_.identity) throw std::invalid_argument("hmac_x25519::options::identity is required");
}

crypto::x25519_private_key handshake::take_ephemeral() {
    if (!fixed_.ephemeral) return crypto::x25519_private_key::generate();
    auto key = std::move(*fixed_.ephemeral);
    fixed_.ephemeral.reset();
    return key;
}

next_action<cipher> handshake::start() {
    if (role_ == role::server) return action::read();
    if (fixed_.challenge)
        challenge_ = *fixed_.challenge;
    else
        crypto::random_bytes(challenge_);
    json::object payload;
    payload["identity"] = options_.identity->to_json();
    payload["challenge"] = crypto::base64_encode(challenge_);
    payload["version"] = wire::protocol_version;
    if (options_.ephemeral != ephemeral_mode::off) {
        ephemeral_.emplace(take_ephemeral());
        payload[ephemeral_field] = crypto::base64_encode(ephemeral_->public_key().bytes());
    }
    const auto hello = wire::make_envelope(wire::type::handshake, options_.identity->id(),
                                           options_.expected_peer_id, std::move(payload));
    return action::write_then_read(to_bytes(wire::serialize(hello)), message_kind::text);
}

next_action<cipher> handshake::resume(const_bytes in) {
    return role_ == role::server ? respond(in) : verify_ack(in);
}

bool handshake::mix_ephemeral(const json::value& payload, secure_bytes& shared) {
    const auto* announced = field(payload, ephemeral_field);
    if (!announced || options_.ephemeral == ephemeral_mode::off) return true;  // plain Go
    auto raw = announced->is_string() ? crypto::base64_decode(announced->get_string()) : result<bytes>(errc::invalid_encoding);
    auto key = raw ? crypto::x25519_public_key::from_bytes(*raw) : result<crypto::x25519_public_key>(raw.error());
    if (!key) return false;
    if (!ephemeral_) ephemeral_.emplace(take_ephemeral());  // the responder's
    auto agreed = ephemeral_->agree(*key);
    if (!agreed) return false;
    constexpr std::string_view label = "sealed-ephemeral-x25519/1";
    const auto digest = crypto::sha256({as_bytes(label), shared, *agreed});
    shared.assign(digest.begin(), digest.end());
    forward_secret_ = true;
    return true;
}

bool handshake::allowed(const peer_identity& p) const {
    if (options_.mode == auth_mode::open) return true;
    return options_.peers && options_.peers->allows(p);
}

// Responder: the checks in the Go transport's order (type, version, key, allowlist), each
// refusal answered with accepted:false and its reason before the close.
next_action<cipher> handshake::respond(const_bytes in) {
    auto hello = wire::parse(as_string_view(in));
    if (!hello) return refuse(error::invalid_message, "invalid handshake message", "");
    if (hello->type != wire::type::handshake) return refuse(error::unexpected_type, "expected handshake", hello->from);
    if (!hello->payload.is_object()) return refuse(error::invalid_message, "invalid handshake payload", hello->from);
    if (const auto version = string_field(hello->payload, "version"); version != wire::protocol_version)
        return refuse(error::unsupported_version,
                      "incompatible protocol version " + printable(version, 16) + ", supported: [1.0]", hello->from);
    const auto* identity = field(hello->payload, "identity");
    auto peer = identity ? parse_identity(*identity) : result<peer_identity>(make_error_code(error::invalid_message));
    if (!peer) return refuse(static_cast<error>(peer.error().value()), peer.error().message(), hello->from);
    auto shared = shared_secret(*options_.identity, peer->public_key);
    if (!shared) return refuse(error::invalid_public_key, "invalid identity public key", hello->from);
    if (!allowed(*peer)) return refuse(error::peer_not_allowed, "peer not authorized", peer->id);
    auto challenge = crypto::base64_decode(string_field(hello->payload, "challenge"));
    if (!challenge || challenge->size() < 16 || challenge->size() > 64)
        return refuse(error::invalid_challenge, "invalid challenge", peer->id);
    if (!mix_ephemeral(hello->payload, *shared))
        return refuse(error::invalid_public_key, "invalid ephemeral public key", peer->id);
    if (options_.ephemeral == ephemeral_mode::require && !forward_secret_)
        return refuse(error::forward_secrecy_required, "forward secrecy required", peer->id);
    peer_ = std::move(*peer);

    const auto response = crypto::hmac_sha256(*shared, *challenge);
    json::object payload;
    payload["identity"] = options_.identity->to_json();
    payload["challengeResponse"] = crypto::base64_encode(response);
    payload["accepted"] = true;
    if (forward_secret_) payload[ephemeral_field] = crypto::base64_encode(ephemeral_->public_key().bytes());
    const auto ack = wire::make_envelope(wire::type::handshake_ack, options_.identity->id(), peer_->id,
                                         std::move(payload));
    return established_with(*shared).and_write(to_bytes(wire::serialize(ack)), message_kind::text);
}

next_action<cipher> handshake::refuse(error e, std::string_view reason, std::string_view to) {
    json::object payload;
    payload["identity"] = options_.identity->to_json();
    payload["accepted"] = false;
    payload["reason"] = reason;
    const auto ack = wire::make_envelope(wire::type::handshake_ack, options_.identity->id(), to, std::move(payload));
    return action::fail(e, close_reason{close_code_for(e), std::string(reason.substr(0, 120))})
        .and_write(to_bytes(wire::serialize(ack)), message_kind::text);
}

// Initiator: the ack must accept, come from the pinned / allowed node, and prove the shared key.
next_action<cipher> handshake::verify_ack(const_bytes in) {
    const auto fail = [](error e, std::string_view why) {
        return action::fail(e, close_reason{close_code_for(e), std::string(why)});
    };
    auto ack = wire::parse(as_string_view(in));
    if (!ack) return fail(error::invalid_message, "invalid handshake_ack");
    if (ack->type != wire::type::handshake_ack) return fail(error::unexpected_type, "expected handshake_ack");
    const auto* accepted = field(ack->payload, "accepted");
    if (!accepted || !accepted->is_bool()) return fail(error::invalid_message, "invalid handshake_ack");
    if (!accepted->get_bool()) {
        // The peer's words: logged as untrusted text, never part of our error.
        log::get("hmac_x25519").info("handshake refused by peer: \"{}\"", printable(string_field(ack->payload, "reason")));
        return action::fail(error::handshake_refused, close_reason{close_code::normal, "handshake refused"});
    }
    const auto* identity = field(ack->payload, "identity");
    auto peer = identity ? parse_identity(*identity) : result<peer_identity>(make_error_code(error::invalid_message));
    if (!peer) return fail(static_cast<error>(peer.error().value()), peer.error().message());
    if (!options_.expected_peer_id.empty() && peer->id != options_.expected_peer_id)
        return fail(error::peer_not_allowed, "unexpected peer");
    if (!allowed(*peer)) return fail(error::peer_not_allowed, "peer not authorized");
    auto shared = shared_secret(*options_.identity, peer->public_key);
    if (!shared) return fail(error::invalid_public_key, "invalid identity public key");
    if (!mix_ephemeral(ack->payload, *shared)) return fail(error::invalid_public_key, "invalid ephemeral public key");
    if (options_.ephemeral == ephemeral_mode::require && !forward_secret_)
        return fail(error::forward_secrecy_required, "forward secrecy required");
    auto response = crypto::base64_decode(string_field(ack->payload, "challengeResponse"));
    if (!response || !crypto::hmac_sha256_verify(*shared, challenge_, *response))
        return fail(error::bad_challenge_response, "challenge response verification failed");
    peer_ = std::move(*peer);
    return established_with(*shared);
}

next_action<cipher> handshake::established_with(const secure_bytes& shared) {
    ephemeral_.reset();  // forward secrecy: the ephemeral scalar is gone once the key is made
    auto codec = smsg::codec::create(shared);
    if (!codec) return action::fail(codec.error(), close_reason{close_code::internal_error, "internal error"});
    established<cipher> s{cipher(std::move(*codec)), peer_->id, {}, peer_->id, {}};
    return action::done(std::move(s));
}

}  // namespace sealed::hmac_x25519
