// The waits between reconnect attempts of a reconnect_policy: exponential, capped, jittered, and
// started over after a session that lasted.
#pragma once

#include <sealed/config.hpp>

#include <algorithm>
#include <chrono>
#include <random>

namespace sealed::detail {

class backoff {
public:
    explicit backoff(const reconnect_policy& policy) : policy_(policy), delay_(policy.initial) {}

    // The wait before the next attempt; each call lengthens the one after it.
    std::chrono::milliseconds next() {
        const auto wait = jittered(delay_);
        delay_ = std::min(policy_.max, std::chrono::duration_cast<std::chrono::milliseconds>(delay_ * policy_.factor));
        return wait;
    }
    // A session that lasted reset_after starts the waits over.
    void session_ended(std::chrono::steady_clock::duration lasted) {
        if (lasted >= policy_.reset_after) delay_ = policy_.initial;
    }

private:
    // Spreads reconnects so that clients of a restarted server do not all arrive at once.
    std::chrono::milliseconds jittered(std::chrono::milliseconds d) const {
        static thread_local std::minstd_rand rng{std::random_device{}()};
        std::uniform_real_distribution<double> spread(1.0 - policy_.jitter, 1.0 + policy_.jitter);
        return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(d.count()) * spread(rng)));
    }

    reconnect_policy policy_;
    std::chrono::milliseconds delay_;
};

}  // namespace sealed::detail
