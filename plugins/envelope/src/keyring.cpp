#include <sealed/envelope/keyring.hpp>

#include "read_file.hpp"

#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/hash.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

namespace sealed::envelope {
namespace {

std::string b64u_coordinate(const crypto::p256_public_key& key, std::size_t offset) {
    return crypto::base64url_encode(key.bytes().subspan(offset, 32));
}

}  // namespace

std::string jwk_thumbprint(const crypto::p256_public_key& key) {
    // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace.
    const std::string canonical = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + b64u_coordinate(key, 1) +
                                  "\",\"y\":\"" + b64u_coordinate(key, 33) + "\"}";
    const auto digest = crypto::sha256(as_bytes(canonical));
    return crypto::base64url_encode(digest);
}

std::string public_jwk(const crypto::p256_public_key& key, std::string_view kid) {
    return "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + b64u_coordinate(key, 1) + "\",\"y\":\"" +
           b64u_coordinate(key, 33) + "\",\"kid\":\"" + std::string(kid) + "\",\"use\":\"enc\"}";
}

std::shared_ptr<const server_key> make_server_key(crypto::p256_private_key key) {
    auto kid = jwk_thumbprint(key.public_key());
    return std::make_shared<const server_key>(server_key{std::move(kid), std::move(key)});
}

keyring::keyring(std::shared_ptr<const server_key> current, std::shared_ptr<const server_key> next,
                 std::vector<previous_key> previous)
    : current_(std::move(current)), next_(std::move(next)), previous_(std::move(previous)) {
    if (!current_) throw std::invalid_argument("keyring: a current key is required");
    jwks_ = "{\"keys\":[" + public_jwk(current_->key.public_key(), current_->kid);
    if (next_) jwks_ += "," + public_jwk(next_->key.public_key(), next_->kid);
    jwks_ += "]}";
}

const server_key* keyring::find(std::string_view kid, wall_clock::time_point now) const noexcept {
    if (current_->kid == kid) return current_.get();
    if (next_ && next_->kid == kid) return next_.get();
    for (const auto& p : previous_)
        if (p.key->kid == kid) return now <= p.until ? p.key.get() : nullptr;
    return nullptr;
}

result<std::vector<server_public_key>> parse_jwks(std::string_view json) {
    const auto malformed = make_error_code(error::bad_key_file);
    boost::system::error_code ec;
    auto value = boost::json::parse(json, ec);
    if (ec || !value.is_object()) return malformed;
    auto* keys = value.as_object().if_contains("keys");
    if (!keys || !keys->is_array()) return malformed;
    std::vector<server_public_key> out;
    for (const auto& k : keys->as_array()) {
        auto* o = k.if_object();
        if (!o) return malformed;
        auto field = [&](std::string_view name) -> std::string_view {
            auto* s = o->if_contains(name);
            return s && s->is_string() ? std::string_view(s->as_string()) : std::string_view{};
        };
        if (field("kty") != "EC" || field("crv") != "P-256") continue;  // not ours: skip, do not fail
        auto x = crypto::base64url_decode(field("x"));
        auto y = crypto::base64url_decode(field("y"));
        if (!x || !y || x->size() != 32 || y->size() != 32) return malformed;
        bytes sec1{0x04};
        sec1.insert(sec1.end(), x->begin(), x->end());
        sec1.insert(sec1.end(), y->begin(), y->end());
        auto point = crypto::p256_public_key::from_sec1(sec1);
        if (!point) return point.error();
        // A kid that is not the key's thumbprint would let a JWKS bind one name to two keys.
        if (jwk_thumbprint(*point) != field("kid")) return malformed;
        out.push_back({std::string(field("kid")), *point});
    }
    if (out.empty()) return malformed;
    return out;
}

key_store::key_store(keyring initial, std::filesystem::path dir)
    : current_(std::make_shared<const keyring>(std::move(initial))), dir_(std::move(dir)) {
    if (!dir_.empty()) loaded_ring_text_ = detail::read_file(dir_ / "keyring.json").value_or(std::string());
}

std::shared_ptr<const keyring> key_store::snapshot() const {
    std::lock_guard lock(mutex_);
    return current_;
}

void key_store::replace(keyring next) {
    auto ring = std::make_shared<const keyring>(std::move(next));
    std::lock_guard lock(mutex_);
    current_ = std::move(ring);
}

result<bool> key_store::reload_if_changed() {
    if (dir_.empty()) return false;
    // Compared by content, not mtime: two rotations within the filesystem's timestamp tick (or
    // a copy that keeps mtimes) would otherwise go unnoticed.
    auto text = detail::read_file(dir_ / "keyring.json");
    // result<bool> cannot tell an error_code from a bool on its own: say which.
    if (!text) return {boost::system::in_place_error, make_error_code(error::bad_key_file)};
    {
        std::lock_guard lock(mutex_);
        if (*text == loaded_ring_text_) return false;
    }
    auto ring = key_directory::load(dir_);
    if (!ring) return {boost::system::in_place_error, ring.error()};
    replace(std::move(*ring));
    std::lock_guard lock(mutex_);
    loaded_ring_text_ = std::move(*text);
    return true;
}

}  // namespace sealed::envelope
