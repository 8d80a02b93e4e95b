// Server and client settings. Defaults follow the seed transport (docs/runtime.md).
#pragma once

#include <chrono>
#include <memory>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include <sealed/policy/origin.hpp>
#include <sealed/policy/rate_limiter.hpp>

namespace boost::asio::ssl {
class context;
}

namespace sealed {

using namespace std::chrono_literals;

// What a connection's full send queue does with one more message: close the connection with
// 1008 (every message matters), or drop the oldest queued messages to make room (lossy streams
// where only the latest state counts: quotes, positions, presence).
enum class send_queue_overflow : unsigned char { close, drop_oldest };

// What each established connection is held to, on either side (connection.hpp).
struct connection_limits {
    std::chrono::milliseconds write_timeout = 10s;
    policy::rate_limit rate_limit{100, 50};          // received messages: burst, refill per second
    std::chrono::milliseconds dedup_ttl = std::chrono::minutes(5);
    // A connection's send queue (the message being written included) overflows when one more
    // message would pass either bound; the first message of an empty queue is always taken.
    // Past the total (all of a server's connections), a connection that is already behind
    // overflows too. What overflow does is send_queue_overflow's (connection::set_send_queue
    // changes all three for one connection).
    std::size_t send_queue_limit = 1024;                  // messages
    std::size_t send_queue_bytes = 4 * 1024 * 1024;       // bytes per connection
    std::size_t send_queue_total_bytes = 256 * 1024 * 1024;  // bytes over all connections
    send_queue_overflow send_overflow = send_queue_overflow::close;
    std::size_t max_rooms = 64;                      // rooms one connection may be in
};

struct server_config : connection_limits {
    std::string listen = "127.0.0.1:9091";
    std::string ws_path = "/ws";          // WebSocket transports: the upgrade path; one ending in
                                          // '/' ("/swarm/") takes every path below it
    std::string tls_cert;                 // PEM files; wss needs both
    std::string tls_key;
    // Mutual TLS: a PEM bundle of the CAs whose client certificates are accepted; a client
    // without one is refused in the TLS handshake. Reloaded with the certificate.
    std::string tls_client_ca;
    // Or a ready TLS context (tests; apps that manage certificates themselves).
    std::shared_ptr<boost::asio::ssl::context> tls_context;
    // Handshakes in progress and established sessions. Connections still reading plain HTTP
    // (TLS included) are bounded apart, so keep-alive pollers and slow requests cannot lock
    // sessions out; at either bound a newcomer closes the connection that has waited on its peer
    // longest (a handshake only after min_handshake_wait) instead of being refused.
    std::size_t max_connections = 100;
    std::size_t max_http_connections = 1024;
    std::chrono::milliseconds min_handshake_wait = 1s;
    // WebSocket upgrades one client address may hold at once (handshakes and sessions); past it,
    // HTTP 429 with Retry-After. 0: no limit. The client address is the TCP peer's, or the one
    // a trusted proxy reports (trusted_proxies, proxy_protocol).
    std::size_t max_connections_per_ip = 0;
    // WebSocket upgrades one client address may begin: a token bucket (burst, refill per
    // second); past it, HTTP 429 with Retry-After. {0, 0}: no limit.
    policy::rate_limit handshake_rate_per_ip{0, 0};
    // Reverse proxies believed about the client address (CIDR ranges, bare addresses, "*" for
    // any): from such a TCP peer the client is read from Forwarded or X-Forwarded-For (the
    // nearest hop not itself trusted). Empty: the TCP peer is the client.
    std::vector<std::string> trusted_proxies;
    // Every connection starts with a PROXY protocol header (v1 or v2: HAProxy's send-proxy and
    // send-proxy-v2) naming the client; one without is closed. With trusted_proxies set, only
    // those addresses may connect at all.
    bool proxy_protocol = false;
    // Plain HTTP keep-alive: the next request must arrive whole within this of the last
    // response, and a connection answers at most http_max_requests before it is closed.
    std::chrono::milliseconds http_keepalive_timeout = 5s;
    std::size_t http_max_requests = 1000;
    std::size_t max_message_size = 1024 * 1024;
    std::chrono::milliseconds handshake_timeout = 10s;
    std::chrono::milliseconds ping_interval = 30s;   // WebSocket ping every interval
    std::chrono::milliseconds pong_timeout = 10s;    // idle > ping_interval + pong_timeout: closed
    // Browsers cannot set Authorization on a WebSocket: with this on, they may offer the
    // subprotocols ["sealed.v1", "sealed.bearer.<token>"]; the server answers sealed.v1 only and
    // hands the token to the scheme as Authorization: Bearer (ECDH-GCM authenticates with it).
    // A bearer offered wrongly gets HTTP 400. Off: no subprotocol is negotiated.
    bool bearer_subprotocol = false;
    // Browser Origins allowed to upgrade (host names); no Origin header = not a browser = allowed.
    std::vector<std::string> allowed_origins = policy::default_allowed_origins();
    std::string metrics_path = "/metrics";           // Prometheus text; empty: no endpoint
    std::chrono::milliseconds stop_timeout = 5s;     // how long stop() waits for connections
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
};

// Reconnect with exponential backoff and jitter (client<>::run). A session that lasted longer
// than `reset_after` starts the backoff over.
struct reconnect_policy {
    std::chrono::milliseconds initial = 100ms;
    std::chrono::milliseconds max = 30s;
    double factor = 2.0;
    double jitter = 0.2;  // ± this fraction of each delay
    std::chrono::milliseconds reset_after = 10s;
};

// Clients: the server is a peer the client chose, so received messages are not rate limited
// unless asked (rate_limit); the other limits are the server's (managed_client.hpp).
struct client_config : connection_limits {
    client_config() noexcept { rate_limit = policy::rate_limit{0, 0}; }
    std::chrono::milliseconds connect_timeout = 10s;
    std::chrono::milliseconds handshake_timeout = 10s;
    // WebSocket keepalive: a ping after ping_interval of silence; nothing received for
    // ping_interval + pong_timeout closes the connection. Zero turns it off.
    std::chrono::milliseconds ping_interval = 30s;
    std::chrono::milliseconds pong_timeout = 10s;
    std::size_t max_message_size = 1024 * 1024;
    bool tls_verify_peer = true;  // wss: verify the server certificate
    std::string tls_ca_file;      // wss: trust anchors (empty: the system's)
    std::string tls_ca_pem;
    // wss: a ready TLS context shared by many connections (overrides the three fields above).
    std::shared_ptr<boost::asio::ssl::context> tls_context;
};

}  // namespace sealed
