#include <sealed/pnet/scheme.hpp>

#include <sealed/crypto/random.hpp>
#include <sealed/http.hpp>
#include <sealed/libp2p/multistream.hpp>

namespace sealed::pnet {

handshake::handshake(psk key, std::string tenant, std::chrono::milliseconds time_limit)
    : key_(std::move(key)), tenant_(std::move(tenant)), time_limit_(time_limit) {}

// Both sides send their nonce at once (a side that waited for the other's would deadlock a peer
// that does the same) and then read until the peer's 24 bytes are in.
next_action<cipher> handshake::start() {
    crypto::random_bytes(own_nonce_);
    return next_action<cipher>::write_then_read(bytes(own_nonce_.begin(), own_nonce_.end()));
}

handshake::handshake(psk current, psk next, std::string tenant, std::chrono::milliseconds time_limit)
    : key_(std::move(current)), next_key_(std::move(next)), tenant_(std::move(tenant)), time_limit_(time_limit) {}

next_action<cipher> handshake::resume(const_bytes in) {
    received_.insert(received_.end(), in.begin(), in.end());
    if (received_.size() < nonce_size) return next_action<cipher>::read();
    if (!next_key_) return finish(key_, {});
    // Two generations: the peer's first message says which (libp2p dialers speak first).
    const auto header = libp2p::multistream::protocol_id.size() + 1;
    if (received_.size() < nonce_size + header) return next_action<cipher>::read();
    const const_bytes peer_nonce(received_.data(), nonce_size);
    const bool next = next_matches(peer_nonce, const_bytes(received_).subspan(nonce_size, header));
    return finish(next ? *next_key_ : key_, {std::string(next ? next_key_room : current_key_room)});
}

bool handshake::next_matches(const_bytes peer_nonce, const_bytes first) const {
    bytes expected;
    libp2p::multistream::append_message(libp2p::multistream::protocol_id, expected);
    for (const psk* key : {&key_, &*next_key_}) {
        auto stream = crypto::salsa20::create(*key, peer_nonce);
        if (!stream) continue;
        bytes plain(first.size());
        stream->apply(first, plain);
        if (plain == expected) return key == &*next_key_;
    }
    return false;
}

next_action<cipher> handshake::finish(const psk& key, std::vector<std::string> rooms) {
    const const_bytes peer_nonce(received_.data(), nonce_size);
    auto outgoing = crypto::salsa20::create(key, own_nonce_);
    auto incoming = crypto::salsa20::create(key, peer_nonce);
    secure_wipe(key_.data(), key_.size());
    if (next_key_) secure_wipe(next_key_->data(), next_key_->size());
    if (!outgoing || !incoming)
        return next_action<cipher>::fail(errc::invalid_key, close_reason{close_code::internal_error, "bad key"});
    established<cipher> session{cipher(std::move(*outgoing), std::move(*incoming)), tenant_,
                                bytes(received_.begin() + nonce_size, received_.end()), {}, std::move(rooms)};
    return next_action<cipher>::done(std::move(session));
}

result<std::string_view> did_of(std::string_view target, std::string_view prefix) noexcept {
    const auto path = target_path(target);
    if (!path.starts_with(prefix) || !is_valid_did(path.substr(prefix.size()))) return error::invalid_did;
    return path.substr(prefix.size());
}

handshake scheme::make_handshake(role, const options& o) { return handshake(o.key, {}, o.handshake_timeout); }

handshake scheme::make_handshake(role r, const options& o, const http_request& upgrade) {
    if (r != role::server || !o.master_secret) return make_handshake(r, o);
    const auto did = did_of(upgrade.target(), o.path_prefix).value();  // admit() refused anything else
    if (o.next_master_secret)
        return handshake(tenant_psk(*o.master_secret, did), tenant_psk(*o.next_master_secret, did), std::string(did),
                         o.handshake_timeout);
    return handshake(tenant_psk(*o.master_secret, did), std::string(did), o.handshake_timeout);
}

std::optional<http_response> scheme::admit(const http_request& upgrade, const options& o) {
    if (!o.master_secret) return std::nullopt;
    const auto did = did_of(upgrade.target(), o.path_prefix);
    if (!did)
        return make_response(upgrade, http::status::bad_request,
                             did.error().message() + ": expected " + o.path_prefix + "did:<method>:<id>\n");
    if (o.denied && o.denied->denies(*did)) return make_response(upgrade, http::status::forbidden, "tenant revoked\n");
    return std::nullopt;
}

}  // namespace sealed::pnet
