#include <sealed/detail/heap.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace sealed::detail {
namespace {

std::atomic<bool> pending{false};
std::atomic<std::int64_t> next_allowed{0};  // steady_clock ticks

}  // namespace

void give_back_freed_memory() noexcept {
    pending.store(true, std::memory_order_relaxed);
    give_back_pending_memory();
}

void give_back_pending_memory() noexcept {
#if defined(__GLIBC__)
    if (!pending.load(std::memory_order_relaxed)) return;
    // malloc_trim walks every arena under its lock: once a second, not once per connection.
    using clock = std::chrono::steady_clock;
    const auto now = clock::now().time_since_epoch().count();
    auto allowed = next_allowed.load(std::memory_order_relaxed);
    if (now < allowed) return;
    const auto period = std::chrono::duration_cast<clock::duration>(std::chrono::seconds(1)).count();
    if (!next_allowed.compare_exchange_strong(allowed, now + period, std::memory_order_relaxed)) return;
    pending.store(false, std::memory_order_relaxed);
    malloc_trim(0);
#endif
}

}  // namespace sealed::detail
