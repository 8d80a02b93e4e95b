#!/usr/bin/env node
// ignis_probe.mjs URL REDIS_PORT: one fixed list of probes against an IGNIS-style /stream node
// (a real IGNIS node, ignis_node.mjs, or stream_chat) and the Redis it shares, printed as one
// normalized JSON line, so the transcripts of two nodes can be compared (issue 29):
//   {"ok":true,"probes":[{"name","match","frames":[…]}, …]}   or   {"ok":false,"error":…}
// `match: true`: IGNIS and sealed should give the same frames (UUID ids, publicKey or
// clientPublicKey, compressed keys, the default rooms, bus messages without data or with an
// exclude that is not an array or on a client/user message, the chat app). `match: false`:
// recorded only, the differences docs/schemes/ecdh_gcm.md keeps on purpose (clear join from a
// keyed client, error `code`s, refusals).
// A frame is {"to":label,"clear":{event,data}} or {"to":label,"sealed":{inner event}} or
// {"to":label,"close":code}, in the order the script reads them (each client's in arrival
// order, but what one burst of bus messages brought is sorted: see busMark). Client ids become
// "<id:LABEL>" (when they are v4 UUIDs), times "<time>", serverPublicKey "<p256 NB>", salt
// "<salt NB>"; object keys are sorted. Bus messages are published straight to Redis as JSON (serverId "probe"). Run it while
// no other client is connected to any node on that Redis: broadcasts reach everyone.
// Crypto is IGNIS's own ECDH helper (@venizia/ignis-helpers), as ignis_client.mjs; PUBLISH goes
// over a plain RESP socket (IGNIS's RedisHelper would log to stdout and into the working folder).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

const require = createRequire(import.meta.url);
// Loading the helper starts IGNIS's logger, which opens log files in APP_ENV_LOGGER_FOLDER_PATH
// (default: the working folder): a folder of our own instead, removed on exit.
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ignis-probe-'));
process.env.APP_ENV_LOGGER_FOLDER_PATH = logDir;
process.on('exit', () => fs.rmSync(logDir, { recursive: true, force: true }));
// The helpers' own files; the package's `exports` map hides them, so go via the entry's folder.
const root = path.dirname(require.resolve('@venizia/ignis-helpers'));
const { ECDH } = require(path.join(root, 'modules/crypto/algorithms/ecdh.algorithm.js'));

const TOTAL_TIMEOUT_MS = 40000;
const FRAME_TIMEOUT_MS = 3000;  // one expected frame
const SETTLE_MS = 150;          // after a marker, for anything late or extra
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ecdh = new ECDH();
const labels = new Map();  // client id → label

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const bytesOf = (b64) => (typeof b64 === 'string' ? Buffer.from(b64, 'base64').length : -1);

function normalize(value, key) {
  if (Array.isArray(value)) return value.map((v) => normalize(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, normalize(value[k], k)]));
  }
  if (typeof value !== 'string') return value;
  if (labels.has(value)) return `<id:${labels.get(value)}>`;
  if (key === 'time' && !Number.isNaN(Date.parse(value))) return '<time>';
  if (key === 'serverPublicKey') {
    const raw = Buffer.from(value, 'base64');
    return raw.length === 65 && raw[0] === 4 ? '<p256 65B>' : `<p256? ${raw.length}B>`;
  }
  if (key === 'salt') return `<salt ${bytesOf(value)}B>`;
  return value;
}

// One probe's frames, recorded as the script reads them.
class Transcript {
  constructor() { this.frames = []; }
  add(frame) { this.frames.push(normalize(frame)); }
  // IGNIS seals each outbound frame in its own promise, so frames to one client that the bus
  // brought together may leave in any order: those are compared as a set (sorted).
  sortFrom(start) {
    const tail = this.frames.splice(start).map((f) => [JSON.stringify(f), f]);
    tail.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.frames.push(...tail.map(([, f]) => f));
  }
}

// A client: authenticate with `how` (key field name, key form), then send/receive sealed events.
class Client {
  constructor(label, url, transcript) {
    Object.assign(this, { label, url, transcript, queue: [], waiting: [], key: null, id: null });
    this.order = Promise.resolve();  // frames are opened one after another, in arrival order
  }

