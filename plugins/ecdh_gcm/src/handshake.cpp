#include <sealed/ecdh_gcm/scheme.hpp>

#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/kdf.hpp>
#include <sealed/crypto/random.hpp>

namespace sealed::ecdh_gcm {
namespace {

bytes to_bytes(const std::string& s) { return bytes(s.begin(), s.end()); }

// A UUID, as IGNIS's crypto.randomUUID(): clients written against IGNIS check the shape.
std::string new_client_id() { return crypto::random_uuid(); }

}  // namespace

handshake::handshake(role r, options opts) : role_(r), options_(std::move(opts)) {}
handshake::handshake(role r, options opts, handshake_randomness fixed)
    : role_(r), options_(std::move(opts)), fixed_(std::move(fixed)) {}

crypto::p256_private_key handshake::take_ephemeral() {
    if (!fixed_.ephemeral) return crypto::p256_private_key::generate();
    auto key = std::move(*fixed_.ephemeral);
    fixed_.ephemeral.reset();
    return key;
}

next_action<cipher> handshake::start() {
    if (role_ == role::server) return next_action<cipher>::read();
    boost::json::object data;
    data["type"] = "Bearer";
    data["token"] = options_.token;
    if (options_.encrypt) {
        client_key_.emplace(take_ephemeral());
        data["clientPublicKey"] = crypto::base64_encode(client_key_->public_key().bytes());
    }
    return next_action<cipher>::write_then_read(to_bytes(wire::make_frame("authenticate", data)), message_kind::text);
}

next_action<cipher> handshake::resume(const_bytes in) {
    return role_ == role::server ? server_resume(in) : client_resume(in);
}

// An error event, then close with the error's IGNIS code.
next_action<cipher> handshake::refuse(error e, std::string_view message) {
    return next_action<cipher>::fail(e, close_reason{close_code_for(e), std::string(message)})
        .and_write(to_bytes(wire::make_error(e, message)), message_kind::text);
}

close_reason handshake::timeout_reason() const {
    return {close_code_for(error::authentication_timeout), "Authentication timeout"};
}

// The server lists its keys in the shared key map; a client's key is its own.
result<std::shared_ptr<session_key>> handshake::derive(const crypto::p256_private_key& mine,
                                                       const crypto::p256_public_key& peer, const_bytes salt,
                                                       const std::string& client_id) const {
    auto shared = mine.agree(peer);
    if (!shared) return shared.error();
    secure_bytes key(crypto::aead::key_size);
    if (auto ec = crypto::hkdf_sha256(*shared, salt, as_bytes(options_.hkdf_info), key)) return ec;
    if (role_ == role::server && options_.keys) return options_.keys->add(client_id, std::move(key));
    auto aead = crypto::aead::create(crypto::aead_algorithm::aes256_gcm, key);
    if (!aead) return aead.error();
    return std::make_shared<session_key>(client_id, std::move(key), std::move(*aead), std::weak_ptr<key_map>{});
}

next_action<cipher> handshake::server_resume(const_bytes in) {
    auto frame = wire::parse_frame(as_string_view(in));
    if (!frame) {  // IGNIS answers with an error event and keeps waiting for authenticate
        auto a = next_action<cipher>::read();
        return std::move(a).and_write(to_bytes(wire::make_error(error::invalid_message_format, "Invalid message format")),
                                      message_kind::text);
    }
    if (frame->event == "heartbeat") return next_action<cipher>::read();
    if (frame->event != "authenticate") {
        auto a = next_action<cipher>::read();
        return std::move(a).and_write(to_bytes(wire::make_error(error::not_authenticated, "Not authenticated")),
                                      message_kind::text);
    }
    const auto auth = wire::parse_authenticate(frame->data);
    std::string_view token = auth.token;
    if (!upgrade_token_.empty()) {
        if (!token.empty() && token != upgrade_token_)
            return refuse(error::authentication_failed, "Authentication failed");
        token = upgrade_token_;
    }
    std::optional<std::string> user;
    if (options_.authenticate)
        user = options_.authenticate(token);
    else if (!token.empty())
        user = std::string(token);
    if (!user) return refuse(error::authentication_failed, "Authentication failed");

    wire::connected reply{fixed_.client_id ? *fixed_.client_id : new_client_id(), *user, wire::iso8601_now(), {}, {}};
    // IGNIS puts every client in a room of its own id and in the default room.
    auto session = [&](cipher c) {
        return established<cipher>{std::move(c), *user, {}, reply.id,
                                   {reply.id, std::string(default_room), std::string(notification_room)}};
    };
    if (!auth.client_public_key) {
        if (options_.require_encryption) return refuse(error::encryption_required, "Encryption required");
        return next_action<cipher>::done(session(cipher(role::server)))
            .and_write(to_bytes(wire::make_connected(reply)), message_kind::text);
    }
    auto raw = crypto::base64_decode(*auth.client_public_key);
    if (!raw) return refuse(error::invalid_public_key, "Invalid public key");
    auto peer = crypto::p256_public_key::from_sec1_any_form(*raw);
    if (!peer) return refuse(error::invalid_public_key, "Invalid public key");

    auto mine = take_ephemeral();
    const auto salt = fixed_.salt ? *fixed_.salt : crypto::random_array<salt_size>();
    auto key = derive(mine, *peer, salt, reply.id);
    if (!key) return refuse(error::invalid_public_key, "Invalid public key");
    reply.server_public_key = crypto::base64_encode(mine.public_key().bytes());
    reply.salt = crypto::base64_encode(salt);
    cipher keyed(role::server, std::move(*key), options_.max_messages_per_key, options_.ignis);
    return next_action<cipher>::done(session(std::move(keyed)))
        .and_write(to_bytes(wire::make_connected(reply)), message_kind::text);
}

next_action<cipher> handshake::client_resume(const_bytes in) {
    auto frame = wire::parse_frame(as_string_view(in));
    if (!frame) return next_action<cipher>::fail(error::invalid_message_format);
    if (frame->event == "error") return next_action<cipher>::fail(error::authentication_failed);
    if (frame->event != "connected") return next_action<cipher>::read();  // heartbeats and the like
    auto connected = wire::parse_connected(frame->data);
    if (!connected) return next_action<cipher>::fail(connected.error());
    if (!client_key_) return next_action<cipher>::done({cipher(role::client), connected->user_id, {}, connected->id, {}});
    auto raw = crypto::base64_decode(connected->server_public_key);
    auto salt = crypto::base64_decode(connected->salt);
    if (!raw || !salt) return next_action<cipher>::fail(error::invalid_public_key);
    auto peer = crypto::p256_public_key::from_sec1(*raw);
    if (!peer) return next_action<cipher>::fail(error::invalid_public_key);
    auto key = derive(*client_key_, *peer, *salt, connected->id);
    if (!key) return next_action<cipher>::fail(key.error());
    client_key_.reset();  // ephemeral: gone once used
    return next_action<cipher>::done(
        {cipher(role::client, std::move(*key), options_.max_messages_per_key), connected->user_id, {}, connected->id, {}});
}

}  // namespace sealed::ecdh_gcm
