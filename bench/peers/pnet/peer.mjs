#!/usr/bin/env node
// A Node peer for PSK-pnet (PROTOCOLS.md §4), written from the libp2p spec with the `xsalsa20`
// package (the one @libp2p/pnet uses): the outside implementation the interop tests and the
// bench run against sealed.
//   node peer.mjs --listen 127.0.0.1:0 --master-secret-file F [--path-prefix /swarm/]
//        a gateway like examples/swarm_gateway: ws at PREFIX<DID>, PSK = SHA-256(secret ‖ DID),
//        multistream-select with /ipfs/ping/1.0.0 and /sealed/tenant-broadcast/1.0.0.
//        First stdout line: `listening on HOST:PORT`.
//   node peer.mjs --dial ws://HOST:PORT/swarm/DID|tcp://HOST:PORT (--psk-file F | --master-secret-file F)
//        [--count N] [--chunk]   pnet, multistream-select, N pings of 32 bytes; with --chunk every
//        write is cut into random pieces. Prints {"ok":…,"pings":N} and exits 0 if ok.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';

const require = createRequire(new URL('../../../tests/interop/package.json', import.meta.url));
const { WebSocket, WebSocketServer } = require('ws');
const xsalsa20 = require('xsalsa20');

const MULTISTREAM = '/multistream/1.0.0\n';
const PING = '/ipfs/ping/1.0.0\n';
const BROADCAST = '/sealed/tenant-broadcast/1.0.0\n';
const DID = /^did:[a-z0-9]+:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2}|:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})$/;

function parseArgs(argv) {
  const args = { pathPrefix: '/swarm/', count: 3, chunk: false };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '').replace(/-(.)/g, (_, c) => c.toUpperCase());
    if (key === 'chunk') args.chunk = true;
    else args[key] = argv[++i];
  }
  args.count = Number(args.count);
  return args;
}

export function parsePskFile(text) {
  const lines = text.toString('utf8').split(/\r?\n/);
  if (lines[0] !== '/key/swarm/psk/1.0.0/' || lines[1].toLowerCase() !== '/base16/') throw new Error('bad PSK file');
  const key = Buffer.from(lines[2], 'hex');
  if (key.length !== 32) throw new Error('PSK is not 32 bytes');
  return key;
}
const masterSecret = (file) => Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
const tenantPsk = (secret, did) => createHash('sha256').update(secret).update(Buffer.from(did, 'utf8')).digest();

// libp2p pnet v1 over any duplex of byte chunks: our nonce first, the peer's nonce (however it
// is cut) before anything else, one XSalsa20 keystream per direction.
function pnetLayer(key, write, onPlain) {
  const nonce = randomBytes(24);
  const out = xsalsa20(nonce, key);
  let incoming = null;
  let pending = Buffer.alloc(0);
  write(nonce);
  return {
    send(plain) { write(Buffer.from(out.update(plain))); },
    receive(chunk) {
      if (!incoming) {
        pending = Buffer.concat([pending, chunk]);
        if (pending.length < 24) return;
        incoming = xsalsa20(pending.subarray(0, 24), key);
        chunk = pending.subarray(24);
        if (!chunk.length) return;
      }
      onPlain(Buffer.from(incoming.update(chunk)));
    },
    // The package's WASM heap is fixed: a stream that is never finalized keeps its slot, and
    // after some 5 000 connections new ones fail with "offset is out of bounds".
    close() {
      out.finalize();
      incoming?.finalize();
      incoming = null;
    },
  };
}

const varint = (n) => { const b = []; do { let x = n & 0x7f; n >>>= 7; if (n) x |= 0x80; b.push(x); } while (n); return Buffer.from(b); };
const frame = (text) => Buffer.concat([varint(Buffer.byteLength(text)), Buffer.from(text)]);

// Splits multistream messages off a byte stream; `rest()` hands back what follows them.
function messageReader() {
  let buffer = Buffer.alloc(0);
  return {
    feed(chunk) { buffer = Buffer.concat([buffer, chunk]); },
    next() {
      let length = 0, shift = 0, at = 0;
      for (;;) {
        if (at >= buffer.length) return null;
        const b = buffer[at++];
        length |= (b & 0x7f) << shift;
        if (!(b & 0x80)) break;
        if ((shift += 7) > 14) throw new Error('bad varint');
      }
      if (length > 65536) throw new Error('message too long');
      if (buffer.length - at < length) return null;
      const message = buffer.subarray(at, at + length).toString('utf8');
      buffer = buffer.subarray(at + length);
      return message;
    },
    rest() { const r = buffer; buffer = Buffer.alloc(0); return r; },
  };
}

