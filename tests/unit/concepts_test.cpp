// The concepts accept the real types and reject deliberately broken ones.
#include <sealed/concepts.hpp>
#include <sealed/hooks.hpp>
#include <sealed/plaintext/scheme.hpp>
#include <sealed/session.hpp>
#include <sealed/transport/memory.hpp>
#include <sealed/transport/tcp.hpp>
#include <sealed/transport/websocket.hpp>

#include <gtest/gtest.h>

namespace {

using namespace sealed;

// Good types.
static_assert(Transport<transport::memory_stream>);
static_assert(Transport<transport::ws_stream>);
static_assert(Transport<transport::wss_stream>);
static_assert(Transport<transport::framed_stream>);
static_assert(Transport<transport::byte_stream>);
static_assert(Cipher<plaintext::cipher>);
static_assert(Handshake<plaintext::handshake>);
static_assert(Scheme<plaintext::scheme>);
// Stacking: a channel over a transport is itself a transport.
static_assert(Transport<secure_channel<transport::memory_stream, plaintext::cipher>>);
static_assert(Transport<secure_channel<secure_channel<transport::ws_stream, plaintext::cipher>, plaintext::cipher>>);

// Broken: a transport whose read is synchronous.
struct sync_read_transport {
    error_code async_read(message_buffer&);
    awaitable<error_code> async_write(const_bytes, message_kind);
    awaitable<void> async_close(const close_reason&);
    std::string remote_endpoint() const;
    net::any_io_executor get_executor();
};
static_assert(!Transport<sync_read_transport>);

// Broken: a transport without close.
struct no_close_transport {
    awaitable<error_code> async_read(message_buffer&);
    awaitable<error_code> async_write(const_bytes, message_kind);
    std::string remote_endpoint() const;
    net::any_io_executor get_executor();
};
static_assert(!Transport<no_close_transport>);

// Broken: open() that throws away the error.
struct void_open_cipher {
    error_code seal(const_bytes, message_buffer&);
    void open(const_bytes, message_buffer&);
};
static_assert(!Cipher<void_open_cipher>);

// Broken: a cipher that cannot be moved into a session.
struct pinned_cipher {
    pinned_cipher() = default;
    pinned_cipher(pinned_cipher&&) = delete;
    error_code seal(const_bytes, message_buffer&);
    error_code open(const_bytes, message_buffer&);
};
static_assert(!Cipher<pinned_cipher>);

// Broken: a handshake without a cipher type, and one whose resume does I/O (returns awaitable).
struct cipherless_handshake {
    next_action<plaintext::cipher> start();
    next_action<plaintext::cipher> resume(const_bytes);
};
static_assert(!Handshake<cipherless_handshake>);
struct io_handshake {
    using cipher_type = plaintext::cipher;
    next_action<cipher_type> start();
    awaitable<next_action<cipher_type>> resume(const_bytes);
};
static_assert(!Handshake<io_handshake>);

// Broken: a scheme without a name, and one whose factory returns the wrong type.
struct nameless_scheme {
    struct options {};
    using handshake_type = plaintext::handshake;
    static handshake_type make_handshake(role r, const options&) { return handshake_type(r); }
};
static_assert(!Scheme<nameless_scheme>);
struct wrong_factory_scheme {
    static constexpr std::string_view name = "wrong";
    struct options {};
    using handshake_type = plaintext::handshake;
    static int make_handshake(role, const options&) { return 0; }
};
static_assert(!Scheme<wrong_factory_scheme>);

// Broken: a scheme that does not say whether its cipher detects tampering.
struct unsaid_scheme {
    static constexpr std::string_view name = "unsaid";
    struct options {};
    using handshake_type = plaintext::handshake;
    static handshake_type make_handshake(role r, const options&) { return handshake_type(r); }
};
static_assert(!Scheme<unsaid_scheme>);

// Transport families: the five the runtime serves; a stream is not a family.
static_assert(TransportFamily<ws> && TransportFamily<wss> && TransportFamily<tcp> && TransportFamily<tcp_raw>);
static_assert(InProcessFamily<memory> && !InProcessFamily<ws>);
static_assert(!TransportFamily<transport::ws_stream>);

// Hooks: a member named like a hook is either the hook or a compile error in server<>/client<>
// (tests/headers/near_miss_hook.cpp). Here the two halves of that check, one at a time.
struct hooked_scheme : plaintext::scheme {
    static std::optional<http_response> admit(const http_request&, const options&);
    static inbound inspect(const_bytes);
};
struct near_miss_scheme : plaintext::scheme {
    static bool admit(const http_request&, const options&);  // the refusal response is missing
    static inbound inspect(std::string_view);                // not callable with const_bytes
};
static_assert(has_admit_hook<hooked_scheme> && has_inspect_hook<hooked_scheme>);
static_assert(!has_admit_hook<near_miss_scheme> && detail::declares_admit<near_miss_scheme>);
static_assert(!has_inspect_hook<near_miss_scheme> && detail::declares_inspect<near_miss_scheme>);
static_assert(!has_admit_hook<plaintext::scheme> && !detail::declares_admit<plaintext::scheme>);
static_assert(hooks_well_formed<hooked_scheme>() && hooks_well_formed<plaintext::scheme>());

TEST(concepts, wire_limit_defaults_to_plaintext_plus_framing) {
    EXPECT_EQ(wire_limit_for<plaintext::scheme>(1000), 1000u + 4096u);
}

}  // namespace