  async open() {
    this.ws = new WebSocket(this.url);
    this.closed = new Promise((resolve) => this.ws.on('close', (code) => resolve(code)));
    const inOrder = (step) => { this.order = this.order.then(step).catch((e) => this.push({ to: this.label, failed: String(e) })); };
    this.ws.on('message', (data) => inOrder(() => this.onFrame(JSON.parse(data.toString('utf8')))));
    this.ws.on('close', (code) => inOrder(() => { if (!this.closing) this.push({ to: this.label, close: code }); }));
    await new Promise((resolve, reject) => { this.ws.once('open', resolve); this.ws.once('error', reject); });
  }

  async onFrame(frame) {
    if (frame.event === 'encrypted' && this.key) {
      const inner = JSON.parse(await ecdh.decrypt({ secret: this.key, message: frame.data }));
      this.push({ to: this.label, sealed: inner });
    } else {
      this.push({ to: this.label, clear: frame });
    }
  }

  push(frame) {
    if (this.waiting.length) this.waiting.shift()(frame); else this.queue.push(frame);
  }

  // The next frame (recorded), or null after `ms`.
  async next(ms = FRAME_TIMEOUT_MS) {
    const frame = this.queue.length ? this.queue.shift() : await new Promise((resolve) => {
      const waiter = (f) => { clearTimeout(timer); resolve(f); };
      const timer = setTimeout(() => { this.waiting.splice(this.waiting.indexOf(waiter), 1); resolve(null); }, ms);
      this.waiting.push(waiter);
    });
    if (frame) this.transcript.add(frame);
    return frame;
  }

  // `keyField`: clientPublicKey, publicKey or null (no key); `compressed`: the 33-byte form.
  async authenticate({ user, keyField = 'clientPublicKey', compressed = false }) {
    const { keyPair, publicKeyB64 } = await ecdh.generateKeyPair();
    const data = { type: 'Bearer', token: user };
    if (keyField) data[keyField] = compressed ? compress(publicKeyB64) : publicKeyB64;
    this.sendClear({ event: 'authenticate', data });
    const connected = await this.nextRaw();
    if (connected?.clear?.event !== 'connected') {
      if (connected) this.transcript.add(connected);
      return connected;
    }
    const { id, serverPublicKey, salt } = connected.clear.data;
    if (typeof id === 'string') labels.set(id, UUID_V4.test(id) ? this.label : `${this.label} not a v4 UUID: ${id}`);
    this.id = id;
    this.transcript.add(connected);
    const { key } = await ecdh.deriveAESKey({
      privateKey: keyPair.privateKey,
      peerPublicKey: await ecdh.importPublicKey({ rawKeyB64: serverPublicKey }),
      salt,
    });
    this.key = key;
    return connected;
  }

  // An echo round trip, not recorded: once it is back, the server has this client in its registry
  // and default rooms, so bus messages addressed to it reach it. (`connected` may arrive before
  // the server has registered the session: a bus message sent at once could find no one.)
  async ready() {
    await this.send('echo', { mark: 'ready' });
    for (;;) {
      const f = await this.nextRaw();
      if (!f || f.sealed?.event === 'echo') break;
    }
  }

  // Like next() but not recorded (the caller decides).
  async nextRaw(ms = FRAME_TIMEOUT_MS) {
    const saved = this.transcript;
    this.transcript = { add() {} };
    try { return await this.next(ms); } finally { this.transcript = saved; }
  }

  sendClear(frame) { this.ws.send(JSON.stringify(frame)); }
  async send(event, data) {
    const inner = data === undefined ? { event } : { event, data };
    this.ws.send(JSON.stringify({ event: 'encrypted', data: await ecdh.encrypt({ secret: this.key, message: JSON.stringify(inner) }) }));
  }

  // Records what comes until our echo of a marker, then anything within SETTLE_MS.
  async drain(mark) {
    await this.send('echo', { mark });
    for (;;) {
      const f = await this.next();
      if (!f || f.sealed?.event === 'echo' && f.sealed?.data?.mark === mark) break;
    }
    await this.settle();
  }

  // Records frames until the server closes or is quiet for `ms` (refusals end in a close).
  async untilClosed(ms = 500) {
    for (let f = await this.next(ms); f && !('close' in f); f = await this.next(ms));
  }

  async settle() {
    await sleep(SETTLE_MS);
    while (this.queue.length) await this.next();
  }