function serveSwarm(tenant, tenants, socketWrite, close) {
  const reader = messageReader();
  let mode = 'negotiating', headerSeen = false, pingPending = Buffer.alloc(0);
  const member = { send: null };
  const layer = pnetLayer(tenant.key, socketWrite, (plain) => {
    try {
      if (mode === 'ping') return ping(plain);
      reader.feed(plain);
      for (let m; (m = reader.next()) !== null;) {
        if (mode === 'broadcast') {
          for (const other of tenants.get(tenant.did) ?? []) if (other !== member) other.send(frame(m));
        } else if (!headerSeen) {
          if (m !== MULTISTREAM) throw new Error('not multistream-select');
          headerSeen = true;
        } else if (m === PING) {
          layer.send(frame(PING));
          mode = 'ping';
          return ping(reader.rest());
        } else if (m === BROADCAST) {
          layer.send(frame(BROADCAST));
          mode = 'broadcast';
          member.send = (bytes) => layer.send(bytes);
          if (!tenants.has(tenant.did)) tenants.set(tenant.did, new Set());
          tenants.get(tenant.did).add(member);
        } else layer.send(frame('na\n'));
      }
    } catch { close(); }
  });
  function ping(data) {
    pingPending = Buffer.concat([pingPending, data]);
    const whole = pingPending.length - (pingPending.length % 32);
    if (whole) layer.send(pingPending.subarray(0, whole));
    pingPending = pingPending.subarray(whole);
  }
  layer.send(frame(MULTISTREAM));
  return {
    receive: (chunk) => layer.receive(chunk),
    leave: () => { tenants.get(tenant.did)?.delete(member); layer.close(); },
  };
}

function listen(args) {
  const secret = masterSecret(args.masterSecretFile);
  const tenants = new Map();
  const [host, port] = args.listen.split(/:(?=[^:]*$)/);
  const http = createServer((req, res) => { res.writeHead(404); res.end(); });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  http.on('upgrade', (req, socket, head) => {
    const path = req.url.split('?')[0];
    const did = path.startsWith(args.pathPrefix) ? path.slice(args.pathPrefix.length) : '';
    if (!DID.test(did)) {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = serveSwarm({ did, key: tenantPsk(secret, did) }, tenants, (b) => ws.send(b, { binary: true }),
        () => ws.close(1008, 'protocol negotiation failed'));
      ws.on('message', (data) => session.receive(Buffer.isBuffer(data) ? data : Buffer.concat(data)));
      ws.on('close', () => session.leave());
    });
  });
  http.listen(Number(port), host, () => console.log(`listening on ${host}:${http.address().port}`));
  const stop = () => { for (const c of wss.clients) c.terminate(); http.close(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function dial(args) {
  const target = new URL(args.dial);
  const key = args.pskFile ? parsePskFile(readFileSync(args.pskFile))
    : tenantPsk(masterSecret(args.masterSecretFile), decodeURIComponent(target.pathname.split('/').pop()));
  const result = { ok: false, pings: 0 };
  let closeSocket = () => {};
  let finished = false;
  const finish = (ok, error) => {
    if (finished) return;  // the close that follows a failure says nothing new
    finished = true;
    result.ok = ok;
    if (error) result.error = error;
    console.log(JSON.stringify(result));
    closeSocket();
    process.exitCode = ok ? 0 : 1;
    setTimeout(() => process.exit(), 100).unref();
  };
  setTimeout(() => finish(false, 'timeout'), Number(args.timeoutMs ?? 10000)).unref();
  const pieces = (bytes) => {
    if (!args.chunk) return [bytes];
    const out = [];
    for (let at = 0; at < bytes.length;) { const n = 1 + Math.floor(Math.random() * 7); out.push(bytes.subarray(at, at + n)); at += n; }
    return out;
  };
  const start = (write) => {
    const reader = messageReader();
    let stage = 'header', expected = null, echoed = Buffer.alloc(0);
    const layer = pnetLayer(key, (b) => pieces(b).forEach(write), (plain) => {
      try {
        if (stage === 'ping') return onPing(plain);
        reader.feed(plain);
        for (let m; (m = reader.next()) !== null;) {
          if (stage === 'header') {
            if (m !== MULTISTREAM) return finish(false, 'not multistream-select (wrong PSK?)');
            stage = 'protocol';
          } else if (m === PING) {
            stage = 'ping';
            sendPing();
            return onPing(reader.rest());
          } else return finish(false, `protocol refused: ${JSON.stringify(m)}`);
        }
      } catch (e) { finish(false, e.message); }
    });
    function sendPing() { expected = randomBytes(32); layer.send(expected); }
    function onPing(data) {
      echoed = Buffer.concat([echoed, data]);
      while (echoed.length >= 32) {
        if (!echoed.subarray(0, 32).equals(expected)) return finish(false, 'ping echo differs');
        echoed = echoed.subarray(32);
        if (++result.pings === args.count) return finish(true);
        sendPing();
      }
    }
    layer.send(Buffer.concat([frame(MULTISTREAM), frame(PING)]));
    return layer;
  };
  if (target.protocol === 'tcp:') {
    const socket = net.connect(Number(target.port), target.hostname);
    closeSocket = () => socket.destroy();
    socket.on('error', (e) => finish(false, e.message));
    socket.on('connect', () => { const layer = start((b) => socket.write(b)); socket.on('data', (d) => layer.receive(d)); });
    socket.on('close', () => { if (!result.ok) finish(false, 'connection closed'); });
  } else {
    const ws = new WebSocket(args.dial);
    closeSocket = () => ws.close();
    ws.on('error', (e) => finish(false, e.message));
    ws.on('unexpected-response', (req, res) => finish(false, `HTTP ${res.statusCode}`));
    ws.on('open', () => { const layer = start((b) => ws.send(b, { binary: true })); ws.on('message', (d) => layer.receive(d)); });
    ws.on('close', (code) => { if (!result.ok) finish(false, `closed ${code}`); });
  }
}

const args = parseArgs(process.argv.slice(2));
if (args.listen) listen(args);
else if (args.dial) dial(args);
else {
  console.error('usage: peer.mjs --listen HOST:PORT --master-secret-file F | --dial URL (--psk-file F | --master-secret-file F)');
  process.exit(2);
}
