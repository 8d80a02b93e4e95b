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

#include <spdlog/logger.h>

namespace sealed::detail {

class connection_set;

struct connection_entry {
    connection_entry(connection_set& set, std::uint64_t id, net::strand<net::io_context::executor_type> s)
        : owner(set), id(id), strand(std::move(s)) {}
    ~connection_entry();
    connection_set& owner;
    std::uint64_t id;
    net::strand<net::io_context::executor_type> strand;
    net::cancellation_signal signal;  // emitted on the strand by cancel_all()
};
using connection_ticket = std::shared_ptr<connection_entry>;

class connection_set {
public:
    connection_ticket add(net::strand<net::io_context::executor_type> strand) {
        std::lock_guard lock(mutex_);
        auto id = next_id_++;
        auto entry = std::make_shared<connection_entry>(*this, id, std::move(strand));
        entries_.emplace(id, entry);
        count_.fetch_add(1, std::memory_order_relaxed);
        return entry;
    }
    std::size_t size() const noexcept { return count_.load(std::memory_order_relaxed); }

    void cancel_all() {
        std::lock_guard lock(mutex_);
        for (auto& [id, weak] : entries_)
            if (auto entry = weak.lock())
                net::post(entry->strand, [entry] { entry->signal.emit(net::cancellation_type::terminal); });
    }

private:
    friend struct connection_entry;
    void remove(std::uint64_t id) {
        std::lock_guard lock(mutex_);
        entries_.erase(id);
        count_.fetch_sub(1, std::memory_order_relaxed);
    }

    mutable std::mutex mutex_;
    std::unordered_map<std::uint64_t, std::weak_ptr<connection_entry>> entries_;
    std::uint64_t next_id_ = 1;
    std::atomic<std::size_t> count_{0};
};

inline connection_entry::~connection_entry() { owner.remove(id); }

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
