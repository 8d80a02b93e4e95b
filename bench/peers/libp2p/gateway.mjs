#!/usr/bin/env node
// A js-libp2p 3 multi-tenant gateway: the same job as examples/swarm_gateway (docs/schemes/pnet.md,
// "The shared swarm"), built the way a js-libp2p user would build it, as the bench's peer.
//   node bench/peers/libp2p/gateway.mjs --listen HOST:PORT --master-secret-file F
//        [--path-prefix /swarm/] [--identity-key FILE] [--verbose]
// stdout: `listening on HOST:PORT`, then `peer id 12D3KooW…`; runs until SIGTERM/SIGINT (exit 0).
// --identity-key: the libp2p PrivateKey protobuf (Ed25519), created 0600 if missing; without it the
// key is new each start. GET /stats: JSON counters (connections, pubsubPeers, subscribedPeers,
// forwarded, refused{topic_not_allowed, peer_in_two_tenants}). check.sh beside this file tests it.
//
// Connections. An HTTP server with a `ws` WebSocketServer upgrades only `PREFIX<DID>` (the W3C DID
// syntax of bench/peers/pnet/peer.mjs, taken as sent); anything else gets HTTP 400. Each WebSocket
// (binary frames as one byte stream) is wrapped as a libp2p MultiaddrConnection; this script runs
// @libp2p/pnet's own protector on it with the tenant's PSK, SHA-256(master secret ‖ DID) (js-libp2p
// has one protector per node, so the per-connection key cannot come from the node's config), and
// hands the protected stream to the node's upgrader: `upgradeInbound(conn, { skipProtection: true })`
// → /noise (@chainsafe/libp2p-noise) → /yamux/1.0.0 (@chainsafe/libp2p-yamux) → the services:
// /ipfs/id/1.0.0, /ipfs/ping/1.0.0 and pubsub (identify lists exactly these). The connection
// manager's per-host inbound rate limit (5/s) and pending/total caps are raised: every bench peer
// comes from 127.0.0.1. js's connection monitor (a ping per connection every 10 s) stays on, as by
// default; the gateway also runs identify on each new connection (js's default).
//
// Pubsub: @libp2p/floodsub's router (StrictSign: every message's signature is verified by floodsub
// before it is forwarded; a 30 s seen-cache), subclassed so it is tenant-scoped. Why floodsub: it
// forwards every message to every peer subscribed to the topic — what our C++ gateway does — with
// no mesh to size, no GRAFT needed from a subscriber (one that only SUBSCRIBEs receives), and no
// peer scoring (gossipsub's IP-colocation score graylists a hub's peers from one address). It
// answers /meshsub/1.2.0, /meshsub/1.1.0, /meshsub/1.0.0 and /floodsub/1.0.0, as the C++ gateway
// does: a floodsub router under meshsub ids, valid because the RPC is a superset (GRAFT, PRUNE,
// IHAVE, IWANT, IDONTWANT are decoded as unknown fields and ignored; nothing is pruned, no gossip
// is sent). Its own stream to a peer is opened with the id the peer chose for its stream (each side
// writes only on the stream it opened). So a dialer proposing /meshsub/1.x gets it, and one that
// wants /floodsub/1.0.0 gets that.
//
// Tenant isolation, enforced here (the topics of tenant DID: `swarm/<DID>` and `swarm/<DID>/…`):
// - peer id → tenant is recorded when noise has authenticated the peer, in the connection gater
//   (denyInboundEncryptedConnection, which sees the pnet stream this script tagged with its DID);
//   a peer id already connected under another tenant is denied (the WebSocket is closed 1008);
// - each RPC is filtered by the sending peer's tenant before floodsub sees it: a SUBSCRIBE or a
//   published message naming another tenant's topic is dropped (and counted), so floodsub's
//   topic → subscribers table only ever holds same-tenant peers;
// - forwarding again keeps only subscribers of the topic's tenant (a second check), never the sender;
// - the gateway's own SUBSCRIBEs (the tenant's root topic at once, and each topic a peer of the
//   tenant subscribes, so a node that only publishes finds a subscriber) go only to that tenant's
//   peers: floodsub's subscribe() would announce to every peer, so it is not used.
// Limitations (js floodsub's): pubsub state is per peer id, not per connection (a second connection
// of the same peer id gets no second pubsub stream); floodsub forwards a message re-encoded, not
// byte for byte (`key` added), and carries the seqno as a BigInt: an 8-byte seqno starting with a 0
// byte re-encodes shorter, fails floodsub's own signature check and is dropped (js gossipsub seqnos
// are clock-based and never start with 0; random ones would, 1 in 256); none of the C++ gateway's
// rate/size/topic-count limits, and no redis fan-out between gateways.
// Errors and refusals go to stderr with --verbose only. Exceptions and rejections that escape
// libp2p's internals (torn-down connections) are logged with --verbose and do not stop the process.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { parseListen } from '../listen.mjs';

