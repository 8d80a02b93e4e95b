#include <sealed/pnet/scheme.hpp>

#include <sealed/crypto/random.hpp>
#include <sealed/http.hpp>

namespace sealed::pnet {

handshake::handshake(psk key, std::string tenant, std::chrono::milliseconds time_limit)
    : key_(std::move(key)), tenant_(std::move(tenant)), time_limit_(time_limit) {}

// Both sides send their nonce at once (a side that waited for the other's would deadlock a peer
// that does the same) and then read until the peer's 24 bytes are in.
next_action<cipher> handshake::start() {
    crypto::random_bytes(own_nonce_);
    return next_action<cipher>::write_then_read(bytes(own_nonce_.begin(), own_nonce_.end()));
}

next_action<cipher> handshake::resume(const_bytes in) {
    received_.insert(received_.end(), in.begin(), in.end());
    if (received_.size() < nonce_size) return next_action<cipher>::read();
    const const_bytes peer_nonce(received_.data(), nonce_size);
    auto outgoing = crypto::salsa20::create(key_, own_nonce_);
    auto incoming = crypto::salsa20::create(key_, peer_nonce);
    secure_wipe(key_.data(), key_.size());
    if (!outgoing || !incoming)
        return next_action<cipher>::fail(errc::invalid_key, close_reason{close_code::internal_error, "bad key"});
    established<cipher> session{cipher(std::move(*outgoing), std::move(*incoming)), tenant_,
                                bytes(received_.begin() + nonce_size, received_.end()), {}, {}};
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
