// The server side of the envelope as a service an app mounts: it answers the JWKS route, opens
// each request envelope (seal.hpp), checks its nonce in the replay store, hands the plaintext to
// the app's handler and seals the reply. Used by HTTP routes (handle_http) and by WebSocket
// connections (serve_websocket, one envelope per text frame).
//
// Why the WebSocket frames go through this service and not through a Cipher: the nonce check
// may wait on Redis, and Cipher::open is synchronous. The envelope scheme's cipher therefore
// passes frames through unchanged, and this service does the whole envelope on every message.
#pragma once

#include <sealed/cluster/replay_store.hpp>
#include <sealed/envelope/seal.hpp>
#include <sealed/log.hpp>
#include <sealed/http.hpp>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sealed::envelope {

struct service_options {
    std::chrono::milliseconds window{60'000};
    // Twice the window: a ts up to `window` in the future stays remembered until it is stale.
    std::chrono::milliseconds nonce_ttl{120'000};
    std::size_t body_limit = 64 * 1024;
    std::string api_prefix = "/api/";             // POST routes (and WebSocket paths) below it
    // The routes the app serves ("/api/login"); others under api_prefix are 404 not_found before
    // the body is read. Empty: every path under api_prefix goes to the app.
    std::vector<std::string> routes;
    std::string keys_path = "/.well-known/sealed-keys";
    std::string health_path = "/health";          // 200 "ok" whatever the replay store's state
    std::string nonce_key_prefix = "sealed:nonce:";
};

// What the app answers to one opened request: an HTTP status and a plaintext body to seal.
struct app_reply {
    unsigned status = 200;
    std::string body;
    unsigned retry_after = 0;  // seconds; non-zero: a Retry-After header (503, 429) over HTTP
};
// route: the request path ("/api/login"); plaintext: the opened request body.
using app_handler = std::function<awaitable<app_reply>(std::string_view route, std::string_view plaintext)>;

// One answer: a sealed response or a refusal, with its HTTP status.
struct service_reply {
    unsigned status = 200;
    std::string body;
    std::optional<error> refusal;  // set when body is a refusal
    unsigned retry_after = 0;      // the app's, for the HTTP answer
};

class service {
public:
    service(std::shared_ptr<key_store> keys, std::shared_ptr<cluster::replay_store> replay, app_handler app,
            service_options options = {}, logger log = logger("envelope"));

    // The JWKS, health and API routes (405 with Allow for other methods, 404 for unknown paths
    // under api_prefix); nullopt for paths outside them, which the app may answer or not_found().
    awaitable<std::optional<http_response>> handle_http(const http_request& req);
    // 404 {"error":"not_found",…}: the answer for a path that is none of the service's.
    http_response not_found(const http_request& req);
    bool is_route(std::string_view path) const;
    // The whole envelope for one body: open, nonce check, app, seal.
    awaitable<service_reply> handle(std::string_view route, std::string_view body);

    const service_options& options() const noexcept { return options_; }
    key_store& keys() noexcept { return *keys_; }
    // Counters: opened requests and refusals by code, as Prometheus text.
    std::string prometheus_text() const;
    std::uint64_t refused(error e) const noexcept { return refusals_[static_cast<std::size_t>(e)].load(); }
    std::uint64_t served() const noexcept { return served_.load(); }
    // A refusal (counted and logged by code, never with what the client sent).
    service_reply refuse(error e, std::string_view route);

private:
    void count_refusal(error e) noexcept;

    std::shared_ptr<key_store> keys_;
    std::shared_ptr<cluster::replay_store> replay_;
    app_handler app_;
    service_options options_;
    logger log_;
    log::throttle refusal_lines_{std::chrono::seconds(1)};  // a forged request costs one line a second
    std::atomic<std::uint64_t> served_{0};
    std::array<std::atomic<std::uint64_t>, 16> refusals_{};
};

// Serves one WebSocket connection of the envelope scheme: each text frame is a request to the
// route the socket was opened to (the connection's peer_id); replies go back in order.
template <class Connection>
awaitable<void> serve_websocket(Connection& conn, service& svc) {
    message_buffer in;
    for (;;) {
        if (auto ec = co_await conn.async_receive(in)) co_return;
        const std::string& route = conn.peer_id();
        // An envelope is JSON text; a binary frame is refused like any other malformed body.
        service_reply reply;
        if (in.kind() != message_kind::text) {
            reply = svc.refuse(error::malformed_envelope, route);
        } else {
            const std::string frame(in.text());
            reply = co_await svc.handle(route, frame);
        }
        if (auto ec = co_await conn.async_send(as_bytes(reply.body), message_kind::text)) co_return;
    }
}

}  // namespace sealed::envelope
