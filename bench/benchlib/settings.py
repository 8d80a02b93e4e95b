"""Paths and fixed numbers shared by the whole bench."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent  # bench/benchlib/settings.py -> the repository
HOST = "127.0.0.1"
SERVERS = ("sealed", "peer", "ceiling")
SERVER_TITLES = {"sealed": "sealed (C++)", "peer": "peer (Node ws)", "ceiling": "ceiling (plaintext)"}
TARGETS = ["stream_chat", "mesh_node", "swarm_gateway", "echo_server", "sealed_loadgen", "sealed_bench_crypto",
           "sealed_bench_handshakes"]
# A public secret for the pnet bench only (it is in the repository): both gateways and the load
# generator derive the tenant's PSK from it.
PNET_SECRET = ROOT / "bench/peers/pnet/public-bench-master-secret.hex"
# Each scheme's sealed server (binary, extra flags), its Node peer and the URL path both serve; the
# ceiling is the plaintext echo_server for all. The load generator speaks each scheme by name.
SCHEMES = {
    "ecdh_gcm": {"title": "ECDH-GCM", "binary": "stream_chat", "flags": [], "path": "/stream",
                 "peer": ROOT / "bench/peers/ecdh_gcm/server.mjs", "peer_title": "ws + node:crypto"},
    "hmac_x25519": {"title": "HMAC-X25519", "binary": "mesh_node", "flags": ["--echo"], "path": "/ws",
                    "peer": ROOT / "bench/peers/hmac_x25519/node.mjs",
                    "peer_title": "ws + node:crypto + @noble/ciphers"},
    # A round trip is one 32-byte ping through the swarm (/ipfs/ping/1.0.0), so that is the only size.
    "pnet": {"title": "PSK-pnet", "binary": "swarm_gateway", "flags": ["--master-secret-file", str(PNET_SECRET)],
             "path": "/swarm/did:example:bench", "peer": ROOT / "bench/peers/pnet/peer.mjs",
             "peer_flags": ["--master-secret-file", str(PNET_SECRET)],
             "loadgen_flags": ["--master-secret-file", str(PNET_SECRET)],
             "peer_title": "ws + xsalsa20", "echo_sizes": [32]},
}
PEER_MODULES = ROOT / "tests/interop/node_modules/ws"
QUICK_BUDGET_S = 105.0       # the load matrix must be done by then in --quick (micro benches included)
IDLE_HOLD_S = 2              # sealed_loadgen holds idle connections this long
SERVER_START_TIMEOUT_S = 15.0
SERVER_STOP_TIMEOUT_S = 10.0
