// The PeerJS-compatible broker's shared state (npm `peer` 1.0.2 behaviour, PROTOCOLS.md §5):
// who is registered under which id and token, the messages queued for ids that are offline,
// and the relay between sockets. One broker serves every connection of a server; every member
// is safe from any thread (one mutex: relaying a frame is a map lookup and a queued send).
// The scheme (scheme.hpp) calls admit() in its handshake and serve() runs the socket's session;
// the HTTP routes (`/`, `/<key>/id`, `/<key>/peers`) are http().
#pragma once

#include <sealed/error.hpp>
#include <sealed/http.hpp>
#include <sealed/net.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealed::signaling {

// What a connecting peer presents (the upgrade's query), for broker_options::authorize.
struct peer_credentials {
    std::string_view id, token, key;
    std::string_view target;  // the whole request target, for parameters of the app's own
};

struct broker_options {
    std::string path = "/";  // the mount path: HTTP routes under it, WebSocket at <path>/peerjs
    std::string key = "peerjs";
    std::chrono::milliseconds expire_timeout{5000};  // queued for an offline id this long, then EXPIRE
    std::chrono::milliseconds alive_timeout{60000};  // no HEARTBEAT this long: the socket is closed
    std::size_t concurrent_limit = 5000;             // registered ids
    bool allow_discovery = false;                    // GET <path>/<key>/peers lists the ids
    // Beyond the reference (docs/schemes/signaling.md):
    std::string api_token;              // non-empty: sockets and /id, /peers need apiToken=<it>
    bool validate_ids = true;           // ids follow the peerjs client's syntax
    std::size_t max_id_length = 256;    // longer ids are refused (invalid_id)
    std::size_t max_token_length = 256; // and longer tokens (a JWT policy needs more: 4096)
    // Per-peer authentication: called at admission, after the key and API token, with what the
    // peer presents; a reason refuses it with ERROR "Invalid token: <reason>" and close 1008,
    // before any OPEN. It runs on the admitting thread: keep it quick (a signature check).
    std::function<std::optional<std::string>(const peer_credentials&)> authorize;
    // Apps hear of peers (the reference has only `disconnect`): on_connect once a socket holds
    // its id (OPEN sent), on_disconnect once the id is released (the socket ended, LEAVE without
    // dst, no HEARTBEAT). Called outside the broker's lock, on the thread that caused them, so
    // they may call the broker; they must not throw.
    std::function<void(std::string_view id)> on_connect, on_disconnect;
    bool leave_on_drop = true;          // LEAVE to the peers a dropped client exchanged messages with
    std::size_t queue_limit = 100;      // messages queued per offline id (over: EXPIRE at once)
    std::size_t queued_ids_limit = 10000;  // offline ids with a queue
    std::size_t queue_bytes_limit = 1024 * 1024;        // bytes queued per offline id
    std::size_t queued_bytes_limit = 64 * 1024 * 1024;  // bytes queued over all offline ids
    std::size_t contacts_limit = 256;   // peers remembered per client for leave_on_drop
};

struct broker_stats {
    std::atomic<std::uint64_t> registered{0}, refused{0}, relayed{0}, queued{0}, expired{0},
        malformed{0}, dropped_unknown_type{0}, dropped_no_destination{0}, leaves_on_drop{0}, liveness_closed{0};
};

class broker : public std::enable_shared_from_this<broker> {
public:
    // How the broker reaches one socket: queue a text frame, close it. Called with the broker's
    // lock held, so they must only post (connection::send / close do).
    struct socket_sink {
        std::function<void(std::string frame)> send;
        std::function<void(close_reason why)> close;
    };
    // One admitted socket. The last copy going away detaches it (a handshake that failed after
    // admission, or a session that ended), so nothing stays registered by mistake.
    class ticket;
    using ticket_ptr = std::shared_ptr<ticket>;

    struct admission {
        ticket_ptr admitted;        // null when refused
        std::string frame;          // OPEN, or the ERROR / ID-TAKEN frame of the refusal
        error_code refusal;
    };

    static std::shared_ptr<broker> make(net::any_io_executor ex, broker_options opts);
    ~broker();

    // Starts / stops the timer that expires queues and closes sockets without HEARTBEAT.
    void start();
    void stop();

    // The upgrade's query, checked in the reference's order: id, token and key present; the key;
    // (sealed: the API token, the id's syntax); the id free or held with this token; the limit.
    admission admit(std::string_view request_target);
    // The admitted socket is ready: later frames for its id go to it; what was queued is sent.
    void attach(const ticket_ptr& t, socket_sink sink);
    // One frame from the socket. Returns the ERROR frame to answer it with, if any.
    std::optional<std::string> receive(const ticket_ptr& t, std::string_view frame);
    // The socket ended. Its id is released if it is still the id's socket.
    void detach(const ticket& t);

    // GET <path>/, <path>/<key>/id, <path>/<key>/peers and CORS preflights; nullopt outside path.
    std::optional<http_response> http(const http_request& req) const;

    std::string ws_path() const;  // <path>/peerjs
    std::vector<std::string> ids() const;
    std::size_t registered() const;
    const broker_options& options() const noexcept { return options_; }
    const broker_stats& stats() const noexcept { return stats_; }
    std::string prometheus_text() const;

    // The expiry pass the timer runs (public for tests that drive time themselves).
    void sweep(std::chrono::steady_clock::time_point now);

private:
    broker(net::any_io_executor ex, broker_options opts);
    // Tells on_disconnect of the ids released since the last call; without the lock held.
    void announce_released();
    struct state;
    net::any_io_executor executor_;
    broker_options options_;
    std::unique_ptr<state> state_;
    mutable broker_stats stats_;
};

class broker::ticket {
public:
    ticket(std::weak_ptr<broker> owner, std::string id, std::string token, std::uint64_t serial)
        : owner_(std::move(owner)), id_(std::move(id)), token_(std::move(token)), serial_(serial) {}
    ticket(const ticket&) = delete;
    ticket& operator=(const ticket&) = delete;
    ~ticket() {
        if (auto b = owner_.lock()) b->detach(*this);
    }
    const std::string& id() const noexcept { return id_; }
    const std::string& token() const noexcept { return token_; }
    std::uint64_t serial() const noexcept { return serial_; }

private:
    std::weak_ptr<broker> owner_;
    std::string id_, token_;
    std::uint64_t serial_;
};

}  // namespace sealed::signaling
