// The live connections of a server: a count for limits and a way to cancel them all on stop.
#pragma once

#include <sealed/net.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <spdlog/logger.h>

namespace sealed::detail {

// Shared by the set and its entries, so an entry may outlive the server that made it.
struct connection_registry {
    std::mutex mutex;
    std::unordered_map<std::uint64_t, std::weak_ptr<struct connection_entry>> entries;
    std::uint64_t next_id = 1;
    std::atomic<std::size_t> count{0};
};

struct connection_entry {
    connection_entry(std::shared_ptr<connection_registry> r, std::uint64_t i,
                     net::strand<net::io_context::executor_type> s)
        : registry(std::move(r)), id(i), strand(std::move(s)) {}
    ~connection_entry() {
        std::lock_guard lock(registry->mutex);
        registry->entries.erase(id);
        registry->count.fetch_sub(1, std::memory_order_relaxed);
    }
    std::shared_ptr<connection_registry> registry;
    std::uint64_t id;
    net::strand<net::io_context::executor_type> strand;
    net::cancellation_signal signal;  // emitted on the strand by cancel_all()
    std::atomic<bool> established{false};  // past the handshake: stop() closes it politely
};
using connection_ticket = std::shared_ptr<connection_entry>;

class connection_set {
public:
    connection_ticket add(net::strand<net::io_context::executor_type> strand) {
        std::lock_guard lock(registry_->mutex);
        auto id = registry_->next_id++;
        auto entry = std::make_shared<connection_entry>(registry_, id, std::move(strand));
        registry_->entries.emplace(id, entry);
        registry_->count.fetch_add(1, std::memory_order_relaxed);
        return entry;
    }
    std::size_t size() const noexcept { return registry_->count.load(std::memory_order_relaxed); }

    // Cancels connections still in their handshake (all of them with include_established).
    void cancel_all(bool include_established = false) {
        // Collected under the lock, released outside it: dropping the last reference to an
        // entry runs its destructor, which takes the same lock.
        std::vector<connection_ticket> live;
        {
            std::lock_guard lock(registry_->mutex);
            for (auto& [id, weak] : registry_->entries)
                if (auto entry = weak.lock(); entry && (include_established || !entry->established))
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
    std::shared_ptr<spdlog::logger> log;
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