// libp2p 3 targets Node 22 and calls Promise.withResolvers; Node 20 lacks it. Polyfilled before
// libp2p is loaded, hence the dynamic imports below.
Promise.withResolvers ??= () => {
  let resolve;
  let reject;
  return { promise: new Promise((res, rej) => { resolve = res; reject = rej; }), resolve, reject };
};

// The packages are the interop tests' (tests/interop/package.json). Several are ESM-only with an
// `import`-only exports map, which createRequire().resolve cannot resolve, so read the map here.
const MODULES = new URL('../../../tests/interop/node_modules/', import.meta.url);
function load(name, subpath = '.') {
  const dir = new URL(`${name}/`, MODULES);
  const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8'));
  let entry = typeof pkg.exports === 'string' && subpath === '.' ? pkg.exports : pkg.exports?.[subpath];
  while (entry != null && typeof entry === 'object') entry = entry.import ?? entry.default ?? entry.node;
  return import(new URL(entry ?? pkg.main ?? 'index.js', dir).href);
}
const [
  { createLibp2p }, { noise }, { yamux }, { identify }, { ping }, { preSharedKey }, { floodsub },
  { multiaddr }, { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf },
  { WebSocketServer }, { WsConnection },
] = await Promise.all([
  load('libp2p'), load('@chainsafe/libp2p-noise'), load('@chainsafe/libp2p-yamux'), load('@libp2p/identify'),
  load('@libp2p/ping'), load('@libp2p/pnet'), load('@libp2p/floodsub'),
  load('@multiformats/multiaddr'), load('@libp2p/crypto', './keys'), load('ws'),
  // A WebSocket as a libp2p MultiaddrConnection: the interop dialer's, used here for accepted sockets.
  import(new URL('../../../tests/interop/libp2p_dial_transport.mjs', import.meta.url).href),
]);

const DID = /^did:[a-z0-9]+:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2}|:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})$/;
const PUBSUB_PROTOCOLS = ['/meshsub/1.2.0', '/meshsub/1.1.0', '/meshsub/1.0.0', '/floodsub/1.0.0'];
const NEGOTIATE_MS = 10_000; // pnet nonces, and again noise + yamux (the C++ gateway's default)

