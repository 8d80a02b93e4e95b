// What the optional hooks (sealed/hooks.hpp) return: how a message that does not open is
// answered, which opened messages are the protocol's own (heartbeats, room membership, refusals)
// rather than the app's, and how long a connection may stay silent.
#pragma once

#include <sealed/handshake.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace sealed {

// Cipher::on_open_failure(ec): what to do when a received message fails to open.
struct open_failure {
    std::optional<outgoing_message> reply;  // written as is (not sealed), e.g. an error event
    std::optional<close_reason> close;      // nullopt: drop the message and keep the channel
};

// Scheme::inspect(plaintext): what an opened message is.
struct inbound {
    enum class kind : unsigned char {
        app,        // the app's message
        heartbeat,  // liveness only; counted, not delivered
        join,       // join `rooms` (subject to the server's join filter)
        leave,      // leave `rooms` (only those joined)
        refused,    // answered with `reply` and dropped; the connection stays
    };
    kind what = kind::app;
    std::vector<std::string> rooms;
    std::optional<outgoing_message> reply;  // written as is (not sealed)

    static inbound app() { return {}; }
    static inbound heartbeat() { return {kind::heartbeat, {}, std::nullopt}; }
    static inbound refuse(outgoing_message reply) { return {kind::refused, {}, std::move(reply)}; }
};

// Scheme::liveness(options): a connection that sends no message for `timeout` is closed with
// `reason` (e.g. IGNIS's 4002 heartbeat timeout). Transport pongs do not count: this is about the
// peer's application being alive, which the transport keepalive cannot tell.
struct liveness {
    std::chrono::steady_clock::duration timeout;
    close_reason reason;
};

}  // namespace sealed
