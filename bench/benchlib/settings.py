"""Paths and fixed numbers shared by the whole bench."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent  # bench/benchlib/settings.py -> the repository
HOST = "127.0.0.1"
SERVERS = ("sealed", "peer", "ceiling")
SERVER_TITLES = {"sealed": "sealed (C++)", "peer": "peer (Node ws)", "ceiling": "ceiling (plaintext)"}
TARGETS = ["stream_chat", "echo_server", "sealed_loadgen", "sealed_bench_crypto", "sealed_bench_handshakes"]
PEER_SCRIPT = ROOT / "bench/peers/ecdh_gcm/server.mjs"
PEER_MODULES = ROOT / "tests/interop/node_modules/ws"
QUICK_BUDGET_S = 105.0       # the load matrix must be done by then in --quick (micro benches included)
IDLE_HOLD_S = 2              # sealed_loadgen holds idle connections this long
SERVER_START_TIMEOUT_S = 15.0
SERVER_STOP_TIMEOUT_S = 10.0
