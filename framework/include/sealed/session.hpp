// run_handshake() drives any sans-I/O handshake over any transport; secure_channel is the
// result: a transport plus a cipher, giving async_send / async_receive / async_close.
// The core enforces the invariants here, once, for every scheme: message size limits, no
// unauthenticated plaintext out of a failed open, and a failed open handled one way — closed,
// unless the cipher's on_open_failure() says the message is merely dropped (ECDH-GCM's
// non-events). A secure_channel itself models Transport, so schemes stack.
#pragma once

#include <sealed/concepts.hpp>
#include <sealed/control.hpp>
#include <sealed/hooks.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sealed {

// Runs `h` to completion over `t`: writes what it asks for, feeds it what arrives, and gives up
// with errc::handshake_timeout after `timeout`, closing the transport with the handshake's
// timeout_reason() if it has one (1008 "handshake timeout" otherwise). On a handshake failure the
// transport is closed with the handshake's close reason (or one derived from the error).
template <Transport T, Handshake H>
awaitable<result<established<typename H::cipher_type>>> run_handshake(
    T& t, H& h, std::chrono::steady_clock::duration timeout) {
    using cipher = typename H::cipher_type;
    using outcome = result<established<cipher>>;

    auto drive = [&]() -> awaitable<outcome> {
        auto action = h.start();
        message_buffer in;
        for (;;) {
            for (auto& m : action.out)
                if (auto ec = co_await t.async_write(m.data, m.kind)) co_return ec;
            switch (action.then) {
            case next_action<cipher>::state::done: co_return std::move(*action.session);
            case next_action<cipher>::state::fail: {
                close_reason how = action.close ? std::move(*action.close)
                                                : close_reason{default_close_code(action.error),
                                                               action.error.message()};
                co_await t.async_close(how);
                co_return action.error;
            }
            case next_action<cipher>::state::read:
                if (auto ec = co_await t.async_read(in)) co_return ec;
                action = h.resume(in.bytes());
                break;
            }
        }
    };

    close_reason timed_out{close_code::policy_violation, "handshake timeout"};
    if constexpr (has_timeout_reason_hook<H>)
        timed_out = h.timeout_reason();
    // On time-out the close frame goes out while the handshake's read is still pending
    // (cancelling a WebSocket read first would tear the stream down without one); the read is
    // cancelled when the close completes or after a short grace, whichever comes first.
    bool expired = false;
    auto watchdog = [&]() -> awaitable<void> {
        using namespace net::experimental::awaitable_operators;
        net::steady_timer timer(t.get_executor(), timeout);
        auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
        if (ec) co_return;
        expired = true;
        timer.expires_after(std::chrono::milliseconds(500));
        co_await (t.async_close(timed_out) || timer.async_wait(net::as_tuple(net::use_awaitable)));
    };
    using namespace net::experimental::awaitable_operators;
    auto winner = co_await (drive() || watchdog());
    if (expired) co_return make_error_code(errc::handshake_timeout);
    if (winner.index() != 0) co_return make_error_code(net::error::operation_aborted);  // cancelled from outside
    co_return std::move(std::get<0>(winner));
}

struct channel_options {
    // Largest plaintext accepted for sending and largest wire message accepted on receive.
    std::size_t max_message_size = 1024 * 1024;
    // true: a receive failure closes the transport right away (a client used directly).
    // false: the owner closes it — the runtime does, after writing the failure's reply through
    // its single writer (failure_reply() / failure_close()).
    bool close_on_failure = true;
};

template <Transport T, Cipher C>
class secure_channel {
public:
    using transport_type = T;
    using cipher_type = C;
    using executor_type = decltype(std::declval<T&>().get_executor());

    secure_channel(T transport, established<C> session, channel_options opts = {})
        : transport_(std::move(transport)), cipher_(std::move(session.cipher)),
          peer_id_(std::move(session.peer_id)), session_id_(std::move(session.session_id)), options_(opts) {
        if (!session.leftover.empty()) pending_.emplace(session.leftover);
    }

    // Seals and writes one message. errc::message_too_big (nothing sent) over the limit.
    awaitable<error_code> async_send(const_bytes plaintext, message_kind kind = message_kind::binary) {
        if (failed_) co_return failed_;
        if (plaintext.size() > options_.max_message_size) co_return errc::message_too_big;
        wire_out_.clear();
        wire_out_.set_kind(kind);
        if (auto ec = cipher_.seal(plaintext, wire_out_)) co_return fail_locally(ec);
        if (auto ec = co_await transport_.async_write(wire_out_.bytes(), wire_out_.kind()))
            co_return remember(ec);
        co_return error_code{};
    }

