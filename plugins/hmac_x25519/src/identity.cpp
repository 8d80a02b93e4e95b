#include <sealed/hmac_x25519/identity.hpp>
#include <sealed/hmac_x25519/wire.hpp>

#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/hash.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sealed/files.hpp>

namespace sealed::hmac_x25519 {
namespace json = boost::json;

namespace {

std::string string_of(const json::object& o, std::string_view key) {
    if (auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->get_string());
    return {};
}

}  // namespace

std::string node_id_of(const crypto::x25519_public_key& key) {
    const auto digest = crypto::sha256(key.bytes());
    return crypto::hex_encode(const_bytes(digest).first(16));
}

result<peer_identity> parse_identity(const json::value& v) {
    if (!v.is_object()) return make_error_code(error::invalid_message);
    const auto& o = v.get_object();
    auto* key = o.if_contains("publicKey");
    if (!key || !key->is_string()) return make_error_code(error::invalid_public_key);
    auto raw = crypto::base64_decode(key->get_string());
    if (!raw) return make_error_code(error::invalid_public_key);
    auto public_key = crypto::x25519_public_key::from_bytes(*raw);
    if (!public_key) return make_error_code(error::invalid_public_key);
    peer_identity peer{string_of(o, "id"), string_of(o, "name"), string_of(o, "role"), string_of(o, "createdAt"),
                       *public_key};
    if (peer.id != node_id_of(peer.public_key)) return make_error_code(error::identity_mismatch);
    return peer;
}

node_identity::node_identity(crypto::x25519_private_key key, std::string name, std::string role,
                             std::string created_at)
    : key_(std::move(key)), id_(node_id_of(key_.public_key())), name_(std::move(name)), role_(std::move(role)),
      created_at_(std::move(created_at)) {}

node_identity node_identity::generate(std::string_view name, std::string_view role) {
    return node_identity(crypto::x25519_private_key::generate(), std::string(name), std::string(role),
                         wire::rfc3339_nano(std::chrono::system_clock::now()));
}

result<node_identity> node_identity::from_private_key(const_bytes scalar, std::string_view name,
                                                      std::string_view role, std::string_view created_at) {
    auto key = crypto::x25519_private_key::from_bytes(scalar);
    if (!key) return key.error();
    return node_identity(std::move(*key), std::string(name), std::string(role),
                         created_at.empty() ? wire::rfc3339_nano(std::chrono::system_clock::now())
                                            : std::string(created_at));
}

result<node_identity> node_identity::load_or_create(const std::filesystem::path& dir, std::string_view name,
                                                    std::string_view role) {
    std::error_code fs_ec;
    std::filesystem::create_directories(dir, fs_ec);
    if (fs_ec) return error_code{fs_ec.value(), boost::system::system_category()};
    const auto key_file = dir / "private.key";
    const auto info_file = dir / "node.json";

    auto scalar = files::read(key_file);
    if (!scalar) {
        auto made = generate(name, role);
        const auto raw = made.key().private_bytes();
        if (auto ec = files::replace(key_file, raw, 0600)) return ec;
        const auto info = json::serialize(made.to_json());
        if (auto ec = files::replace(info_file, as_bytes(info), 0644)) return ec;
        return made;
    }
    if (scalar->size() != crypto::x25519_private_key::encoded_size) return make_error_code(errc::invalid_key);

    std::string stored_name(name), stored_role(role), created_at;
    if (auto info = files::read(info_file)) {
        boost::system::error_code ec;
        auto v = json::parse(as_string_view(*info), ec);
        if (!ec && v.is_object()) {
            const auto& o = v.get_object();
            if (auto n = string_of(o, "name"); !n.empty()) stored_name = n;
            if (auto r = string_of(o, "role"); !r.empty()) stored_role = r;
            created_at = string_of(o, "createdAt");
        }
    }
    auto loaded = from_private_key(*scalar, stored_name, stored_role, created_at);
    if (!loaded) return loaded.error();
    if (!std::filesystem::exists(info_file, fs_ec)) {
        const auto info = json::serialize(loaded->to_json());
        if (auto ec = files::replace(info_file, as_bytes(info), 0644)) return ec;
    }
    return loaded;
}

json::object node_identity::to_json() const {
    json::object o;
    o["id"] = id_;
    o["name"] = name_;
    o["publicKey"] = crypto::base64_encode(public_key().bytes());
    o["createdAt"] = created_at_;
    o["role"] = role_;
    return o;
}

}  // namespace sealed::hmac_x25519
