// Upgrades held per client address (server_config::max_connections_per_ip): one address may hold
// at most `limit` handshakes and sessions at once. Taken at admission, released when the
// connection ends (by its id: no per-connection storage for servers that do not use it).
#pragma once

#include <sealed/net.hpp>

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>
#include <unordered_map>

namespace sealed::detail {

class address_limit {
public:
    // One more for `address` under `connection`; false (nothing taken) at the limit.
    bool take(const net::ip::address& address, std::uint64_t connection, std::size_t limit) {
        std::lock_guard lock(mutex_);
        auto& held = held_[address];
        if (held >= limit) {
            if (held == 0) held_.erase(address);
            return false;
        }
        ++held;
        owner_.emplace(connection, address);
        return true;
    }
    // What `connection` took, if anything, given back.
    void release(std::uint64_t connection) {
        std::lock_guard lock(mutex_);
        const auto it = owner_.find(connection);
        if (it == owner_.end()) return;
        if (auto held = held_.find(it->second); held != held_.end() && --held->second == 0) held_.erase(held);
        owner_.erase(it);
    }
    std::size_t held(const net::ip::address& address) const {
        std::lock_guard lock(mutex_);
        const auto it = held_.find(address);
        return it == held_.end() ? 0 : it->second;
    }

private:
    struct address_hash {
        std::size_t operator()(const net::ip::address& a) const noexcept {
            if (a.is_v4()) return std::hash<std::uint32_t>{}(a.to_v4().to_uint());
            const auto b = a.to_v6().to_bytes();
            return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
        }
    };
    mutable std::mutex mutex_;
    std::unordered_map<net::ip::address, std::size_t, address_hash> held_;
    std::unordered_map<std::uint64_t, net::ip::address> owner_;
};

}  // namespace sealed::detail
