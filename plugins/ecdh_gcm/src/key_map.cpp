#include <sealed/ecdh_gcm/key_map.hpp>

namespace sealed::ecdh_gcm {

session_key::session_key(std::string client_id, secure_bytes key, crypto::aead aead, std::weak_ptr<key_map> map)
    : client_id_(std::move(client_id)), key_(std::move(key)), aead_(std::move(aead)), map_(std::move(map)) {}

session_key::~session_key() {
    secure_wipe(key_.data(), key_.size());
    if (auto map = map_.lock()) map->remove(client_id_, key_);
}

result<std::shared_ptr<session_key>> key_map::add(std::string client_id, secure_bytes key) {
    auto aead = crypto::aead::create(crypto::aead_algorithm::aes256_gcm, key);
    if (!aead) return aead.error();
    auto entry = std::make_shared<session_key>(client_id, std::move(key), std::move(*aead), weak_from_this());
    std::lock_guard lock(mutex_);
    entries_[std::move(client_id)] = entry;
    return entry;
}

bool key_map::contains(std::string_view client_id) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(std::string(client_id));
    return it != entries_.end() && !it->second.expired();
}

std::size_t key_map::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

void key_map::on_wiped(std::function<void(const_bytes)> observer) {
    std::lock_guard lock(mutex_);
    wiped_observer_ = std::move(observer);
}

void key_map::remove(const std::string& client_id, const_bytes wiped_key) {
    std::function<void(const_bytes)> observer;
    {
        std::lock_guard lock(mutex_);
        entries_.erase(client_id);
        observer = wiped_observer_;
    }
    if (observer) observer(wiped_key);
}

}  // namespace sealed::ecdh_gcm
