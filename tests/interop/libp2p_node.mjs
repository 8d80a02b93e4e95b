#!/usr/bin/env node
// libp2p_node.mjs: a real js-libp2p 3 node (pnet PSK → /noise → /yamux/1.0.0, identify and ping
// services) that dials a libp2p gateway once, pings it, waits for identify and reports.
//   node tests/interop/libp2p_node.mjs (--ws ws://HOST:PORT/swarm/<DID> | --tcp HOST:PORT)
//     --psk-file FILE [--expect-peer 12D3KooW...] [--pings N] [--timeout-ms MS] [--hold-ms MS]
// Prints one JSON line: {"ok":true,"remotePeer":…,"pings":[ms,…],"identify":{…}} or
// {"ok":false,"stage":"dial|ping|identify|hold","error":…}; exit status 0 or 1.
// The socket is opened here (the `ws` package or net.connect) and handed to libp2p's own upgrader,
// because @libp2p/websockets does not dial /ws/http-path/… and Node 20 has no global WebSocket.
// identify must end with the remote's FIN: one that only ends on js's 5 s identify timeout fails.
// DEBUG='libp2p*' logs libp2p's internals (and this dialer's connection) to stderr.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';

// libp2p 3 targets Node 22 and calls Promise.withResolvers; Node 20 lacks it. Polyfilled before
// libp2p is loaded, hence the dynamic imports below.
Promise.withResolvers ??= () => {
  let resolve;
  let reject;
  return { promise: new Promise((res, rej) => { resolve = res; reject = rej; }), resolve, reject };
};

const [
  { createLibp2p }, { noise }, { yamux }, { identify }, { ping }, { preSharedKey },
  { AbstractMultiaddrConnection }, { multiaddr }, { peerIdFromString, peerIdFromPublicKey },
  { publicKeyFromProtobuf }, { default: WebSocket },
] = await Promise.all([
  import('libp2p'), import('@chainsafe/libp2p-noise'), import('@chainsafe/libp2p-yamux'),
  import('@libp2p/identify'), import('@libp2p/ping'), import('@libp2p/pnet'), import('@libp2p/utils'),
  import('@multiformats/multiaddr'), import('@libp2p/peer-id'), import('@libp2p/crypto/keys'), import('ws'),
]);

// libp2p 3 MultiaddrConnections are event-based message streams; these mirror what @libp2p/tcp
// and @libp2p/websockets build internally (and tests/interop/pnet_libp2p_dial.mjs).
class TcpConnection extends AbstractMultiaddrConnection {
  constructor(socket, remoteAddr, log) {
    super({ remoteAddr, direction: 'outbound', log });
    this.socket = socket;
    socket.on('data', (buf) => this.onData(buf));
    socket.on('drain', () => this.safeDispatchEvent('drain'));
    socket.on('error', (err) => this.abort(err));
    socket.on('close', () => this.onTransportClosed());
  }
  sendData(data) {
    let canSendMore = true;
    for (const buf of data) canSendMore = this.socket.write(buf);
    return { sentBytes: data.byteLength, canSendMore };
  }
  async sendClose() {
    await new Promise((resolve) => this.socket.end(resolve));
    this.socket.destroy();
  }
  sendReset() { this.socket.resetAndDestroy(); }
  sendPause() { this.socket.pause(); }
  sendResume() { this.socket.resume(); }
}

// One binary frame is one stream chunk; frame boundaries carry no meaning.
class WsConnection extends AbstractMultiaddrConnection {
  constructor(ws, remoteAddr, log) {
    super({ remoteAddr, direction: 'outbound', log });
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.onData(data);
      else this.abort(new Error('unexpected WebSocket text frame'));
    });
    ws.on('error', (err) => this.abort(err));
    ws.on('close', () => this.onTransportClosed());
  }
  // ws queues without limit; the traffic here is small, so there is no backpressure to report.
  sendData(data) {
    for (const buf of data) this.ws.send(buf, { binary: true });
    return { sentBytes: data.byteLength, canSendMore: true };
  }
  async sendClose() {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await once(this.ws, 'close');
  }
  sendReset() { this.ws.terminate(); }
  sendPause() { this.ws.pause(); }
  sendResume() { this.ws.resume(); }
}

