// Giving memory back after a burst. glibc's malloc keeps freed memory for the process, and a
// burst of large messages raises its mmap threshold so later ones come from the heap too: a
// server that queued hundreds of MB for slow readers kept them after it closed those readers.
#pragma once

#include <cstddef>

namespace sealed::detail {

// A connection whose send queue reached this many bytes asks for memory back once its queue
// is written or dropped.
inline constexpr std::size_t burst_bytes = 1024 * 1024;

// Returns freed heap memory to the system (malloc_trim), at most once per second per process;
// a request inside that second is kept and done by the next call of either function after it.
// No-ops where the C library has no such call.
void give_back_freed_memory() noexcept;
// Does a kept request if its second has passed (the keepalive calls this on every tick).
void give_back_pending_memory() noexcept;

}  // namespace sealed::detail
