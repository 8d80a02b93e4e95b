#include <sealed/transport/memory.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <deque>

namespace sealed::transport {

namespace detail {
// One direction of the pipe. `wakeup` never expires by itself: a writer cancels it to wake the
// reader, which keeps the wait cancellable by the reader's own cancellation slot too.
struct memory_pipe {
    explicit memory_pipe(net::any_io_executor ex) : wakeup(ex, net::steady_timer::time_point::max()) {}
    std::deque<std::pair<bytes, message_kind>> queue;
    std::optional<close_reason> closed;  // set by the writer's close; readers see EOF after the queue
    bool writer_gone = false;
    net::steady_timer wakeup;
    void notify() { wakeup.cancel(); }
};
}  // namespace detail

std::pair<memory_stream, memory_stream> memory_stream::make_pair(executor_type ex, memory_options opts) {
    auto a_to_b = std::make_shared<detail::memory_pipe>(ex);
    auto b_to_a = std::make_shared<detail::memory_pipe>(ex);
    return {memory_stream(ex, b_to_a, a_to_b, opts), memory_stream(ex, a_to_b, b_to_a, opts)};
}

memory_stream::memory_stream(executor_type ex, std::shared_ptr<detail::memory_pipe> in,
                             std::shared_ptr<detail::memory_pipe> out, memory_options opts)
    : executor_(std::move(ex)), in_(std::move(in)), out_(std::move(out)), options_(opts) {}

memory_stream::~memory_stream() {
    // Dropping an endpoint is a broken connection for the peer, as with a socket.
    if (out_) {
        out_->writer_gone = true;
        out_->notify();
    }
}

error_code memory_stream::count_operation() noexcept {
    if (fail_after_ && operations_ >= *fail_after_) return net::error::connection_reset;
    ++operations_;
    return {};
}

awaitable<error_code> memory_stream::async_read(message_buffer& in) {
    if (auto ec = count_operation()) co_return ec;
    for (;;) {
        if (!in_->queue.empty()) {
            auto& [data, kind] = in_->queue.front();
            if (data.size() > options_.max_message_size) {
                in_->queue.pop_front();
                co_return errc::message_too_big;
            }
            in.assign(data, kind);
            in_->queue.pop_front();
            co_return error_code{};
        }
        if (in_->closed) co_return net::error::eof;
        if (in_->writer_gone) co_return net::error::connection_reset;
        in_->wakeup.expires_at(net::steady_timer::time_point::max());
        auto [ec] = co_await in_->wakeup.async_wait(net::as_tuple(net::use_awaitable));
        auto cs = co_await net::this_coro::cancellation_state;
        if (cs.cancelled() != net::cancellation_type::none) co_return net::error::operation_aborted;
        (void)ec;  // a writer's cancel(): look at the queue again
    }
}

awaitable<error_code> memory_stream::async_write(const_bytes out, message_kind kind) {
    if (auto ec = count_operation()) co_return ec;
    if (out_->closed || in_->writer_gone) co_return net::error::broken_pipe;
    out_->queue.emplace_back(bytes(out.begin(), out.end()), kind);
    out_->notify();
    co_return error_code{};
}

awaitable<void> memory_stream::async_close(const close_reason& reason) {
    if (!out_->closed) {
        out_->closed = reason;
        out_->notify();
    }
    co_return;
}

std::optional<close_reason> memory_stream::peer_close_reason() const { return in_->closed; }

}  // namespace sealed::transport
