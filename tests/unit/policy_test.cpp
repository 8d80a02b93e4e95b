// The policies as pure functions: token bucket, deduplicator, origin matching.
#include <sealed/policy/deduplicator.hpp>
#include <sealed/policy/origin.hpp>
#include <sealed/policy/rate_limiter.hpp>

#include <gtest/gtest.h>

namespace {

using namespace sealed::policy;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

TEST(token_bucket, allows_the_burst_then_refills_over_time) {
    const auto t0 = clock_type::now();
    token_bucket b({3, 2}, t0);
    EXPECT_TRUE(b.try_take(t0));
    EXPECT_TRUE(b.try_take(t0));
    EXPECT_TRUE(b.try_take(t0));
    EXPECT_FALSE(b.try_take(t0));
    EXPECT_TRUE(b.try_take(t0 + 500ms));   // one token back after 0.5 s at 2/s
    EXPECT_FALSE(b.try_take(t0 + 500ms));
    EXPECT_TRUE(b.try_take(t0 + 10s));     // capped at the burst, not 19 tokens
    EXPECT_TRUE(b.try_take(t0 + 10s));
    EXPECT_TRUE(b.try_take(t0 + 10s));
    EXPECT_FALSE(b.try_take(t0 + 10s));
}

TEST(token_bucket, disabled_limit_allows_everything) {
    token_bucket b({0, 0});
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(b.try_take());
}

TEST(deduplicator, remembers_ids_for_the_ttl_only) {
    deduplicator d(1000ms);
    const auto t0 = clock_type::now();
    EXPECT_FALSE(d.seen("a", t0));
    EXPECT_TRUE(d.seen("a", t0 + 999ms));
    EXPECT_FALSE(d.seen("a", t0 + 1001ms));  // expired, seen anew
    EXPECT_FALSE(d.seen("b", t0 + 1001ms));
    d.cleanup(t0 + 5s);
    EXPECT_EQ(d.size(), 0u);
}

TEST(deduplicator, is_bounded) {
    deduplicator d(std::chrono::minutes(5), 3);
    const auto t0 = clock_type::now();
    for (auto id : {"1", "2", "3", "4"}) EXPECT_FALSE(d.seen(id, t0));
    EXPECT_EQ(d.size(), 3u);
    EXPECT_FALSE(d.seen("1", t0));  // the oldest was evicted to stay within the bound
}

TEST(origin, matches_hosts_case_insensitively_and_refuses_opaque_origins) {
    auto allowed = default_allowed_origins();
    EXPECT_TRUE(origin_allowed("", allowed));
    EXPECT_TRUE(origin_allowed("http://localhost:5173", allowed));
    EXPECT_TRUE(origin_allowed("https://LOCALHOST", allowed));
    EXPECT_TRUE(origin_allowed("http://127.0.0.1:8080", allowed));
    EXPECT_TRUE(origin_allowed("http://[::1]:8080", allowed));
    EXPECT_FALSE(origin_allowed("http://localhost.evil.example", allowed));
    EXPECT_FALSE(origin_allowed("http://evil.example", allowed));
    EXPECT_FALSE(origin_allowed("null", allowed));
    EXPECT_TRUE(origin_allowed("https://anything.example", {"*"}));
}

}  // namespace
