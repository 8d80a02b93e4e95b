// Remembers message ids for `ttl` and says whether one was seen already. Thread-safe, bounded:
// ids expire in arrival order (one TTL for all), so a FIFO gives both expiry and eviction.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace sealed::policy {

class deduplicator {
public:
    using clock = std::chrono::steady_clock;

    explicit deduplicator(std::chrono::milliseconds ttl = std::chrono::minutes(5),
                          std::size_t max_entries = 1'000'000)
        : ttl_(ttl), max_entries_(max_entries) {}

    // True when `id` was seen within the TTL (a duplicate); otherwise records it.
    bool seen(std::string_view id, clock::time_point now = clock::now()) {
        std::lock_guard lock(mutex_);
        expire(now);
        if (ids_.contains(std::string(id))) return true;
        while (ids_.size() >= max_entries_ && !order_.empty()) pop_oldest();
        auto [it, inserted] = ids_.emplace(id);
        order_.push_back({now + ttl_, &*it});
        return false;
    }

    // Drops expired ids; the runtime calls it every minute so idle servers shrink too.
    void cleanup(clock::time_point now = clock::now()) {
        std::lock_guard lock(mutex_);
        expire(now);
    }

    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return ids_.size();
    }

private:
    struct entry {
        clock::time_point expires;
        const std::string* id;  // points into ids_ (node-based: stable)
    };
    void expire(clock::time_point now) {
        while (!order_.empty() && order_.front().expires <= now) pop_oldest();
    }
    void pop_oldest() {
        ids_.erase(*order_.front().id);
        order_.pop_front();
    }

    std::chrono::milliseconds ttl_;
    std::size_t max_entries_;
    mutable std::mutex mutex_;
    std::unordered_set<std::string> ids_;
    std::deque<entry> order_;
};

}  // namespace sealed::policy
