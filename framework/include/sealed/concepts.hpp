// The three concepts a scheme is built from (DESIGN.md §1), checked at compile time:
//   static_assert(sealed::Scheme<my_scheme>);
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/error.hpp>
#include <sealed/handshake.hpp>
#include <sealed/net.hpp>

#include <concepts>
#include <string_view>

namespace sealed {

// Coroutine parameters are taken by reference where callers pass temporaries: GCC 12 destroys
// a by-value coroutine parameter initialised from a prvalue twice.
//
// Message-oriented async I/O. async_read delivers one whole message (a WebSocket message, a
// length-prefixed TCP record, or, for byte-stream transports, whatever chunk arrived).
template <class T>
concept Transport = requires(T& t, message_buffer& in, const_bytes out, message_kind kind,
                             const close_reason& reason) {
    { t.async_read(in) } -> std::same_as<awaitable<error_code>>;
    { t.async_write(out, kind) } -> std::same_as<awaitable<error_code>>;
    { t.async_close(reason) } -> std::same_as<awaitable<void>>;
    { t.remote_endpoint() } -> std::convertible_to<std::string>;
    { t.get_executor() };
};

// Seals and opens every message after the handshake. Stateful ciphers are fine (counters,
// keystream positions). open() must not leave unauthenticated plaintext in `out` on failure.
template <class C>
concept Cipher = std::movable<C> && requires(C& c, const_bytes in, message_buffer& out) {
    { c.seal(in, out) } -> std::same_as<error_code>;
    { c.open(in, out) } -> std::same_as<error_code>;
};

// A sans-I/O state machine run once per connection by run_handshake().
template <class H>
concept Handshake = requires(H& h, const_bytes in) {
    typename H::cipher_type;
    requires Cipher<typename H::cipher_type>;
    { h.start() } -> std::same_as<next_action<typename H::cipher_type>>;
    { h.resume(in) } -> std::same_as<next_action<typename H::cipher_type>>;
};

// A scheme names its handshake and options, makes a handshake for either role, and says whether
// its cipher detects tampering (false: plaintext, or a layer above must check; the conformance
// suite then expects a flipped bit to arrive instead of closing the channel). Optional hooks:
// sealed/hooks.hpp.
template <class S>
concept Scheme = requires(const typename S::options& opts, role r) {
    typename S::options;
    typename S::handshake_type;
    requires Handshake<typename S::handshake_type>;
    { S::name } -> std::convertible_to<std::string_view>;
    { S::authenticates_messages } -> std::convertible_to<bool>;
    { S::make_handshake(r, opts) } -> std::same_as<typename S::handshake_type>;
};

// What server<> and client<> are parameterised on (sealed::ws, wss, tcp, tcp_raw, memory): the stream
// a connection runs over, and how it is reached.
template <class F>
concept TransportFamily = requires {
    typename F::stream_type;
    requires Transport<typename F::stream_type>;
    { F::is_websocket } -> std::convertible_to<bool>;
    { F::uses_tls } -> std::convertible_to<bool>;
    { F::url_scheme } -> std::convertible_to<std::string_view>;
};

// A family whose connections are made in this process (sealed::memory), not dialled.
template <class F>
concept InProcessFamily = TransportFamily<F> && requires { requires F::in_process; };

template <Scheme S>
using cipher_of = typename S::handshake_type::cipher_type;

}  // namespace sealed
