#include <sealed/cluster/redis.hpp>
#include <sealed/cluster/replay_store.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <mutex>
#include <queue>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace sealed::cluster {
namespace {

using clock = std::chrono::steady_clock;

// result<bool> cannot take an error_code implicitly (error_code converts to bool explicitly).
result<bool> failure(errc e) { return {boost::system::in_place_error, make_error_code(e)}; }

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

class memory_replay_store final : public replay_store {
public:
    explicit memory_replay_store(memory_replay_options options)
        : max_entries_(options.max_entries) {
        const auto n = std::max<std::size_t>(1, options.shards);
        shards_.reserve(n);
        for (std::size_t i = 0; i < n; ++i) shards_.push_back(std::make_unique<shard>());
    }

    awaitable<result<bool>> async_remember(std::string_view key, std::chrono::milliseconds ttl) override {
        co_return remember(key, ttl);
    }
    std::string_view name() const noexcept override { return "memory"; }

private:
    struct deadline {
        clock::time_point expires;
        const std::string* key;  // the key inside `live` (node-based: stable until erased)
        bool operator>(const deadline& other) const noexcept { return expires > other.expires; }
    };
    struct shard {
        std::mutex mutex;
        std::unordered_map<std::string, clock::time_point, string_hash, std::equal_to<>> live;
        std::priority_queue<deadline, std::vector<deadline>, std::greater<>> expiry;  // soonest on top
    };

    result<bool> remember(std::string_view key, std::chrono::milliseconds ttl) {
        if (ttl.count() <= 0) return failure(errc::invalid_argument);
        const auto now = clock::now();
        auto& s = *shards_[string_hash{}(key) % shards_.size()];
        for (int pass = 0; pass < 2; ++pass) {
            {
                std::lock_guard lock(s.mutex);
                sweep(s, now);
                if (auto it = s.live.find(key); it != s.live.end()) {
                    if (it->second > now) return false;  // a replay
                    // Expired but not swept yet: the slot is reused. Expiries of one key only
                    // grow, so its older heap entries pop (and are skipped) before this one.
                    it->second = now + ttl;
                    s.expiry.push({it->second, &it->first});
                    return true;
                }
                if (reserve()) {
                    auto [it, inserted] = s.live.emplace(std::string(key), now + ttl);
                    s.expiry.push({it->second, &it->first});
                    return true;
                }
            }
            // Full: expired nonces in the other shards may be what holds the space.
            if (pass == 0) sweep_all(now);
        }
        // Fail closed: evicting a live nonce would let its request be replayed.
        return failure(errc::replay_store_full);
    }

    bool reserve() noexcept {
        auto n = count_.load(std::memory_order_relaxed);
        while (n < max_entries_)
            if (count_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed)) return true;
        return false;
    }

    // Under the shard's lock. A heap entry whose time differs from the map's is stale (the key
    // was remembered again since) and is only dropped.
    void sweep(shard& s, clock::time_point now) {
        while (!s.expiry.empty() && s.expiry.top().expires <= now) {
            const auto top = s.expiry.top();
            if (auto it = s.live.find(*top.key); it != s.live.end() && it->second == top.expires) {
                s.live.erase(it);
                count_.fetch_sub(1, std::memory_order_relaxed);
            }
            s.expiry.pop();
        }
    }

    void sweep_all(clock::time_point now) {
        for (auto& s : shards_) {
            std::lock_guard lock(s->mutex);
            sweep(*s, now);
        }
    }

    std::size_t max_entries_;
    std::atomic<std::size_t> count_{0};
    std::vector<std::unique_ptr<shard>> shards_;
};

class redis_replay_store final : public replay_store {
public:
    redis_replay_store(std::shared_ptr<redis::client> client, std::string prefix)
        : client_(std::move(client)), prefix_(std::move(prefix)) {}

    awaitable<result<bool>> async_remember(std::string_view key, std::chrono::milliseconds ttl) override {
        if (ttl.count() <= 0) co_return failure(errc::invalid_argument);
        std::string full_key = prefix_;
        full_key.append(key);
        const std::string px = std::to_string(ttl.count());
        const std::array<std::string_view, 6> args{"SET", full_key, "1", "NX", "PX", px};
        auto answer = co_await client_->async_exec(args);
        if (!answer) co_return failure(errc::replay_store_unavailable);
        if (answer->is_status("OK")) co_return true;
        if (answer->is_nil()) co_return false;  // NX: the key exists, the nonce was seen
        co_return failure(errc::replay_store_unavailable);
    }
    std::string_view name() const noexcept override { return "redis"; }

private:
    std::shared_ptr<redis::client> client_;
    std::string prefix_;
};

}  // namespace

std::shared_ptr<replay_store> make_memory_replay_store(memory_replay_options options) {
    return std::make_shared<memory_replay_store>(options);
}

std::shared_ptr<replay_store> make_redis_replay_store(std::shared_ptr<redis::client> client,
                                                      std::string key_prefix) {
    if (!client) throw std::invalid_argument("make_redis_replay_store: no client");
    return std::make_shared<redis_replay_store>(std::move(client), std::move(key_prefix));
}

}  // namespace sealed::cluster
