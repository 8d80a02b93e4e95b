// An in-process message pipe: two connected endpoints for deterministic tests and the pure-CPU
// handshake benches (Beast's test::stream plays this role there). Both endpoints must be used
// from one thread or strand. fail_after() injects a transport failure at the N-th operation, so
// tests can break a handshake at every step (Beast's fail_count, MySQL's check_network_errors).
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/error.hpp>
#include <sealed/net.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace sealed::transport {

namespace detail {
struct memory_pipe;
}

struct memory_options {
    std::size_t max_message_size = std::numeric_limits<std::size_t>::max();
};

class memory_stream {
public:
    using executor_type = net::any_io_executor;

    // Two connected endpoints: what one writes, the other reads.
    static std::pair<memory_stream, memory_stream> make_pair(executor_type ex, memory_options opts = {});

    memory_stream(memory_stream&&) noexcept = default;
    memory_stream& operator=(memory_stream&&) noexcept = default;
    ~memory_stream();

    awaitable<error_code> async_read(message_buffer& in);
    awaitable<error_code> async_write(const_bytes out, message_kind kind);
    awaitable<void> async_close(const close_reason& reason);
    std::string remote_endpoint() const { return "memory"; }
    executor_type get_executor() const noexcept { return executor_; }

    // The next `operations` reads/writes succeed, the one after fails with connection_reset
    // (and so does every operation after it). nullopt: never fail.
    void fail_after(std::optional<std::size_t> operations) noexcept { fail_after_ = operations; }
    // What the peer's async_close sent, once it has closed.
    std::optional<close_reason> peer_close_reason() const;
    std::size_t operations() const noexcept { return operations_; }

private:
    memory_stream(executor_type ex, std::shared_ptr<detail::memory_pipe> in,
                  std::shared_ptr<detail::memory_pipe> out, memory_options opts);
    error_code count_operation() noexcept;

    executor_type executor_;
    std::shared_ptr<detail::memory_pipe> in_;   // what the peer wrote
    std::shared_ptr<detail::memory_pipe> out_;  // what we write
    memory_options options_;
    std::optional<std::size_t> fail_after_;
    std::size_t operations_ = 0;
};

}  // namespace sealed::transport

namespace sealed {

// The in-process family: server<memory, S> listens nowhere; each server.connect() makes a pipe,
// serves one end as an accepted connection (admission, handshake deadline, keepalive, queue,
// policies: the real runtime) and returns the other; client<memory, S>::handshake() runs the
// client's side over it. Deterministic tests of the runtime without sockets. The pipe's ends
// share the server connection's strand: use the returned end from the io_context's one thread.
struct memory {
    using stream_type = transport::memory_stream;
    static constexpr bool is_websocket = false;
    static constexpr bool uses_tls = false;
    static constexpr bool in_process = true;
    static constexpr std::string_view url_scheme = "memory";
};

}  // namespace sealed
