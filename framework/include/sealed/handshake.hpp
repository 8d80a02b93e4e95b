// What a sans-I/O handshake step asks the runner to do next (DESIGN.md §1).
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/error.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sealed {

enum class role : unsigned char { client, server };

// What a completed handshake yields: the cipher for every later message and who the peer is.
template <class Cipher>
struct established {
    Cipher cipher;
    std::string peer_id;           // scheme-defined: a node id, a user id, a DID; may be empty
    bytes leftover;                // wire bytes that arrived with the last handshake message and
                                   // belong to the session (stream schemes); opened first
    std::string session_id;        // the scheme's name for this connection (IGNIS's client id);
                                   // empty: the runtime's numeric connection id
    std::vector<std::string> rooms;  // rooms the server joins the connection to on arrival
};

struct outgoing_message {
    bytes data;
    message_kind kind = message_kind::binary;
};

// One step's answer: messages to write (in order), then read / done / fail.
template <class Cipher>
struct next_action {
    enum class state : unsigned char { read, done, fail };

    std::vector<outgoing_message> out;
    state then = state::read;
    std::optional<established<Cipher>> session;  // set when then == done
    error_code error;                            // set when then == fail
    std::optional<close_reason> close;           // fail: how to close (else from the error)

    static next_action read() { return {}; }
    static next_action write_then_read(bytes data, message_kind k = message_kind::binary) {
        next_action a;
        a.out.push_back({std::move(data), k});
        return a;
    }
    static next_action done(established<Cipher> s) {
        next_action a;
        a.then = state::done;
        a.session.emplace(std::move(s));
        return a;
    }
    static next_action fail(error_code ec, std::optional<close_reason> how = std::nullopt) {
        next_action a;
        a.then = state::fail;
        a.error = ec;
        a.close = std::move(how);
        return a;
    }
    // Adds a message to write (after those already queued) before the outcome takes effect.
    next_action&& and_write(bytes data, message_kind k = message_kind::binary) && {
        out.push_back({std::move(data), k});
        return std::move(*this);
    }
};

}  // namespace sealed
