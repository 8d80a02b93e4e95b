#include <sealed/hmac_x25519/allowlist.hpp>

#include <sealed/crypto/encoding.hpp>
#include <sealed/files.hpp>

#include <boost/json/parse.hpp>

#include <mutex>

namespace sealed::hmac_x25519 {
namespace json = boost::json;

namespace {

bool is_node_id(std::string_view s) {
    if (s.size() != 32) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace

result<std::shared_ptr<allowlist>> allowlist::load(const std::filesystem::path& file) {
    const auto text = files::read(file);
    if (!text) return text.error();
    auto list = std::make_shared<allowlist>();
    if (auto ec = list->add_entries(as_string_view(*text))) return ec;
    return list;
}

error_code allowlist::add_entries(std::string_view text) {
    if (files::trim(text).starts_with("[")) {  // a Go node's peers.json
        boost::system::error_code ec;
        auto v = json::parse(text, ec);
        if (ec || !v.is_array()) return errc::invalid_encoding;
        for (const auto& peer : v.get_array()) {
            if (!peer.is_object()) return errc::invalid_encoding;
            if (auto* id = peer.get_object().if_contains("id"); id && id->is_string() && is_node_id(id->get_string()))
                allow_id(std::string(id->get_string()));
            if (auto* key = peer.get_object().if_contains("publicKey"); key && key->is_string()) {
                auto raw = crypto::base64_decode(key->get_string());
                auto pk = raw ? crypto::x25519_public_key::from_bytes(*raw) : result<crypto::x25519_public_key>(errc::invalid_encoding);
                if (!pk) return errc::invalid_encoding;
                allow_key(*pk);
            }
        }
        return {};
    }
    return files::for_each_list_line(text, [this](std::string_view line) -> error_code {
        if (is_node_id(line)) {
            allow_id(std::string(line));
            return {};
        }
        auto raw = crypto::base64_decode(line);
        auto pk = raw ? crypto::x25519_public_key::from_bytes(*raw) : result<crypto::x25519_public_key>(errc::invalid_encoding);
        if (!pk) return errc::invalid_encoding;
        allow_key(*pk);
        return {};
    });
}

void allowlist::allow_id(std::string id) {
    std::unique_lock lock(mutex_);
    ids_.insert(std::move(id));
}

void allowlist::allow_key(const crypto::x25519_public_key& key) {
    auto text = crypto::base64_encode(key.bytes());
    std::unique_lock lock(mutex_);
    keys_.insert(std::move(text));
}

bool allowlist::allows(const peer_identity& peer) const {
    auto key = crypto::base64_encode(peer.public_key.bytes());
    std::shared_lock lock(mutex_);
    return ids_.contains(peer.id) || keys_.contains(key);
}

std::size_t allowlist::size() const {
    std::shared_lock lock(mutex_);
    return ids_.size() + keys_.size();
}

}  // namespace sealed::hmac_x25519
