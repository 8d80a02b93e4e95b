// The bus between the processes of one service (DESIGN.md §3, issue 10): what one process sends
// to a client, a user, a room or everyone, the others deliver to their own connections. The
// message is IGNIS's, so IGNIS's own publisher (WebSocketEmitter) and IGNIS servers share it:
//   channels  ws:broadcast · ws:room:<room> · ws:client:<id> · ws:user:<id>
//   message   {"serverId","type":"client|user|room|broadcast","target","event","data","exclude"}
// A bus carries events, never session keys: each process seals what it delivers with the session
// of the connection it delivers to.
//
// Two implementations: memory_bus (in-process; the default, and N servers in one process for
// tests) and redis_bus (Redis pub/sub through the process's one redis::client). Both are
// at-most-once, as Redis pub/sub is: a message is never delivered twice, and one published while
// Redis is unreachable is buffered (up to max_buffered) or dropped and counted, never queued
// without bound.
#pragma once

#include <sealed/cluster/redis.hpp>
#include <sealed/error.hpp>
#include <sealed/net.hpp>

#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealed::cluster {

enum class target_kind { client, user, room, broadcast };
std::string_view to_string(target_kind k) noexcept;

struct bus_message {
    std::string server_id;  // who published it; the bus fills in its own on publish
    target_kind type = target_kind::broadcast;
    std::string target;     // client id, user id or room; empty for broadcast
    std::string event;
    std::optional<boost::json::value> data;  // nullopt when the publisher sent no "data" at all
    std::vector<std::string> exclude;        // client ids that must not get it (room, broadcast only)
};

// "ws:room:lobby" etc., as IGNIS names them.
std::string channel_of(target_kind type, std::string_view target);
// IGNIS's JSON (no "target" for broadcast, no "exclude" when empty).
std::string to_json(const bus_message& m);
// The message as IGNIS's server accepts it: an object with a string serverId and event, a known
// type, a string target unless broadcast: otherwise errc::protocol_violation, or
// errc::invalid_encoding when it is not JSON at all. As IGNIS, an exclude that is not an array
// is ignored (the message is delivered), and so are its entries that are not strings.
result<bus_message> parse_bus_message(std::string_view json);

struct bus_stats {
    std::uint64_t published = 0;        // handed on (to Redis, or to the other in-process buses)
    std::uint64_t received = 0;         // from other processes, given to the handler
    std::uint64_t ignored_own = 0;      // our own messages coming back (same serverId)
    std::uint64_t invalid = 0;          // unparseable or wrong shape (logged)
    std::uint64_t dropped_full = 0;     // published while the buffer was full (Redis down)
    std::uint64_t publish_failed = 0;   // Redis refused or timed out; not retried (at-most-once)
    std::uint64_t buffered = 0;         // waiting now for Redis
    std::uint64_t forged = 0;           // sealed bus: did not verify, or came unsealed
    std::uint64_t replayed = 0;         // sealed bus: seen before, or outside the time window
};

class bus {
public:
    using handler = std::function<void(const bus_message&)>;
    virtual ~bus() = default;

    // This process's serverId (a random UUID unless one was given).
    virtual const std::string& server_id() const noexcept = 0;
    // Hands `m` to the other processes. Never blocks and never throws on a bad network.
    virtual void publish(bus_message m) = 0;
    // Where messages from other processes go; may run on any thread, must not block. An empty
    // handler detaches (do so before what it refers to is destroyed).
    void on_message(handler h);
    virtual bus_stats stats() const = 0;
    // Prometheus text of stats(), and of the Redis client for redis_bus.
    virtual std::string prometheus_text() const;

protected:
    // What every bus does with a message that reached it: skip (and count) our own, else give
    // it to the handler (outside the lock: the handler may publish).
    void hand_over(const bus_message& m);
    std::atomic<std::uint64_t> received_{0}, ignored_own_{0};

private:
    std::mutex handler_mutex_;
    std::shared_ptr<handler> handler_;
};

// A random version-4 UUID, as IGNIS's servers use for serverId.
std::string random_server_id();

// In-process buses attached to one broker reach each other (a message goes to every bus but the
// publisher's). A bus made without a broker gets its own: the single-process default.
class memory_broker;
std::shared_ptr<bus> make_memory_bus(std::shared_ptr<memory_broker> broker = nullptr, std::string server_id = {});
std::shared_ptr<memory_broker> make_memory_broker();

class bus_keyring;
struct redis_bus_options {
    std::string server_id;            // empty: random_server_id()
    std::size_t max_buffered = 4096;  // messages waiting for Redis before new ones are dropped
    std::size_t max_in_flight = 64;   // PUBLISHes pipelined at once
    // The sealed bus (bus_seal.hpp): every message sealed on `sealed_channel`. Null: IGNIS's
    // plaintext bus.
    std::shared_ptr<const bus_keyring> keys;
    std::string sealed_channel = "sealed:bus";
    std::chrono::milliseconds replay_window{30000};
};
// Subscribes ws:broadcast and the ws:room:*, ws:client:*, ws:user:* patterns on `client`
// (started or not; it restores them after reconnects) and publishes through it. A sealed bus
// publishes on sealed_channel only and still listens on IGNIS's channels, to count (as
// `forged`) and drop whatever is injected there.
std::shared_ptr<bus> make_redis_bus(std::shared_ptr<redis::client> client, redis_bus_options opts = {});

}  // namespace sealed::cluster
