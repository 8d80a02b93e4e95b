#!/usr/bin/env bash
# Checks bench/peers/libp2p/gateway.mjs with real js-libp2p 3 nodes (tests/interop/libp2p_node.mjs):
# identify + pings; per pubsub kind, Alice's message reaches Alice's other node and never Bob's node
# (subscribed to Alice's topic too); a wrong PSK fails in the dial and the gateway keeps serving;
# SIGTERM exits 0. Prints one summary line; exit status non-zero on the first failure.
set -u
root=$(cd "$(dirname "$0")/../../.." && pwd)
node_js="$root/tests/interop/libp2p_node.mjs"
secret="$root/bench/peers/pnet/public-bench-master-secret.hex"
tmp=$(mktemp -d); gw=
trap '[ -n "$gw" ] && kill "$gw" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "libp2p gateway check: FAIL: $*"; for f in "$tmp"/*.out; do echo "--- $f"; head -c 1500 "$f"; echo; done; exit 1; }
for t in alice bob; do  # tenant PSK files: SHA-256(master secret ‖ DID)
  node -e 'const c=require("crypto"),fs=require("fs"),s=Buffer.from(fs.readFileSync(process.argv[1],"utf8").trim(),"hex");
    fs.writeFileSync(process.argv[3],"/key/swarm/psk/1.0.0/\n/base16/\n"+c.createHash("sha256").update(s).update(process.argv[2]).digest("hex"))' \
    "$secret" "did:example:$t" "$tmp/$t.key"
done
node "$root/bench/peers/libp2p/gateway.mjs" --listen 127.0.0.1:0 --master-secret-file "$secret" >"$tmp/gw.out" 2>&1 & gw=$!
for _ in $(seq 100); do grep -q '^peer id 12D3KooW' "$tmp/gw.out" && break; sleep 0.1; done
port=$(sed -n '1s/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/gw.out")
[ -n "$port" ] || fail "no 'listening on' line"
url="ws://127.0.0.1:$port/swarm"; topic=swarm/did:example:alice
stats() { curl -s "http://127.0.0.1:$port/stats" | grep -o "\"$1\":[0-9]*" | cut -d: -f2; }  # a counter of GET /stats
dial() { local who=$1 key=$2; shift 2; node "$node_js" --ws "$url/did:example:$who" --psk-file "$tmp/$key.key" --pings 1 "$@"; }

dial alice alice --pings 3 >"$tmp/dial.out" || fail "alice's dial"
grep -q '"ok":true' "$tmp/dial.out" && grep -q '"publicKeyMatches":true' "$tmp/dial.out" || fail "alice's dial report"
for kind in gossipsub floodsub; do
  dial alice alice --pubsub $kind --subscribe $topic --expect-messages 1 --timeout-ms 20000 >"$tmp/recv-$kind.out" & recv=$!
  dial bob bob --pubsub $kind --subscribe $topic --subscribe swarm/did:example:bob --listen-ms 3000 >"$tmp/bob-$kind.out" & bob=$!
  for _ in $(seq 100); do [ "$(stats subscribedPeers)" -ge 2 ] && break; sleep 0.1; done
  dial alice alice --pubsub $kind --subscribe $topic --publish "$topic=hello $kind" >"$tmp/pub-$kind.out" || fail "$kind publisher"
  wait $recv || fail "$kind receiver"
  wait $bob || fail "$kind: bob's node"
  grep -q "\"received\":\[{\"topic\":\"$topic\",\"data\":\"hello $kind\"" "$tmp/recv-$kind.out" || fail "$kind: alice's receiver did not get it"
  grep -q '"received":\[\]' "$tmp/bob-$kind.out" || fail "$kind: bob's node heard alice's tenant"
done
[ "$(stats forwarded)" = 2 ] || fail "forwarded $(stats forwarded), expected 2"
[ "$(stats topic_not_allowed)" -ge 2 ] || fail "bob's subscriptions to alice's topic were not refused"

dial alice bob --timeout-ms 8000 >"$tmp/wrong.out" && fail "a wrong PSK was accepted"
grep -q '"stage":"dial"' "$tmp/wrong.out" || fail "the wrong PSK did not fail in the dial"
dial alice alice >"$tmp/after.out" || fail "the gateway stopped serving after a wrong PSK"

kill -TERM "$gw"; wait "$gw"; rc=$?; gw=
[ $rc = 0 ] || fail "SIGTERM exit status $rc"
echo "libp2p gateway check: OK (identify+ping; gossipsub and floodsub reach alice's tenant only; wrong PSK refused; SIGTERM exit 0)"
