// run_handshake() drives any sans-I/O handshake over any transport; secure_channel is the
// result: a transport plus a cipher, giving async_send / async_receive / async_close.
// The core enforces the invariants here, once, for every scheme: message size limits and
// close-on-first-failure. A secure_channel itself models Transport, so schemes stack.
#pragma once

#include <sealed/concepts.hpp>

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
// with errc::handshake_timeout after `timeout` (closing the transport). On a handshake failure
// the transport is closed with the handshake's close reason (or one derived from the error).
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

    using namespace net::experimental::awaitable_operators;
    net::steady_timer timer(t.get_executor(), timeout);
    auto winner = co_await (drive() || timer.async_wait(net::as_tuple(net::use_awaitable)));
    if (winner.index() == 0) co_return std::move(std::get<0>(winner));
    const close_reason timed_out{close_code::policy_violation, "handshake timeout"};
    co_await t.async_close(timed_out);
    co_return make_error_code(errc::handshake_timeout);
}

// max_message_size limits plaintext; a transport reads wire bytes, which a scheme expands
// (base64, JSON, tags). A scheme states its bound with wire_size_limit(); otherwise 4 KiB of
// framing overhead is allowed.
template <Scheme S>
constexpr std::size_t wire_limit_for(std::size_t plaintext_limit) {
    if constexpr (requires { { S::wire_size_limit(plaintext_limit) } -> std::convertible_to<std::size_t>; })
        return S::wire_size_limit(plaintext_limit);
    else
        return plaintext_limit + 4096;
}

struct channel_options {
    // Largest plaintext accepted for sending and largest wire message accepted on receive.
    std::size_t max_message_size = 1024 * 1024;
};

template <Transport T, Cipher C>
class secure_channel {
public:
    using transport_type = T;
    using cipher_type = C;
    using executor_type = decltype(std::declval<T&>().get_executor());

    secure_channel(T transport, established<C> session, channel_options opts = {})
        : transport_(std::move(transport)), cipher_(std::move(session.cipher)),
          peer_id_(std::move(session.peer_id)), options_(opts) {
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

    // Reads and opens one message into `plaintext`. The first message that fails to open
    // closes the channel (with the cipher's close code) and every later call fails the same way.
    awaitable<error_code> async_receive(message_buffer& plaintext) {
        if (failed_) co_return failed_;
        const_bytes wire;
        if (pending_) {
            wire_in_ = std::move(*pending_);
            pending_.reset();
        } else if (auto ec = co_await transport_.async_read(wire_in_)) {
            if (ec == errc::message_too_big) co_await close_after_failure(ec);
            co_return remember(ec);
        }
        wire = wire_in_.bytes();
        plaintext.clear();
        plaintext.set_kind(wire_in_.kind());
        if (auto ec = cipher_.open(wire, plaintext)) {
            plaintext.wipe();
            co_await close_after_failure(ec);
            co_return remember(ec);
        }
        co_return error_code{};
    }

    awaitable<void> async_close(const close_reason& reason) {
        if (closed_) co_return;
        closed_ = true;
        co_await transport_.async_close(reason);
    }

    // Transport interface, so a channel can carry another scheme.
    awaitable<error_code> async_read(message_buffer& in) { return async_receive(in); }
    awaitable<error_code> async_write(const_bytes out, message_kind kind) { return async_send(out, kind); }
    std::string remote_endpoint() const { return transport_.remote_endpoint(); }
    executor_type get_executor() { return transport_.get_executor(); }

    const std::string& peer_id() const noexcept { return peer_id_; }
    T& transport() noexcept { return transport_; }
    C& cipher() noexcept { return cipher_; }
    // The error that ended the channel, if any.
    error_code failure() const noexcept { return failed_; }

private:
    error_code remember(error_code ec) {
        failed_ = ec;
        return ec;
    }
    // A local sealing failure (e.g. nonce exhaustion) also ends the channel.
    error_code fail_locally(error_code ec) { return remember(ec); }

    awaitable<void> close_after_failure(error_code ec) {
        close_reason how{default_close_code(ec), ec.message()};
        if constexpr (requires(C& c) { { c.close_reason_for(ec) } -> std::convertible_to<close_reason>; })
            how = cipher_.close_reason_for(ec);
        co_await async_close(how);
    }

    T transport_;
    C cipher_;
    std::string peer_id_;
    channel_options options_;
    message_buffer wire_in_;
    message_buffer wire_out_;
    std::optional<message_buffer> pending_;  // handshake leftover, opened first
    error_code failed_;
    bool closed_ = false;
};

}  // namespace sealed
