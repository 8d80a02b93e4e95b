"""Paths and fixed numbers shared by the whole bench."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent  # bench/benchlib/settings.py -> the repository
HOST = "127.0.0.1"
SERVERS = ("sealed", "peer", "ceiling")  # the order they run in, per cell
SERVER_TITLES = {"sealed": "sealed (C++)", "peer": "peer (Node ws)", "ceiling": "ceiling (plaintext)"}
TARGETS = ["stream_chat", "mesh_node", "swarm_gateway", "envelope_api", "peer_broker", "echo_server", "sealed_loadgen",
           "sealed_bench_crypto", "sealed_bench_handshakes"]
# A public secret for the pnet bench only (it is in the repository): both gateways and the load
# generator derive the tenant's PSK from it.
PNET_SECRET = ROOT / "bench/peers/pnet/public-bench-master-secret.hex"
# Each scheme's sealed server (binary, extra flags), its Node peer and the URL path both serve; the
# ceiling is the plaintext echo_server (with `ceiling_flags`, on `ceiling_path` if given), or none
# (`"ceiling": False`). `{workdir}` in flags is the run's scratch directory. The load generator
# speaks each scheme by name, over ws:// or (`"url_scheme": "http"`) http://.
SCHEMES = {
    "ecdh_gcm": {"title": "ECDH-GCM", "binary": "stream_chat", "flags": [], "path": "/stream",
                 "peer": ROOT / "bench/peers/ecdh_gcm/server.mjs", "peer_title": "ws + node:crypto"},
    "hmac_x25519": {"title": "HMAC-X25519", "binary": "mesh_node", "flags": ["--echo"], "path": "/ws",
                    "peer": ROOT / "bench/peers/hmac_x25519/node.mjs",
                    "peer_title": "ws + node:crypto + @noble/ciphers"},
    # A round trip is one 32-byte ping through the swarm (/ipfs/ping/1.0.0), so that is the only size.
    "pnet": {"title": "PSK-pnet", "binary": "swarm_gateway",
             "flags": ["--master-secret-file", str(PNET_SECRET), "--identity-key", "/tmp/sealed-bench-swarm-identity.key"],
             "path": "/swarm/did:example:bench", "peer": ROOT / "bench/peers/pnet/peer.mjs",
             "peer_flags": ["--master-secret-file", str(PNET_SECRET)],
             "loadgen_flags": ["--master-secret-file", str(PNET_SECRET)],
             "peer_title": "ws + xsalsa20", "echo_sizes": [32]},
    # The gateway as a libp2p peer, against a js-libp2p 3 gateway doing the same job (per-connection
    # pnet, then noise, yamux, identify, ping and a floodsub router with the same tenant rules). A
    # session is a node joining (pnet + /noise + /yamux/1.0.0 + identify); an echo cell is pubsub:
    # one publisher and N subscribers of the tenant's topic, messages/s counting deliveries.
    "libp2p": {"title": "libp2p gateway", "binary": "swarm_gateway",
               "flags": ["--master-secret-file", str(PNET_SECRET), "--identity-key", "/tmp/sealed-bench-swarm-identity.key",
                         "--pubsub-rate-burst", "0", "--pubsub-rate-per-second", "0"],
               "path": "/swarm/did:example:bench", "peer": ROOT / "bench/peers/libp2p/gateway.mjs",
               "peer_flags": ["--master-secret-file", str(PNET_SECRET)],
               "loadgen_flags": ["--master-secret-file", str(PNET_SECRET)],
               "peer_title": "js-libp2p 3 + floodsub", "ceiling": False,
               "echo_sizes": [1024], "echo_connections": [10], "idle_connections": 5000,
               "handshake_title": "Joins (pnet + noise + yamux + identify, then close)",
               "about": "A *handshake* is a node joining the swarm: pnet with the tenant's key, `/noise`, "
                        "`/yamux/1.0.0` and identify, with a new identity each time. An echo cell of N "
                        "connections is pubsub through the gateway: one publisher and N subscribers of "
                        "`swarm/<DID>`, 1 KiB messages signed before the timed part; messages/s counts "
                        "deliveries (each message once per subscriber). No plaintext ceiling: the peer is "
                        "`bench/peers/libp2p/gateway.mjs` (js-libp2p 3, @libp2p/pnet per connection, floodsub)."},
    # No handshake: a round trip is one sealed POST (a P-256 agreement each), a "handshake" a new
    # connection for one request; idle connections are WebSockets to the same path. The ceiling
    # is the same POSTs unsealed, answered by the same runtime's HTTP path.
    "envelope": {"title": "Sealed envelope", "binary": "envelope_api", "flags": ["--key-dir", "{workdir}/envelope-keys"],
                 "path": "/api/echo", "url_scheme": "http", "peer": ROOT / "bench/peers/envelope/server.mjs",
                 "peer_title": "node:http + ws + node:crypto",
                 "ceiling_flags": ["--http-echo", "--path", "/api/echo"], "ceiling_path": "/api/echo",
                 "handshake_title": "New connections (connect + one sealed request + close)",
                 "about": "The envelope has no handshake: each request carries its own P-256 agreement. An echo round "
                          "trip is one sealed POST to `/api/echo` on a keep-alive connection (sealed by the load "
                          "generator before the timed part, see bench/load/http_driver.hpp); a *handshake* is a new "
                          "connection for one such request; idle connections are WebSockets to `/api/echo`. The "
                          "ceiling is `echo_server --http-echo`: the same POSTs unsealed, on the same runtime."},
    # Nothing is encrypted, so there is no plaintext ceiling: sealed's broker against npm `peer`.
    # A round trip is an OFFER and its ANSWER relayed between two peers.
    "signaling": {"title": "Signaling (PeerJS)", "binary": "peer_broker", "flags": ["--concurrent_limit", "20000"],
                  "path": "/", "peer": ROOT / "bench/peers/signaling/server.mjs", "peer_title": "npm peer 1.0.2",
                  "ceiling": False, "handshake_title": "Registrations (connect + OPEN + close)",
                  "about": "Signaling encrypts nothing, so there is no plaintext ceiling. A *handshake* is a socket "
                           "that registers an id and gets OPEN; an echo round trip is an OFFER relayed to another "
                           "peer and its ANSWER relayed back, each carrying a payload of the cell's size (echo "
                           "cells of N connections are N pairs: 2N sockets)."},
}


def servers_of(spec):
    """The servers a scheme is measured on, in the order they run."""
    return SERVERS if spec.get("ceiling", True) else SERVERS[:2]
PEER_MODULES = ROOT / "tests/interop/node_modules/ws"
QUICK_BUDGET_S = 105.0       # the load matrix must be done by then in --quick (micro benches included)
IDLE_HOLD_S = 2              # sealed_loadgen holds idle connections this long
SERVER_START_TIMEOUT_S = 15.0
SERVER_STOP_TIMEOUT_S = 10.0
