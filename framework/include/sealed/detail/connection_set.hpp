// The live connections of a server: counts per phase for the limits, the oldest waiting one of
// a phase to make room for a newcomer, and a way to cancel them all on stop.
#pragma once

#include <sealed/net.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <sealed/log.hpp>

namespace sealed::detail {

// Where a connection is: reading plain HTTP (TLS included), in the scheme's handshake (an
// admitted upgrade, or a raw TCP connection), or an established session.
enum class connection_phase : std::uint8_t { http, handshake, established };

// Shared by the set and its entries, so an entry may outlive the server that made it.
struct connection_registry {
    std::mutex mutex;
    std::unordered_map<std::uint64_t, std::weak_ptr<struct connection_entry>> entries;
    std::uint64_t next_id = 1;
    std::atomic<std::size_t> count{0};
    std::array<std::atomic<std::size_t>, 3> in_phase{};
};

struct connection_entry {
    using clock = std::chrono::steady_clock;
    connection_entry(std::shared_ptr<connection_registry> r, std::uint64_t i,
                     net::strand<net::io_context::executor_type> s, connection_phase p)
        : registry(std::move(r)), id(i), strand(std::move(s)), phase(p),
          waiting_since(clock::now().time_since_epoch().count()) {}
    ~connection_entry() {
        std::lock_guard lock(registry->mutex);
        registry->entries.erase(id);
        registry->count.fetch_sub(1, std::memory_order_relaxed);
        registry->in_phase[index(phase)].fetch_sub(1, std::memory_order_relaxed);
    }
    // Called on the connection's strand as it moves on; the wait starts again from now.
    void enter(connection_phase next) noexcept {
        std::lock_guard lock(registry->mutex);
        registry->in_phase[index(phase)].fetch_sub(1, std::memory_order_relaxed);
        registry->in_phase[index(next)].fetch_add(1, std::memory_order_relaxed);
        phase = next;
        waiting_since = clock::now().time_since_epoch().count();
    }
    // A keep-alive connection answered a request: it waits for the next one from now.
    void waiting_again() noexcept { waiting_since = clock::now().time_since_epoch().count(); }
    bool established() const noexcept { return phase == connection_phase::established; }
    static std::size_t index(connection_phase p) noexcept { return static_cast<std::size_t>(p); }

    std::shared_ptr<connection_registry> registry;
    std::uint64_t id;
    net::strand<net::io_context::executor_type> strand;
    net::cancellation_signal signal;  // emitted on the strand by cancel_all() and evict_oldest()
    std::atomic<connection_phase> phase;
    std::atomic<clock::rep> waiting_since;  // clock ticks: since the phase began or the last response
    std::atomic<bool> evicted{false};
};
using connection_ticket = std::shared_ptr<connection_entry>;

class connection_set {
public:
    connection_ticket add(net::strand<net::io_context::executor_type> strand, connection_phase phase) {
        std::lock_guard lock(registry_->mutex);
        auto id = registry_->next_id++;
        auto entry = std::make_shared<connection_entry>(registry_, id, std::move(strand), phase);
        registry_->entries.emplace(id, entry);
        registry_->count.fetch_add(1, std::memory_order_relaxed);
        registry_->in_phase[connection_entry::index(phase)].fetch_add(1, std::memory_order_relaxed);
        return entry;
    }
    std::size_t size() const noexcept { return registry_->count.load(std::memory_order_relaxed); }
    std::size_t count(connection_phase p) const noexcept {
        return registry_->in_phase[connection_entry::index(p)].load(std::memory_order_relaxed);
    }
    // Handshakes in progress and established sessions: what max_connections bounds.
    std::size_t sessions() const noexcept {
        return count(connection_phase::handshake) + count(connection_phase::established);
    }

    // Cancels the connection of phase `p` that has waited on its peer longest, if it has waited
    // at least `min_wait` and is not already going; false if there is none.
    bool evict_oldest(connection_phase p, std::chrono::steady_clock::duration min_wait) {
        const auto latest = (std::chrono::steady_clock::now() - min_wait).time_since_epoch().count();
        connection_ticket oldest;
        std::vector<connection_ticket> seen;  // released after the lock: see cancel_all()
        {
            std::lock_guard lock(registry_->mutex);
            seen.reserve(registry_->entries.size());
            for (auto& [id, weak] : registry_->entries) {
                auto entry = weak.lock();
                if (!entry) continue;
                seen.push_back(entry);
                if (entry->phase != p || entry->evicted || entry->waiting_since > latest) continue;
                if (!oldest || entry->waiting_since < oldest->waiting_since) oldest = entry;
            }
            if (oldest) oldest->evicted = true;
        }
        seen.clear();
        if (!oldest) return false;
        net::post(oldest->strand, [oldest] { oldest->signal.emit(net::cancellation_type::terminal); });
        return true;
    }

    // Cancels connections still in their handshake (all of them with include_established).
    void cancel_all(bool include_established = false) {
        // Collected under the lock, released outside it: dropping the last reference to an
        // entry runs its destructor, which takes the same lock.
        std::vector<connection_ticket> live;
        {
            std::lock_guard lock(registry_->mutex);
            for (auto& [id, weak] : registry_->entries)
                if (auto entry = weak.lock(); entry && (include_established || !entry->established()))
                    live.push_back(std::move(entry));
        }
        for (auto& entry : live)
            net::post(entry->strand, [entry] { entry->signal.emit(net::cancellation_type::terminal); });
    }

private:
    std::shared_ptr<connection_registry> registry_ = std::make_shared<connection_registry>();
};

// co_spawn completion: a connection coroutine that throws is a bug; log it, keep serving.
// Holding the ticket keeps the cancellation signal alive as long as co_spawn may touch it.
struct connection_done {
    connection_ticket ticket;
    std::shared_ptr<const logger> log;
    void operator()(std::exception_ptr e) const {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log->error("connection coroutine threw: {}", ex.what());
        } catch (...) {
            log->error("connection coroutine threw a non-standard exception");
        }
    }
};

}  // namespace sealed::detail
