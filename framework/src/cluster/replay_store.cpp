#include <sealed/cluster/redis.hpp>
#include <sealed/cluster/replay_store.hpp>
#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/random.hpp>

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

// Redis without persistence comes back empty from a restart (and FLUSHALL empties it too): every
// nonce it held could be replayed once more. A marker key holds a random epoch, checked by one
// script together with each SET NX. A store that finds the epoch it knew gone or changed sets a
// refusal key for one replay window, and every store refuses (fail closed) while it exists.
constexpr std::string_view remember_script = R"lua(
local epoch = redis.call('GET', KEYS[1])
local lost = false
if not epoch then
  epoch = ARGV[3]
  redis.call('SET', KEYS[1], epoch)
  lost = ARGV[2] ~= ''
elseif ARGV[2] ~= '' and epoch ~= ARGV[2] then
  lost = true
end
if lost then redis.call('SET', KEYS[2], '1', 'PX', ARGV[4]) end
if redis.call('EXISTS', KEYS[2]) == 1 then return {0, epoch} end
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[1]) then return {1, epoch} end
return {2, epoch}
)lua";

class redis_replay_store final : public replay_store {
public:
    redis_replay_store(std::shared_ptr<redis::client> client, std::string prefix)
        : client_(std::move(client)), prefix_(std::move(prefix)), epoch_key_(prefix_ + "sealed:replay-epoch"),
          refusal_key_(prefix_ + "sealed:replay-refused") {
        const auto id = crypto::random_array<16>();
        new_epoch_ = crypto::base64url_encode(id);
    }

    awaitable<result<bool>> async_remember(std::string_view key, std::chrono::milliseconds ttl) override {
        if (ttl.count() <= 0) co_return failure(errc::invalid_argument);
        std::string full_key = prefix_;
        full_key.append(key);
        const std::string px = std::to_string(ttl.count());
        auto [known, window] = note_window(ttl);
        const std::string window_px = std::to_string(window.count());
        const std::array<std::string_view, 10> args{"EVAL", remember_script, "3", epoch_key_, refusal_key_, full_key,
                                                    px, known, new_epoch_, window_px};
        auto answer = co_await client_->async_exec(args);
        if (!answer || answer->type != redis::reply_type::array || answer->elements.size() != 2)
            co_return failure(errc::replay_store_unavailable);
        adopt_epoch(answer->elements[1].str);
        switch (answer->elements[0].integer) {
        case 1: co_return true;
        case 2: co_return false;  // NX: the key exists, the nonce was seen
        default: co_return failure(errc::replay_store_unavailable);  // Redis lost its data lately
        }
    }
    std::string_view name() const noexcept override { return "redis"; }

private:
    // The epoch this store knows and the replay window (the longest ttl asked for so far).
    std::pair<std::string, std::chrono::milliseconds> note_window(std::chrono::milliseconds ttl) {
        std::lock_guard lock(mutex_);
        window_ = std::max(window_, ttl);
        return {epoch_, window_};
    }
    void adopt_epoch(const std::string& epoch) {
        std::lock_guard lock(mutex_);
        epoch_ = epoch;
    }

    std::shared_ptr<redis::client> client_;
    std::string prefix_;
    std::string epoch_key_;
    std::string refusal_key_;
    std::string new_epoch_;  // written if the marker is missing
    std::mutex mutex_;
    std::string epoch_;  // empty until the first answer
    std::chrono::milliseconds window_{0};
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