  async close() {
    this.closing = true;
    this.ws.close(1000);
    await Promise.race([this.closed, sleep(2000)]);
  }
}

// SEC1 compressed form of an uncompressed P-256 key: 02|03 by y's parity, then x.
function compress(b64) {
  const raw = Buffer.from(b64, 'base64');
  return Buffer.concat([Buffer.from([2 + (raw[64] & 1)]), raw.subarray(1, 33)]).toString('base64');
}

// PUBLISH on one RESP connection, one command at a time (so messages go out in order).
async function redisPublisher(port) {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  let pending = null;
  let buffered = '';
  socket.on('data', (chunk) => {
    buffered += chunk.toString('utf8');
    const end = buffered.indexOf('\r\n');
    if (end < 0 || !pending) return;
    const reply = buffered.slice(0, end);
    buffered = buffered.slice(end + 2);
    const { resolve, reject } = pending;
    pending = null;
    if (reply.startsWith(':')) resolve(Number(reply.slice(1))); else reject(new Error(`redis: ${reply}`));
  });
  const bulk = (s) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  return {
    publish: (channel, text) => new Promise((resolve, reject) => {
      pending = { resolve, reject };
      socket.write(`*3\r\n${bulk('PUBLISH')}${bulk(channel)}${bulk(text)}`);
    }),
    close: () => socket.end(),
  };
}

