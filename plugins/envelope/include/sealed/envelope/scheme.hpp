// The envelope as a runtime scheme, for the WebSocket mode: there is no handshake (each message
// carries its own keys) and the cipher passes frames through, because opening an envelope
// includes an asynchronous nonce check that a Cipher cannot make — serve_websocket()
// (service.hpp) opens and seals every frame. The session's peer_id is the route the socket was
// opened to ("/api/login"), which says what the frames are requests for.
#pragma once

#include <sealed/concepts.hpp>
#include <sealed/http.hpp>
#include <sealed/plaintext/scheme.hpp>

#include <optional>
#include <string>
#include <vector>
#include <string_view>

namespace sealed::envelope {

class frame_handshake {
public:
    using cipher_type = plaintext::cipher;  // the identity: frames pass through unchanged
    explicit frame_handshake(std::string route = {}) : route_(std::move(route)) {}
    next_action<cipher_type> start() { return next_action<cipher_type>::done({cipher_type{}, route_, {}, {}, {}}); }
    next_action<cipher_type> resume(const_bytes) { return start(); }

private:
    std::string route_;
};

struct scheme {
    static constexpr std::string_view name = "envelope";
    // Frames are authenticated per envelope by serve_websocket(), not by the cipher.
    static constexpr bool authenticates_messages = false;
    struct options {
        // The paths a socket may be opened to ("/api/login"); empty: any path under ws_path.
        std::vector<std::string> routes;
    };
    using handshake_type = frame_handshake;
    // An upgrade to a path that is not a route is answered 404 {"error":"not_found"}, as over HTTP.
    static std::optional<http_response> admit(const http_request& upgrade, const options& o);
    static handshake_type make_handshake(role, const options&) { return handshake_type{}; }
    static handshake_type make_handshake(role, const options&, const http_request& upgrade) {
        return handshake_type{std::string(target_path(upgrade.target()))};
    }
};

static_assert(Scheme<scheme>);

}  // namespace sealed::envelope
