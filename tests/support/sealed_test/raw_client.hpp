// A test client that writes whatever frames a test wants over a real WebSocket: a raw stream plus,
// once a handshake has run, the session's cipher (from the scheme's own client state machine).
#pragma once

#include <sealed/net.hpp>
#include <sealed/transport/websocket.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace sealed_test {

template <class Cipher>
struct raw_client {
    sealed::transport::ws_stream stream;
    std::optional<Cipher> cipher;
    std::string id;

    // string_view parameters: literals at call sites make no temporaries inside co_await (ADR-0001).
    sealed::awaitable<sealed::error_code> write(std::string_view frame,
                                                sealed::message_kind kind = sealed::message_kind::text) {
        return stream.async_write(sealed::as_bytes(frame), kind);
    }
    sealed::awaitable<sealed::error_code> write_sealed(std::string_view inner) {
        sealed::message_buffer wire;
        if (auto ec = cipher->seal(sealed::as_bytes(inner), wire)) co_return ec;
        co_return co_await stream.async_write(wire.bytes(), wire.kind());
    }
    // The next frame's text ("" on a close or error).
    sealed::awaitable<std::string> read() {
        sealed::message_buffer in;
        if (co_await stream.async_read(in)) co_return "";
        co_return std::string(in.text());
    }
    // The next frame, opened; "" on failure.
    sealed::awaitable<std::string> read_opened() {
        sealed::message_buffer in, plain;
        if (co_await stream.async_read(in) || cipher->open(in.bytes(), plain)) co_return "";
        co_return std::string(plain.text());
    }
    // Reads and discards until the connection ends (a close frame, EOF, a reset); false if it
    // is still open after `limit`.
    sealed::awaitable<bool> ends_within(std::chrono::milliseconds limit) {
        using namespace sealed::net::experimental::awaitable_operators;
        sealed::net::steady_timer timer(stream.get_executor(), limit);
        auto drain = [this]() -> sealed::awaitable<void> {
            sealed::message_buffer in;
            while (!co_await stream.async_read(in)) {}
        };
        auto r = co_await (drain() || timer.async_wait(sealed::net::as_tuple(sealed::net::use_awaitable)));
        co_return r.index() == 0;
    }
    // Reads until the server closes; its close code (0 if none came within `limit`).
    sealed::awaitable<std::uint16_t> close_code(std::chrono::milliseconds limit = std::chrono::seconds(3)) {
        if (!co_await ends_within(limit)) co_return 0;
        auto reason = stream.peer_close_reason();
        co_return reason ? reason->code : 0;
    }
};

}  // namespace sealed_test
