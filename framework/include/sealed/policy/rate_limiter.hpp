// Token bucket per connection: `burst` tokens, refilled at `refill_per_second`. One message
// costs one token; a message finding the bucket empty is dropped by the runtime.
#pragma once

#include <algorithm>
#include <chrono>

namespace sealed::policy {

struct rate_limit {
    double burst = 100;
    double refill_per_second = 50;
    bool enabled() const noexcept { return burst > 0 && refill_per_second > 0; }
};

class token_bucket {
public:
    using clock = std::chrono::steady_clock;

    explicit token_bucket(rate_limit limit, clock::time_point now = clock::now()) noexcept
        : limit_(limit), tokens_(limit.burst), last_(now) {}

    // Takes one token if there is one. Disabled limits always allow.
    bool try_take(clock::time_point now = clock::now()) noexcept {
        if (!limit_.enabled()) return true;
        const std::chrono::duration<double> elapsed = now - last_;
        last_ = now;
        tokens_ = std::min(limit_.burst, tokens_ + elapsed.count() * limit_.refill_per_second);
        if (tokens_ < 1.0) return false;
        tokens_ -= 1.0;
        return true;
    }

private:
    rate_limit limit_;
    double tokens_;
    clock::time_point last_;
};

}  // namespace sealed::policy
