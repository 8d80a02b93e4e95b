// The optional hooks a scheme, its handshake or its cipher may declare, each as a named concept
// with its exact signature; the runtime uses one when it is there and its default otherwise.
// server<> and client<> check hooks_well_formed<S>: a member named like a hook but with another
// signature is a compile error, not a hook silently ignored. (A misspelled name cannot be told
// from an unrelated member; the conformance suite's behaviour tests catch those.)
#pragma once

#include <sealed/concepts.hpp>
#include <sealed/control.hpp>
#include <sealed/detail/declares_member.hpp>
#include <sealed/http.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <string_view>

namespace sealed {

// --- on the scheme (static members) ---------------------------------------------------------

// Looks at a WebSocket upgrade before it is accepted: a response refuses it (bad path parameter
// → 400). Default: every upgrade the server admits (max_connections, Origin) goes ahead.
//   static std::optional<http_response> admit(const http_request&, const options&);
template <class S>
concept has_admit_hook = requires(const http_request& req, const typename S::options& o) {
    { S::admit(req, o) } -> std::same_as<std::optional<http_response>>;
};

// The server's handshake made with the admitted upgrade request (path parameters, query).
// Default: make_handshake(role::server, options).
//   static handshake_type make_handshake(role, const options&, const http_request&);
template <class S>
concept has_request_handshake_hook = requires(const http_request& req, const typename S::options& o) {
    { S::make_handshake(role::server, o, req) } -> std::same_as<typename S::handshake_type>;
};

// Sorts an opened message: the app's, or the protocol's own (heartbeat, join, leave, refused).
// Default: every message is the app's.
//   static inbound inspect(const_bytes plaintext);
template <class S>
concept has_inspect_hook = requires(const_bytes plaintext) {
    { S::inspect(plaintext) } -> std::same_as<inbound>;
};

// A message's id for the server's deduplicator; nullopt: not deduplicated. Default: none is.
//   static std::optional<std::string_view> message_id(const_bytes plaintext);
template <class S>
concept has_message_id_hook = requires(const_bytes plaintext) {
    { S::message_id(plaintext) } -> std::same_as<std::optional<std::string_view>>;
};

// How long a peer may send no message before it is closed, and how. Default: transport
// keepalive only.
//   static std::optional<liveness> liveness(const options&);
template <class S>
concept has_liveness_hook = requires(const typename S::options& o) {
    { S::liveness(o) } -> std::same_as<std::optional<sealed::liveness>>;
};

// The largest wire message for a plaintext limit (base64, JSON and tags expand it).
// Default: plaintext + 4 KiB.
//   static constexpr std::size_t wire_size_limit(std::size_t plaintext_limit);
template <class S>
concept has_wire_size_limit_hook = requires(std::size_t plaintext_limit) {
    { S::wire_size_limit(plaintext_limit) } -> std::same_as<std::size_t>;
};

// What a client whose messages the rate limit drops is told (written as is, at most once a
// second per connection), e.g. IGNIS-style {"event":"error","data":{"code":"rate_limited"}}.
// Default: nothing is sent; the drop is counted and logged.
//   static outgoing_message rate_limited_reply();
template <class S>
concept has_rate_limited_reply_hook = requires {
    { S::rate_limited_reply() } -> std::same_as<outgoing_message>;
};

// --- on the handshake -----------------------------------------------------------------------

// A deadline of the scheme's own, shorter than the server's handshake_timeout. Default: none.
//   std::chrono::steady_clock::duration time_limit() const;
template <class H>
concept has_time_limit_hook = requires(const H& h) {
    { h.time_limit() } -> std::same_as<std::chrono::steady_clock::duration>;
};

// How a handshake that ran out of time is closed. Default: 1008 "handshake timeout".
//   close_reason timeout_reason() const;
template <class H>
concept has_timeout_reason_hook = requires(const H& h) {
    { h.timeout_reason() } -> std::same_as<close_reason>;
};

// --- on the cipher --------------------------------------------------------------------------

// What a message that fails to open gets: a reply, and a close or not (dropped, the channel
// goes on). Default: close with the error's close code.
//   open_failure on_open_failure(const error_code&) const;
template <class C>
concept has_on_open_failure_hook = requires(const C& c, const error_code& ec) {
    { c.on_open_failure(ec) } -> std::same_as<open_failure>;
};

// Gives back what the cipher keeps between messages while the connection is idle.
// Default: nothing to give back.
//   void release_idle_memory();
template <class C>
concept has_release_idle_memory_hook = requires(C& c) {
    { c.release_idle_memory() } -> std::same_as<void>;
};

// Whether the scheme's own replies (to a refused message, a message that fails to open, rate
// limiting) go through seal() like app messages, for peers that expect every event sealed.
// Default: they are written as they are.
//   bool seals_replies() const;
template <class C>
concept has_seals_replies_hook = requires(const C& c) {
    { c.seals_replies() } -> std::same_as<bool>;
};

// --- the check ------------------------------------------------------------------------------

template <Scheme S>
consteval bool hooks_well_formed() {
    using H = typename S::handshake_type;
    using C = cipher_of<S>;
    static_assert(!detail::declares_admit<S> || has_admit_hook<S>,
                  "Scheme::admit must be: static std::optional<http_response> admit(const http_request&, const options&)");
    static_assert(!detail::declares_inspect<S> || has_inspect_hook<S>,
                  "Scheme::inspect must be: static inbound inspect(const_bytes)");
    static_assert(!detail::declares_message_id<S> || has_message_id_hook<S>,
                  "Scheme::message_id must be: static std::optional<std::string_view> message_id(const_bytes)");
    static_assert(!detail::declares_liveness<S> || has_liveness_hook<S>,
                  "Scheme::liveness must be: static std::optional<sealed::liveness> liveness(const options&)");
    static_assert(!detail::declares_rate_limited_reply<S> || has_rate_limited_reply_hook<S>,
                  "Scheme::rate_limited_reply must be: static outgoing_message rate_limited_reply()");
    static_assert(!detail::declares_wire_size_limit<S> || has_wire_size_limit_hook<S>,
                  "Scheme::wire_size_limit must be: static constexpr std::size_t wire_size_limit(std::size_t)");
    static_assert(!detail::declares_time_limit<H> || has_time_limit_hook<H>,
                  "handshake::time_limit must be: std::chrono::steady_clock::duration time_limit() const");
    static_assert(!detail::declares_timeout_reason<H> || has_timeout_reason_hook<H>,
                  "handshake::timeout_reason must be: close_reason timeout_reason() const");
    static_assert(!detail::declares_on_open_failure<C> || has_on_open_failure_hook<C>,
                  "cipher::on_open_failure must be: open_failure on_open_failure(const error_code&) const");
    static_assert(!detail::declares_release_idle_memory<C> || has_release_idle_memory_hook<C>,
                  "cipher::release_idle_memory must be: void release_idle_memory()");
    static_assert(!detail::declares_seals_replies<C> || has_seals_replies_hook<C>,
                  "cipher::seals_replies must be: bool seals_replies() const");
    return true;
}

// The plaintext limit as a wire limit: the scheme's wire_size_limit(), or 4 KiB of framing.
template <Scheme S>
constexpr std::size_t wire_limit_for(std::size_t plaintext_limit) {
    if constexpr (has_wire_size_limit_hook<S>)
        return S::wire_size_limit(plaintext_limit);
    else
        return plaintext_limit + 4096;
}

}  // namespace sealed
