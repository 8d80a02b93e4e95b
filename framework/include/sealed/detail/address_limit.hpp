// Per client address, at admission: the upgrades one address holds (address_limit,
// server_config::max_connections_per_ip) and the upgrades it may begin per second
// (address_rate, server_config::handshake_rate_per_ip).
#pragma once

#include <sealed/net.hpp>
#include <sealed/policy/rate_limiter.hpp>

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>
#include <unordered_map>

namespace sealed::detail {

struct address_hash {
    std::size_t operator()(const net::ip::address& a) const noexcept {
        if (a.is_v4()) return std::hash<std::uint32_t>{}(a.to_v4().to_uint());
        const auto b = a.to_v6().to_bytes();
        return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
    }
};

// At most `limit` handshakes and sessions at once per address. Taken at admission, released
// when the connection ends (by its id: no per-connection storage for servers that do not use it).
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
    mutable std::mutex mutex_;
    std::unordered_map<net::ip::address, std::size_t, address_hash> held_;
    std::unordered_map<std::uint64_t, net::ip::address> owner_;
};

// A token bucket per address. Buckets that have refilled are forgotten whenever the table has
// doubled since the last sweep, so memory follows the addresses seen recently, not all ever seen.
class address_rate {
public:
    using clock = std::chrono::steady_clock;

    // Takes a token for `address`: zero, or how long until one is there (nothing taken).
    clock::duration take(const net::ip::address& address, policy::rate_limit limit, clock::time_point now = clock::now()) {
        std::lock_guard lock(mutex_);
        if (buckets_.size() >= sweep_at_) sweep(limit, now);
        auto [it, fresh] = buckets_.try_emplace(address, bucket{limit.burst, now});
        auto& b = it->second;
        if (!fresh) b.tokens = refilled(b, limit, now);
        b.last = now;
        if (b.tokens >= 1.0) {
            b.tokens -= 1.0;
            return clock::duration::zero();
        }
        const std::chrono::duration<double> wait((1.0 - b.tokens) / limit.refill_per_second);
        return std::chrono::ceil<clock::duration>(wait);
    }
    std::size_t tracked() const {
        std::lock_guard lock(mutex_);
        return buckets_.size();
    }

private:
    struct bucket {
        double tokens;
        clock::time_point last;
    };
    static double refilled(const bucket& b, policy::rate_limit limit, clock::time_point now) {
        const std::chrono::duration<double> elapsed = now - b.last;
        return std::min(limit.burst, b.tokens + elapsed.count() * limit.refill_per_second);
    }
    void sweep(policy::rate_limit limit, clock::time_point now) {
        std::erase_if(buckets_, [&](const auto& entry) { return refilled(entry.second, limit, now) >= limit.burst; });
        sweep_at_ = std::max<std::size_t>(min_sweep, 2 * buckets_.size());
    }
    static constexpr std::size_t min_sweep = 1024;
    mutable std::mutex mutex_;
    std::unordered_map<net::ip::address, bucket, address_hash> buckets_;
    std::size_t sweep_at_ = min_sweep;
};

}  // namespace sealed::detail
