// Replay protection: a store that remembers a nonce for a while and says whether it was new.
// The embedded default keeps nonces in memory; with Redis (DESIGN.md §3, Scale out) several
// processes share one store, so a request replayed to another process is refused too.
#pragma once

#include <sealed/error.hpp>
#include <sealed/net.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace sealed::redis {
class client;
}

namespace sealed::cluster {

class replay_store {
public:
    virtual ~replay_store() = default;
    // true: first sighting, now remembered for ttl; false: seen before within its ttl (a replay).
    // An error means the store could not tell (callers fail closed: errc::replay_store_unavailable);
    // a ttl that is not positive is errc::invalid_argument. `key` must stay alive until the
    // co_await completes. Callable from any executor or thread.
    virtual awaitable<result<bool>> async_remember(std::string_view key, std::chrono::milliseconds ttl) = 0;
    virtual std::string_view name() const noexcept = 0;  // "memory" / "redis"
};

struct memory_replay_options {
    std::size_t max_entries = 1'000'000;  // live nonces across all shards
    std::size_t shards = 16;              // independent locks, chosen by the key's hash
};

// In-process store, safe from any thread. Expired nonces are swept as new ones arrive. When
// max_entries live nonces are held it refuses new ones with errc::replay_store_full rather than
// evicting: forgetting a live nonce would let its request be replayed.
std::shared_ptr<replay_store> make_memory_replay_store(memory_replay_options options = {});

// `SET <key_prefix><key> 1 NX PX <ttl>` on a shared Redis: OK → true, nil → false; Redis down,
// an error reply or a timeout → errc::replay_store_unavailable. The client must be started.
// Redis that lost its data (a restart without persistence, FLUSHALL) is noticed through a marker
// key, `<key_prefix>sealed:replay-epoch`: a store that knew another epoch sets
// `<key_prefix>sealed:replay-refused` for the longest ttl it was asked for, and every store
// answers replay_store_unavailable while that key lives (docs/cluster.md).
std::shared_ptr<replay_store> make_redis_replay_store(std::shared_ptr<redis::client> client,
                                                      std::string key_prefix = "");

}  // namespace sealed::cluster