async function run(url, redisPort) {
  const pub = await redisPublisher(redisPort);
  const publish = (channel, message) => pub.publish(channel, JSON.stringify({ serverId: 'probe', ...message }));
  const probes = [];

  // One probe: fresh clients, recorded frames, every client closed at the end.
  async function probe(name, match, body) {
    const transcript = new Transcript();
    const clients = [];
    const client = async (label) => {
      const c = new Client(label, url, transcript);
      await c.open();
      clients.push(c);
      return c;
    };
    try {
      await body(client);
    } finally {
      for (const c of clients) await c.close();
      probes.push({ name, match, frames: transcript.frames });
    }
  }
  // A bus marker: published after the messages under test, on the client channel; what came
  // until it (and SETTLE_MS after) is sorted.
  const busMark = async (c, mark) => {
    const start = c.transcript.frames.length;
    await publish(`ws:client:${c.id}`, { type: 'client', target: c.id, event: 'mark', data: { mark } });
    for (;;) {
      const f = await c.next();
      if (!f || f.sealed?.event === 'mark' && f.sealed?.data?.mark === mark) break;
    }
    await c.settle();
    c.transcript.sortFrom(start);
  };

  for (const [name, how] of [
    ['handshake.clientPublicKey', { keyField: 'clientPublicKey' }],
    ['handshake.publicKey', { keyField: 'publicKey' }],
    ['handshake.compressed_key', { keyField: 'clientPublicKey', compressed: true }],
  ]) {
    await probe(name, true, async (client) => {
      const a = await client('A');
      await a.authenticate({ user: 'probe-a', ...how });
      await a.send('echo', { n: 1, text: 'héllo ✓' });
      await a.next();
    });
  }

  await probe('default_rooms', true, async (client) => {
    const a = await client('A');
    await a.authenticate({ user: 'probe-a' });
    await a.ready();  // the server holds A in its registry and rooms before the bus speaks
    for (const room of [a.id, 'ws-default', 'ws-notification']) {
      await publish(`ws:room:${room}`, { type: 'room', target: room, event: 'to-room', data: { room: room === a.id ? 'own' : room } });
    }
    await busMark(a, 'rooms');
  });

  await probe('chat', true, async (client) => {
    const a = await client('A');
    const b = await client('B');
    await a.authenticate({ user: 'probe-a' });
    await b.authenticate({ user: 'probe-b' });
    await a.send('join', { rooms: ['r1'] });
    await a.next();
    await b.send('join', { rooms: ['r1', 'ws:internal', ''] });
    await b.next();
    await a.send('chat', { room: 'r1', text: 'hi from a' });
    await b.next();
    await a.drain('a1');
    await a.send('leave', { rooms: ['r1'] });
    await a.drain('a2');
    await b.send('chat', { room: 'r1', text: 'to nobody' });
    await b.drain('b1');
    await a.send('chat', { room: 'r1', text: 'not a member' });
    await a.next();
    await a.send('chat', { room: 'r1' });
    await a.next();
    await a.send('shout', { text: 'unknown' });
    await a.next();
    await a.drain('a3');
  });

  await probe('bus.exclude_not_an_array', true, async (client) => {
    const a = await client('A');
    await a.authenticate({ user: 'probe-a' });
    await a.ready();  // the server holds A in its registry and rooms before the bus speaks
    await publish('ws:room:ws-notification', { type: 'room', target: 'ws-notification', event: 'b1', data: { n: 1 }, exclude: 'nope' });
    await publish('ws:broadcast', { type: 'broadcast', event: 'b2', data: { n: 2 }, exclude: { [a.id]: true } });
    await publish(`ws:room:${a.id}`, { type: 'room', target: a.id, event: 'b3', data: { n: 3 }, exclude: [7, null] });
    await busMark(a, 'exclude-not-array');
  });

  await probe('bus.without_data', true, async (client) => {
    const a = await client('A');
    await a.authenticate({ user: 'probe-a' });
    await a.ready();  // the server holds A in its registry and rooms before the bus speaks
    await publish(`ws:client:${a.id}`, { type: 'client', target: a.id, event: 'b4' });
    await publish('ws:room:ws-default', { type: 'room', target: 'ws-default', event: 'b5' });
    await publish('ws:broadcast', { type: 'broadcast', event: 'b6' });
    await publish('ws:user:probe-a', { type: 'user', target: 'probe-a', event: 'b7', data: null });
    await busMark(a, 'without-data');
  });

  await probe('bus.exclude_on_client_and_user', true, async (client) => {
    const a = await client('A');
    await a.authenticate({ user: 'probe-a' });
    await a.ready();  // the server holds A in its registry and rooms before the bus speaks
    await publish(`ws:client:${a.id}`, { type: 'client', target: a.id, event: 'b8', data: { n: 8 }, exclude: [a.id] });
    await publish('ws:user:probe-a', { type: 'user', target: 'probe-a', event: 'b9', data: { n: 9 }, exclude: [a.id] });
    await busMark(a, 'exclude-client-user');
  });

  await probe('bus.exclude_on_room_and_broadcast', true, async (client) => {
    const a = await client('A');
    await a.authenticate({ user: 'probe-a' });
    await publish('ws:room:ws-default', { type: 'room', target: 'ws-default', event: 'b10', data: { n: 10 }, exclude: [a.id] });
    await publish('ws:broadcast', { type: 'broadcast', event: 'b11', data: { n: 11 }, exclude: [a.id] });
    await busMark(a, 'exclude-room-broadcast');
  });

  // Recorded only (docs/schemes/ecdh_gcm.md, "Where sealed differs from IGNIS").
  await probe('clear_join_from_a_keyed_client', false, async (client) => {
    const a = await client('A');
    await a.authenticate({ user: 'probe-a' });
    a.sendClear({ event: 'join', data: { rooms: ['r2'] } });
    await a.untilClosed();
  });

  await probe('join_of_no_valid_room', false, async (client) => {
    const a = await client('A');
    await a.authenticate({ user: 'probe-a' });
    await a.send('join', { rooms: ['ws:internal', ''] });
    await a.drain('nothing-joined');
  });

  await probe('before_authenticate', false, async (client) => {
    const a = await client('A');
    a.sendClear({ event: 'echo', data: { n: 1 } });
    await a.next();
    a.sendClear({ event: 'authenticate', data: { type: 'Bearer', token: '' } });
    await a.untilClosed();
  });

  await probe('no_key', false, async (client) => {
    const a = await client('A');
    await a.authenticate({ user: 'probe-a', keyField: null });
    await a.untilClosed();
  });

  pub.close();
  return { ok: true, probes };
}

const [url, redisPortArg] = process.argv.slice(2);
const redisPort = Number(redisPortArg);
if (!url || !Number.isInteger(redisPort) || redisPort <= 0) {
  console.error('usage: node tests/interop/ignis_probe.mjs ws://HOST:PORT/stream REDIS_PORT');
  process.exit(2);
}
const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${TOTAL_TIMEOUT_MS} ms`)), TOTAL_TIMEOUT_MS).unref());
try {
  console.log(JSON.stringify(await Promise.race([run(url, redisPort), timeout])));
  process.exit(0);
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: String(err?.stack ?? err) }));
  process.exit(1);
}