    // Reads and opens one message into `plaintext`. A message that fails to open is handled as
    // the cipher's on_open_failure() says: dropped (the error is returned, the channel goes on)
    // or fatal (the channel closes with the cipher's close reason; every later call fails).
    awaitable<error_code> async_receive(message_buffer& plaintext) {
        if (failed_) co_return failed_;
        failure_reply_.reset();
        if (pending_) {
            wire_in_ = std::move(*pending_);
            pending_.reset();
        } else if (auto ec = co_await transport_.async_read(wire_in_)) {
            if (ec == errc::message_too_big) {
                open_failure too_big{std::nullopt, close_reason{default_close_code(ec), ec.message()}};
                co_await fail_with(too_big);
            }
            co_return remember(ec);
        }
        plaintext.clear();
        plaintext.set_kind(wire_in_.kind());
        if (auto ec = cipher_.open(wire_in_.bytes(), plaintext)) {
            plaintext.wipe();
            auto failure = failure_for(ec);
            if (!failure.close) {
                failure_reply_ = std::move(failure.reply);
                co_return ec;
            }
            co_await fail_with(failure);
            co_return remember(ec);
        }
        co_return error_code{};
    }

    // After a failed receive, with close_on_failure off: what to write back, and how to close
    // (nullopt when the channel goes on).
    std::optional<outgoing_message> take_failure_reply() noexcept { return std::exchange(failure_reply_, std::nullopt); }
    const std::optional<close_reason>& failure_close() const noexcept { return failure_close_; }

    awaitable<void> async_close(const close_reason& reason) {
        if (closed_) co_return;
        closed_ = true;
        co_await transport_.async_close(reason);
    }

    // Gives back what the cipher keeps between messages (a keyed context, scratch buffers) while
    // the connection is quiet; the next message rebuilds it. Call on the channel's executor.
    void release_idle_memory() {
        if constexpr (has_release_idle_memory_hook<C>) cipher_.release_idle_memory();
    }

    // Transport interface, so a channel can carry another scheme.
    awaitable<error_code> async_read(message_buffer& in) { return async_receive(in); }
    awaitable<error_code> async_write(const_bytes out, message_kind kind) { return async_send(out, kind); }
    std::string remote_endpoint() const { return transport_.remote_endpoint(); }
    executor_type get_executor() { return transport_.get_executor(); }

    const std::string& peer_id() const noexcept { return peer_id_; }
    const std::string& session_id() const noexcept { return session_id_; }
    T& transport() noexcept { return transport_; }
    C& cipher() noexcept { return cipher_; }
    // The error that ended the channel, if any.
    error_code failure() const noexcept { return failed_; }
    // The error that ended it on this side (sealing failed, e.g. the key sealed its last
    // message), if that is what ended it; the peer has not been told yet.
    const error_code& local_failure() const noexcept { return local_failure_; }

private:
    error_code remember(error_code ec) {
        failed_ = ec;
        return ec;
    }
    // A local sealing failure (e.g. nonce exhaustion) also ends the channel.
    error_code fail_locally(error_code ec) {
        if (!failed_) local_failure_ = ec;
        return remember(ec);
    }

    open_failure failure_for(const error_code& ec) {
        if constexpr (has_on_open_failure_hook<C>)
            return cipher_.on_open_failure(ec);
        else
            return {std::nullopt, close_reason{default_close_code(ec), ec.message()}};
    }

    // A fatal receive failure: closes now, or leaves the reply and the close to the owner.
    awaitable<void> fail_with(open_failure& failure) {
        if (!options_.close_on_failure) {
            failure_reply_ = std::move(failure.reply);
            failure_close_ = std::move(failure.close);
            co_return;
        }
        co_await async_close(*failure.close);
    }

    T transport_;
    C cipher_;
    std::string peer_id_;
    std::string session_id_;
    channel_options options_;
    message_buffer wire_in_;
    message_buffer wire_out_;
    std::optional<message_buffer> pending_;  // handshake leftover, opened first
    std::optional<outgoing_message> failure_reply_;
    std::optional<close_reason> failure_close_;
    error_code local_failure_;
    error_code failed_;
    bool closed_ = false;
};

}  // namespace sealed