const { values: opts } = parseArgs({
  options: {
    listen: { type: 'string' }, 'master-secret-file': { type: 'string' },
    'path-prefix': { type: 'string', default: '/swarm/' }, 'identity-key': { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});
if (opts.listen == null || opts['master-secret-file'] == null) {
  console.error('usage: gateway.mjs --listen HOST:PORT --master-secret-file F [--path-prefix /swarm/] [--identity-key FILE] [--verbose]');
  process.exit(2);
}
const verbose = (...args) => { if (opts.verbose) console.error('gateway:', ...args); };
process.on('uncaughtException', (err) => verbose('uncaught exception:', err?.stack ?? err));
process.on('unhandledRejection', (err) => verbose('unhandled rejection:', err?.stack ?? err));

const secret = Buffer.from(readFileSync(opts['master-secret-file'], 'utf8').trim(), 'hex');
if (secret.length < 32) {
  console.error('gateway: the master secret must be at least 32 bytes of hex');
  process.exit(2);
}
// @libp2p/pnet takes the key as a PSK file's bytes.
const tenantPskFile = (did) => new TextEncoder().encode(
  `/key/swarm/psk/1.0.0/\n/base16/\n${createHash('sha256').update(secret).update(did, 'utf8').digest('hex')}`);

async function identityKey(file) {
  if (file == null) return generateKeyPair('Ed25519');
  if (existsSync(file)) return privateKeyFromProtobuf(new Uint8Array(readFileSync(file)));
  const key = await generateKeyPair('Ed25519');
  writeFileSync(file, privateKeyToProtobuf(key), { mode: 0o600 });
  return key;
}

// --- tenants ---------------------------------------------------------------------------------
const tenantOfConn = new WeakMap(); // pnet stream → { did, ws }
const peerTenants = new Map(); // peer id → { did, connections }
const refused = { topic_not_allowed: 0, peer_in_two_tenants: 0 };
let forwarded = 0; // messages sent on to a subscriber
const tenantOfPeer = (peerId) => peerTenants.get(peerId.toString())?.did;
const topicTenant = (topic) => (topic.startsWith('swarm/') ? topic.slice(6).split('/')[0] : null);
const inTenant = (did, topic) => did != null && (topic === `swarm/${did}` || topic.startsWith(`swarm/${did}/`));

const connectionGater = {
  // After noise: the remote peer id is authenticated; bind it to the connection's tenant.
  denyInboundEncryptedConnection(peerId, maConn) {
    const tag = tenantOfConn.get(maConn);
    if (tag == null) return true;
    const id = peerId.toString();
    const entry = peerTenants.get(id);
    if (entry != null && entry.did !== tag.did) {
      refused.peer_in_two_tenants++;
      tag.refusal = 'peer id belongs to another tenant';
      verbose(`refused ${id} under ${tag.did}: connected under ${entry.did}`);
      return true;
    }
    if (tag.ws.readyState !== tag.ws.OPEN) return true;
    if (entry == null) peerTenants.set(id, { did: tag.did, connections: 1 });
    else entry.connections++;
    tag.ws.once('close', () => {
      const e = peerTenants.get(id);
      if (e != null && --e.connections === 0) peerTenants.delete(id);
    });
    return false;
  },
};

// --- pubsub: floodsub, scoped per tenant -----------------------------------------------------------
function tenantFloodsub() {
  return (components) => {
    const base = floodsub({ globalSignaturePolicy: 'StrictSign', emitSelf: false });
    const FloodSub = base(components).constructor; // the package exports only the factory
    class TenantFloodSub extends FloodSub {
      announced = new Map(); // tenant DID → topics the gateway has SUBSCRIBEd to on its peers' streams

      async start() {
        if (this.started) return;
        for (const protocol of PUBSUB_PROTOCOLS) {
          await this.components.registrar.handle(protocol, this._onIncomingStream,
            { maxInboundStreams: 1, maxOutboundStreams: 1 });
        }
        this.onDisconnect = (evt) => this._removePeer(evt.detail);
        this.components.events.addEventListener('peer:disconnect', this.onDisconnect);
        this.started = true;
      }

      async stop() {
        if (!this.started) return;
        this.components.events.removeEventListener('peer:disconnect', this.onDisconnect);
        await this.components.registrar.unhandle(PUBSUB_PROTOCOLS);
        for (const peerStreams of this.peers.values()) peerStreams.close();
        this.peers.clear();
        this.topics.clear();
        this.started = false;
      }

      // The peer's own stream (read-only for us); ours is opened back with the protocol it chose.
      _onIncomingStream(stream, connection) {
        const peerId = connection.remotePeer;
        const did = tenantOfPeer(peerId);
        const existing = this.peers.get(peerId);
        if (did == null || existing?.inboundPb != null) {
          stream.abort(new Error(did == null ? 'no tenant for this peer' : 'a pubsub stream of this peer exists'));
          return;
        }
        const peerStreams = this.addPeer(peerId, stream);
        peerStreams.did = did;
        peerStreams.attachInboundStream(stream, undefined, this.decodeRpcLimits);
        if (!this.announced.has(did)) this.announced.set(did, new Set([`swarm/${did}`]));
        if (peerStreams.outboundPb == null && !peerStreams.opening) {
          peerStreams.opening = true;
          this.openOutbound(peerStreams, connection, stream.protocol, did)
            .catch((err) => verbose('pubsub stream:', err.message));
        }
      }

      async openOutbound(peerStreams, connection, protocol, did) {
        const stream = await connection.newStream(protocol, { signal: AbortSignal.timeout(NEGOTIATE_MS) });
        if (this.peers.get(peerStreams.peerId) !== peerStreams) { stream.abort(new Error('peer gone')); return; }
        peerStreams.attachOutboundStream(stream);
        this.send(peerStreams.peerId, { subscriptions: [...(this.announced.get(did) ?? [])], subscribe: true });
      }

      _removePeer(peerId) {
        const did = this.peers.get(peerId)?.did;
        super._removePeer(peerId);
        // The tenant's announced topics go with its last peer.
        if (did == null || [...this.peers.values()].some((p) => p.did === did)) return;
        this.announced.delete(did);
      }

      // Every RPC is cut to the sender's tenant before floodsub handles it.
      async processRpc(peerStreams, rpc) {
        const did = peerStreams.did;
        const allowed = (what) => (item) => {
          if (inTenant(did, item.topic ?? '')) return true;
          refused.topic_not_allowed++;
          verbose(`refused ${what} on "${item.topic}" from ${peerStreams.peerId} (tenant ${did})`);
          return false;
        };
        return super.processRpc(peerStreams, {
          subscriptions: (rpc.subscriptions ?? []).filter(allowed('subscribe')),
          messages: (rpc.messages ?? []).filter(allowed('publish')),
        });
      }

      processRpcSubOpt(peerId, subOpt) {
        super.processRpcSubOpt(peerId, subOpt);
        if (subOpt.subscribe === true) this.announce(this.peers.get(peerId)?.did, subOpt.topic);
      }

      // The gateway subscribes to a tenant topic on the tenant's peers only.
      announce(did, topic) {
        if (did == null) return;
        let topics = this.announced.get(did);
        if (topics == null) this.announced.set(did, (topics = new Set([`swarm/${did}`])));
        if (topics.has(topic)) return;
        topics.add(topic);
        for (const [peerId, peerStreams] of this.peers) {
          if (peerStreams.did === did) this.send(peerId, { subscriptions: [topic], subscribe: true });
        }
      }

      async publishMessage(from, message) {
        const did = topicTenant(message.topic);
        const recipients = this.getSubscribers(message.topic)
          .filter((id) => !id.equals(from) && !id.equals(this.components.peerId) && this.peers.get(id)?.did === did);
        for (const id of recipients) this.send(id, { messages: [message] });
        forwarded += recipients.length;
        return { recipients };
      }

      subscribe() { throw new Error('the gateway subscribes per tenant (announce)'); }
    }
    return new TenantFloodSub(components, { globalSignaturePolicy: 'StrictSign', emitSelf: false });
  };
}

function remoteMultiaddr(socket) {
  const host = (socket.remoteAddress ?? '0.0.0.0').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return multiaddr(`/${net.isIPv6(host) ? 'ip6' : 'ip4'}/${host}/tcp/${socket.remotePort ?? 0}/ws`);
}

// --- the node and the listener ---------------------------------------------------------------------
const node = await createLibp2p({
  privateKey: await identityKey(opts['identity-key']),
  start: false,
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionGater,
  connectionManager: {
    maxConnections: 100_000,
    maxIncomingPendingConnections: 10_000,
    inboundConnectionThreshold: 1_000_000,
    inboundUpgradeTimeout: NEGOTIATE_MS,
  },
  services: { identify: identify(), ping: ping(), pubsub: tenantFloodsub() },
});
await node.start();
const { upgrader, logger } = node.components;
const connLog = logger.forComponent('gateway:ws');

async function serve(ws, req, did) {
  const raw = new WsConnection(ws, remoteMultiaddr(req.socket), connLog, 'inbound');
  let tag;
  try {
    const protector = preSharedKey({ psk: tenantPskFile(did) })();
    const protectedConn = await protector.protect(raw, { signal: AbortSignal.timeout(NEGOTIATE_MS) });
    tag = { did, ws };
    tenantOfConn.set(protectedConn, tag);
    await upgrader.upgradeInbound(protectedConn, { skipProtection: true, signal: AbortSignal.timeout(NEGOTIATE_MS) });
  } catch (err) {
    const why = `${err?.name ?? 'Error'}: ${err?.message ?? err}`;
    verbose(`connection for ${did} failed${tag?.refusal != null ? '' : ' (wrong PSK?)'}: ${why}`);
    if (tag?.refusal != null) {
      ws.close(1008, tag.refusal); // the peer's WebSocket sees why; its close ends `raw` too
      setTimeout(() => ws.terminate(), 1000).unref();
    } else {
      raw.abort(err instanceof Error ? err : new Error(String(err)));
      ws.terminate();
    }
  }
}

const { host, port } = parseListen(opts.listen);
// GET /stats: a JSON snapshot for scripts (check.sh waits on subscribedPeers); anything else 404.
const http = createServer((req, res) => {
  if (req.method !== 'GET' || req.url !== '/stats') { res.writeHead(404); res.end(); return; }
  const pubsub = node.services.pubsub;
  const stats = {
    connections: node.getConnections().length,
    pubsubPeers: pubsub.peers.size,
    subscribedPeers: new Set([...pubsub.topics.values()].flatMap((peers) => [...peers].map(String))).size,
    forwarded,
    refused,
  };
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(stats)}\n`);
});
const wss = new WebSocketServer({ noServer: true, maxPayload: 4 << 20 });
http.on('upgrade', (req, socket, head) => {
  socket.on('error', (err) => verbose('socket:', err.message));
  const path = (req.url ?? '').split('?')[0];
  const did = path.startsWith(opts['path-prefix']) ? path.slice(opts['path-prefix'].length) : '';
  if (!DID.test(did)) {
    verbose(`refused upgrade of ${JSON.stringify(path)}: not ${opts['path-prefix']}<DID>`);
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => { serve(ws, req, did); });
});
http.on('clientError', (err, socket) => { verbose('http:', err.message); socket.destroy(); });
await new Promise((resolve, reject) => { http.once('error', reject); http.listen(port, host, resolve); });
const bound = http.address();
console.log(`listening on ${net.isIPv6(bound.address) ? `[${bound.address}]` : bound.address}:${bound.port}`);
console.log(`peer id ${node.peerId}`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 5000).unref();
  http.close();
  for (const ws of wss.clients) ws.terminate();
  await node.stop().catch((err) => verbose('stop:', err.message));
  verbose('refused:', JSON.stringify(refused));
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