// What a multiaddr of ours means: {host, port} for raw TCP, or {url} for
// /ip4|ip6|dns/H/tcp/P/(ws|wss|tls/ws)[/http-path/<pct>]; a trailing /p2p/<id> is the upgrader's.
function dialTarget(ma) {
  const parts = ma.getComponents();
  if (parts.at(-1)?.name === 'p2p') parts.pop();
  const [h, t, ...rest] = parts;
  if (!['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(h?.name) || t?.name !== 'tcp') return null;
  const host = h.value;
  const port = Number(t.value);
  if (rest.length === 0) return { host, port };
  let scheme;
  if (rest[0].name === 'tls' && rest[1]?.name === 'ws') { rest.splice(0, 2); scheme = 'wss'; }
  else if (rest[0].name === 'ws' || rest[0].name === 'wss') scheme = rest.shift().name;
  else return null;
  let path = '/';
  if (rest[0]?.name === 'http-path') path = rest.shift().value.replace(/^(?!\/)/, '/');
  if (rest.length !== 0) return null;
  return { url: `${scheme}://${h.name === 'ip6' ? `[${host}]` : host}:${port}${path}` };
}

// The inverse, for the command line: --tcp HOST:PORT or --ws URL → a multiaddr.
function toMultiaddr({ tcp, ws }) {
  const hostPart = (host) => (net.isIPv4(host) ? `/ip4/${host}` : net.isIPv6(host) ? `/ip6/${host}` : `/dns/${host}`);
  if (tcp != null) {
    const colon = tcp.lastIndexOf(':');
    const host = tcp.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    const port = Number(tcp.slice(colon + 1));
    if (colon < 1 || !Number.isInteger(port)) throw new Error(`--tcp wants HOST:PORT, got "${tcp}"`);
    return multiaddr(`${hostPart(host)}/tcp/${port}`);
  }
  const url = new URL(ws);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`--ws wants a ws:// or wss:// URL, got "${ws}"`);
  const port = url.port !== '' ? url.port : url.protocol === 'wss:' ? 443 : 80;
  const path = `${url.pathname}${url.search}`.slice(1);
  const httpPath = path === '' ? '' : `/http-path/${encodeURIComponent(path)}`;
  return multiaddr(`${hostPart(url.hostname.replace(/^\[(.*)\]$/, '$1'))}/tcp/${port}/${url.protocol === 'wss:' ? 'tls/ws' : 'ws'}${httpPath}`);
}

async function openSocket(target, ma, signal, log) {
  if (target.url == null) {
    const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
    await once(socket, 'connect', { signal }).catch((err) => { socket.destroy(); throw err; });
    return new TcpConnection(socket, ma, log);
  }
  const ws = new WebSocket(target.url);
  let conn;
  // Wrap on 'upgrade', before ws starts reading: the gateway's pnet nonce can share a TCP segment
  // with the 101 reply, and ws would emit it before an await on 'open' could resume.
  ws.once('upgrade', () => { conn = new WsConnection(ws, ma, log); });
  await once(ws, 'open', { signal }).catch((err) => { ws.terminate(); throw err; });
  return conn;
}

// A dial-only libp2p transport: opens the socket, then protector → noise → yamux by libp2p itself.
class GatewayDialer {
  [Symbol.for('@libp2p/transport')] = true;
  [Symbol.toStringTag] = 'libp2p-node:gateway-dialer';
  constructor(components) { this.log = components.logger.forComponent('libp2p-node:dialer'); }

  async dial(ma, options) {
    const target = dialTarget(ma);
    this.log('dialing %s', target.url ?? `${target.host}:${target.port}`);
    const maConn = await openSocket(target, ma, options.signal, this.log);
    try {
      return await options.upgrader.upgradeOutbound(maConn, options);
    } catch (err) {
      maConn.abort(err);
      throw err;
    }
  }

  dialFilter(addrs) { return addrs.filter((ma) => dialTarget(ma) != null); }
  listenFilter() { return []; }
  createListener() { throw new Error('libp2p_node.mjs only dials'); }
}

function options() {
  const { values } = parseArgs({
    options: {
      tcp: { type: 'string' }, ws: { type: 'string' }, 'psk-file': { type: 'string' }, 'expect-peer': { type: 'string' },
      pings: { type: 'string', default: '3' }, 'timeout-ms': { type: 'string', default: '15000' }, 'hold-ms': { type: 'string', default: '0' },
    },
  });
  if ((values.tcp == null) === (values.ws == null)) throw new Error('give exactly one of --tcp HOST:PORT or --ws URL');
  if (values['psk-file'] == null) throw new Error('--psk-file is required');
  const int = (name, min) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got "${values[name]}"`);
    return n;
  };
  return {
    target: toMultiaddr(values),
    psk: new Uint8Array(readFileSync(values['psk-file'])),
    expectPeer: values['expect-peer'] != null ? peerIdFromString(values['expect-peer']) : undefined,
    pings: int('pings', 0),
    timeoutMs: int('timeout-ms', 1),
    holdMs: int('hold-ms', 0),
  };
}

const IDENTIFY_TIMEOUT_MS = 5000; // @libp2p/identify's default, made explicit
let node;
let stage = 'dial';
const pending = new Set(); // identify and ping run side by side; a timeout names the first pending
let finished = false;

async function finish(result, timeoutMs) {
  if (finished) return;
  finished = true;
  // Stop the node (closing the connection) before exiting, but never wait longer than the timeout.
  if (node != null) await Promise.race([node.stop().catch(() => {}), new Promise((r) => setTimeout(r, timeoutMs))]);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.ok ? 0 : 1);
}

// Failures carry the stage they happened in; pending tracks what a timeout interrupted.
function staged(name, promise) {
  pending.add(name);
  const p = promise.then((v) => { pending.delete(name); return v; }, (err) => { throw { stage: name, err }; });
  p.catch(() => {});
  return p;
}

async function identifyRemote(conn) {
  const start = Date.now();
  // Throws if publicKey is missing or is not the noise peer's; read until the remote's FIN.
  const id = await node.services.identify.identify(conn);
  const ms = Date.now() - start;
  if (ms >= IDENTIFY_TIMEOUT_MS - 100) throw new Error(`identify ended only on js's ${IDENTIFY_TIMEOUT_MS} ms timeout: the remote did not half-close (FIN) /ipfs/id/1.0.0`);
  const publicKeyMatches = id.publicKey != null && peerIdFromPublicKey(publicKeyFromProtobuf(id.publicKey)).equals(conn.remotePeer);
  if (!publicKeyMatches) throw new Error('identify publicKey does not match the connection\'s remote peer');
  const { agentVersion, protocolVersion, protocols } = id;
  return { agentVersion, protocolVersion, protocols, publicKeyMatches, listenAddrs: id.listenAddrs.map(String), observedAddr: id.observedAddr?.toString(), ms };
}

async function run(opts, signal) {
  node = await createLibp2p({
    transports: [(components) => new GatewayDialer(components)],
    connectionProtector: preSharedKey({ psk: opts.psk }),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // identify is run explicitly (as soon as the connection opens), so a failure is reported
    services: { identify: identify({ runOnConnectionOpen: false, timeout: IDENTIFY_TIMEOUT_MS }), ping: ping() },
    connectionManager: { dialTimeout: opts.timeoutMs, addressDialTimeout: opts.timeoutMs },
  });
  let opened = 0;
  node.addEventListener('connection:open', () => { opened++; });

  const conn = await node.dial(opts.expectPeer != null ? opts.target.encapsulate(`/p2p/${opts.expectPeer}`) : opts.target, { signal });
  const { remotePeer } = conn;
  if (opts.expectPeer != null && !remotePeer.equals(opts.expectPeer)) throw new Error(`remote peer is ${remotePeer}, expected ${opts.expectPeer}`);

  const [identifyResult, pings] = await Promise.all([
    staged('identify', identifyRemote(conn)),
    staged('ping', (async () => {
      const rtts = [];
      for (let i = 0; i < opts.pings; i++) rtts.push(await node.services.ping.ping(remotePeer, { signal }));
      return rtts;
    })()),
  ]);
  stage = 'ping';
  // ping() dials again if the connection is gone; only the first connection counts.
  if (conn.status !== 'open' || opened !== 1) throw new Error(`the connection did not stay open (status ${conn.status}, ${opened} opened)`);

  if (opts.holdMs > 0) {
    stage = 'hold';
    await Promise.race([once(conn, 'close'), new Promise((r) => setTimeout(r, opts.holdMs))]);
    if (conn.status !== 'open') throw new Error(`connection closed during --hold-ms (status ${conn.status})`);
  }
  return { ok: true, remotePeer: remotePeer.toString(), pings, identify: identifyResult, ...(opts.holdMs > 0 ? { heldMs: opts.holdMs } : {}) };
}

let opts;
try {
  opts = options();
} catch (err) {
  await finish({ ok: false, stage: 'args', error: err.message }, 1000);
}
const controller = new AbortController();
// The checks get --timeout-ms; --hold-ms comes on top. A ref'd timer fires even on a silent socket.
const deadline = setTimeout(() => {
  if (stage === 'hold') return;
  controller.abort();
  finish({ ok: false, stage: [...pending][0] ?? stage, error: `timeout after ${opts.timeoutMs} ms` }, opts.timeoutMs);
}, opts.timeoutMs);
run(opts, controller.signal).then(
  (result) => { clearTimeout(deadline); return finish(result, opts.timeoutMs); },
  (failure) => {
    const err = failure?.err ?? failure;
    const message = err?.message || String(err);
    const error = err?.name != null && err.name !== 'Error' ? `${err.name}: ${message}` : message;
    return finish({ ok: false, stage: failure?.stage ?? stage, error }, opts.timeoutMs);
  },
);
