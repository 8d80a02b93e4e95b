#!/usr/bin/env node
// signaling_transcript.mjs — one scripted session against a PeerJS-compatible signaling broker
// (PROTOCOLS.md §5; reference: npm `peer` 1.0.2), written out as a normalized transcript.
//
//   node tests/interop/signaling_transcript.mjs --url ws://127.0.0.1:PORT --path /myapp --key peerjs \
//        [--expire-timeout-ms 5000] [--concurrent-limit N] [--settle-ms 200] [--out file.json]
//
// The transcript is a JSON array of {step, client, event, data}:
//   event "open"  — the WebSocket handshake completed (data null)
//   event "frame" — a frame the client received (data: parsed JSON, {text} or {binary: bytes})
//   event "close" — the broker closed the socket (data {code, reason}); closes the script
//                   starts itself are not recorded
//   event "http"  — an HTTP response (client "http"), or a refused WebSocket upgrade
// Per step the entries are grouped by client (in order of creation), each client's entries in
// arrival order, so the transcript does not depend on cross-socket timing. Random ids/tokens are
// replaced by role names ("A", "A-token", …), strings longer than 200 characters by
// "<string length=N>", and timing is encoded in the steps themselves (e.g. EXPIRE must not come
// in "expire-before-timeout" and must come in "expire-after-timeout"). Sent frames are not
// recorded; what each step sends is in its name and in the code below.
//
// Client "roles" name sockets; several sockets may share one peer id (A, A-replacement and
// A-other-token all use id "A"). Malformed-frame steps run last because the reference stops
// reading a socket after a frame that is not a JSON object (see steps "non-json-*").
//
// Exports: runSession(options) → transcript, runDiscoveryProbe(options) → transcript,
// compareTranscripts(reference, candidate, differences) → list of problems, and
// DOCUMENTED_DIFFERENCES (used by signaling_transcript.test.mjs).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';

// Known, accepted differences between the sealed broker and npm `peer` 1.0.2, each one listed in
// docs/schemes/signaling.md ("Differences from peer 1.0.2"). compareTranscripts() applies them:
//  - CLOSE_RULE, to every step: where the reference closes a refused socket without a code
//    (1005), sealed closes it with 1008 and the ERROR / ID-TAKEN text as the reason.
//  - DOCUMENTED_DIFFERENCES, per step: `sealed` lists the [client, event, data] entries the sealed
//    broker must produce for that step instead of the reference's (so the step is still pinned).
const ERROR_MALFORMED = { type: 'ERROR', payload: { msg: 'Invalid message: expected a JSON object with a string type' } };
export const CLOSE_RULE = 'refused sockets close with 1008 and the refusal text, not without a code (1005)';
export const DOCUMENTED_DIFFERENCES = [
  { step: 'ws-wrong-path', reason: 'an upgrade to a path that is not <path>/peerjs is 404 (the framework), not 400 (ws)',
    sealed: [['wrong-path', 'http', { upgradeRefused: true, status: 404 }]] },
  { step: 'no-type', reason: 'a frame without a string type is answered with ERROR (the socket stays open); the reference drops it silently',
    sealed: [['A', 'frame', ERROR_MALFORMED], ['B', 'frame', { type: 'OFFER', src: 'A', dst: 'B', payload: { probe: 'after-no-type' } }]] },
  { step: 'json-array-frame', reason: 'a frame that is not a JSON object is answered with ERROR; the reference drops it silently',
    sealed: [['A', 'frame', ERROR_MALFORMED], ['B', 'frame', { type: 'OFFER', src: 'A', dst: 'B', payload: { probe: 'after-json-array' } }]] },
  { step: 'same-id-same-token', reason: 'a socket that takes its id over (same token) gets OPEN; the reference sends nothing, so a peerjs client reconnecting before its old socket was noticed gone never opens',
    sealed: [['A-replacement', 'open', null], ['A-replacement', 'frame', { type: 'OPEN' }]] },
  { step: 'replaced-socket-still-sends', reason: 'a socket whose id a newer socket of the same token took over no longer speaks for the id: ERROR, nothing relayed; the reference still relays as the id',
    sealed: [['A', 'frame', { type: 'ERROR', payload: { msg: 'This socket no longer holds its id: reconnect to register' } }]] },
  { step: 'limit-same-id-same-token', reason: 'as same-id-same-token',
    sealed: [['L1-replacement', 'open', null], ['L1-replacement', 'frame', { type: 'OPEN' }]] },
  { step: 'peer-disconnects', reason: 'LEAVE to the peers a dropped client exchanged messages with (the issue\'s improvement); the reference sends nothing',
    sealed: [['A-replacement', 'frame', { type: 'LEAVE', src: 'B', dst: 'A' }]] },
  { step: 'queued-peer-disconnects', reason: 'LEAVE on drop, as peer-disconnects',
    sealed: [['A-replacement', 'frame', { type: 'LEAVE', src: 'C', dst: 'A' }]] },
  { step: 'non-json-frame', reason: 'a frame that is not JSON is answered with ERROR and the socket goes on; in the reference the parse error escapes as an uncaught exception and the socket is never read again',
    sealed: [['P', 'frame', { type: 'OFFER', src: 'N', dst: 'P', payload: { probe: 'after-non-json' } }], ['N', 'frame', ERROR_MALFORMED]] },
  { step: 'non-json-socket-still-heartbeats', reason: 'as non-json-frame: the socket still relays',
    sealed: [['P', 'frame', { type: 'OFFER', src: 'N', dst: 'P', payload: { probe: 'after-non-json-heartbeat' } }]] },
  { step: 'non-json-socket-dropped', reason: 'as non-json-frame: the dropped socket releases its id (LEAVE to P, the id is free again); the reference leaks the id (ID-TAKEN forever)',
    sealed: [['P', 'frame', { type: 'LEAVE', src: 'N', dst: 'P' }], ['N-other-token', 'open', null], ['N-other-token', 'frame', { type: 'OPEN' }]] },
  { step: 'json-number-frame', reason: 'as non-json-frame, for JSON that is not an object (42)',
    sealed: [['P', 'frame', { type: 'OFFER', src: 'M', dst: 'P', payload: { probe: 'after-json-number' } }], ['M', 'frame', ERROR_MALFORMED]] },
];

const PROBE = 'probe';
const LONG_STRING = 200;
const OVERSIZED_BYTES = 1024 * 1024;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const rand = () => randomBytes(6).toString('hex');

class Session {
  constructor({ url, path = '/', key = 'peerjs', expireTimeoutMs = 5000, concurrentLimit = null, settleMs = 200, origin = 'http://origin.test' }) {
    this.wsBase = url.replace(/\/+$/, '');
    this.httpBase = this.wsBase.replace(/^ws/, 'http');
    this.path = path.endsWith('/') ? path : `${path}/`;  // "/myapp/"
    this.key = key;
    this.expireTimeoutMs = expireTimeoutMs;
    this.concurrentLimit = concurrentLimit;
    this.settleMs = settleMs;
    this.origin = origin;
    this.transcript = [];
    this.clients = [];
    this.aliases = new Map();  // random value -> role name
    this.peers = new Map();  // role name -> {id, token}
  }

  peer(name) {
    if (!this.peers.has(name)) {
      const id = `${name.replace(/[^A-Za-z0-9]/g, '')}x${rand()}`;
      const token = rand();
      this.peers.set(name, { id, token });
      this.aliases.set(id, name);
      this.aliases.set(token, `${name}-token`);
    }
    return this.peers.get(name);
  }

  wsUrl(query, wsPath = `${this.path}peerjs`) {
    const qs = Object.entries(query).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    return `${this.wsBase}${wsPath}${qs ? `?${qs}` : ''}`;
  }

  // A socket for peer `name` (its id/token unless overridden), query order as the peerjs client.
  connect(role, name, { token, key = this.key, version = '1.5.5', query, wsPath } = {}) {
    const p = name ? this.peer(name) : null;
    const q = query ?? { key, id: p.id, token: token ?? p.token, version };
    const client = new Client(this, role, this.wsUrl(q, wsPath));
    this.clients.push(client);
    return client;
  }

  normalize(value) {
    if (typeof value === 'string') {
      if (this.aliases.has(value)) return this.aliases.get(value);
      let s = value;
      for (const [raw, name] of this.aliases) if (s.includes(raw)) s = s.split(raw).join(`<${name}>`);
      return s.length > LONG_STRING ? `<string length=${s.length}>` : s;
    }
    if (Array.isArray(value)) return value.map((v) => this.normalize(v));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.normalize(v)]));
    }
    return value;
  }

  record(step, client, event, data) {
    this.transcript.push({ step, client, event, data: this.normalize(data) });
  }

  async step(name, fn) {
    await fn();
    await sleep(this.settleMs);
    for (const c of this.clients) {
      for (const e of c.events.splice(0)) this.record(name, c.role, e.event, e.data);
    }
  }

  async http(step, method, route, { headers = {}, body = 'text' } = {}) {
    const urlPath = route.replace('<path>/', this.path).replace('<key>', this.key);
    const res = await fetch(`${this.httpBase}${urlPath}`, { method, headers: { origin: this.origin, ...headers }, signal: AbortSignal.timeout(3000) });
    const text = await res.text();
    const data = {
      request: `${method} ${route}`,
      status: res.status,
      contentType: (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase() || null,
      accessControlAllowOrigin: res.headers.get('access-control-allow-origin'),
    };
    if (method === 'OPTIONS') data.accessControlAllowMethods = res.headers.get('access-control-allow-methods');
    if (body === 'json') {
      try { data.body = JSON.parse(text); } catch { data.body = { text }; }
      if (Array.isArray(data.body)) data.body = this.normalize(data.body).sort();
    } else if (body === 'id') {
      const t = text.trim();
      data.body = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(t) ? 'id (uuid v4)'
        : /^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$/.test(t) ? 'id (other format)' : `not an id: ${t.slice(0, 60)}`;
    } else if (body === 'text') {
      data.body = text;
    }  // body === 'none': status only
    this.record(step, 'http', 'http', data);
  }
}

class Client {
  constructor(session, role, url) {
    this.session = session;
    this.role = role;
    this.events = [];
    this.waiters = [];
    this.closedByUs = false;
    this.ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024, handshakeTimeout: 3000 });
    this.ws.on('open', () => this.push({ event: 'open', data: null }));
    this.ws.on('message', (buf, isBinary) => {
      let data;
      if (isBinary) data = { binary: buf.length };
      else {
        const text = buf.toString('utf8');
        try { data = JSON.parse(text); } catch { data = { text }; }
      }
      this.push({ event: 'frame', data });
    });
    this.ws.on('unexpected-response', (req, res) => {
      this.push({ event: 'http', data: { upgradeRefused: true, status: res.statusCode } });
      res.resume();
      this.closedByUs = true;
      req.destroy();
    });
    this.ws.on('close', (code, reason) => {
      this.closed = true;
      if (!this.closedByUs) this.push({ event: 'close', data: { code, reason: reason.toString('utf8') } });
      this.wake();
    });
    this.ws.on('error', () => {});  // a refused upgrade or reset shows up as http/close
  }

  push(e) { this.events.push(e); this.wake(); }
  wake() { for (const w of this.waiters.splice(0)) w(); }

  // Waits until an unflushed event matches `pred` (or the timeout passes); returns it or null.
  async waitFor(pred, timeoutMs = 2000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  waitFrame(type, timeoutMs) { return this.waitFor((e) => e.event === 'frame' && (!type || e.data?.type === type), timeoutMs); }
  waitClose(timeoutMs) { return this.waitFor((e) => e.event === 'close' || e.event === 'http', timeoutMs); }
  waitProbe(tag, timeoutMs = 1000) { return this.waitFor((e) => e.event === 'frame' && e.data?.payload?.[PROBE] === tag, timeoutMs); }

  send(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }
  to(name, type, payload) { this.send({ type, dst: this.session.peer(name).id, payload }); }
  probe(name, tag) { this.to(name, 'OFFER', { [PROBE]: tag }); }

  async close() {
    this.closedByUs = true;
    if (this.closed || this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.waitFor(() => this.closed, 2000);
    if (!this.closed) this.ws.terminate();
  }

  terminate() {
    this.closedByUs = true;
    this.ws.terminate();
  }
}

async function script(s) {
  // ---- HTTP routes (Origin header sent on every request, to see CORS) ----
  await s.step('http-root', () => s.http('http-root', 'GET', '<path>/', { body: 'json' }));
  await s.step('http-id', () => s.http('http-id', 'GET', '<path>/<key>/id', { body: 'id' }));
  await s.step('http-id-other-key', () => s.http('http-id-other-key', 'GET', '<path>/not-the-key/id', { body: 'id' }));
  await s.step('http-peers', () => s.http('http-peers', 'GET', '<path>/<key>/peers', { body: 'text' }));
  await s.step('http-preflight', () => s.http('http-preflight', 'OPTIONS', '<path>/<key>/id',
    { headers: { 'access-control-request-method': 'GET' }, body: 'none' }));
  await s.step('http-unknown-route', () => s.http('http-unknown-route', 'GET', '<path>/<key>/nope', { body: 'none' }));

  // ---- refused WebSocket connections (checked in this order by the reference) ----
  await s.step('ws-wrong-path', async () => {
    const c = s.connect('wrong-path', 'W', { wsPath: `${s.path}nope` });
    await c.waitClose(3000);
  });
  await s.step('ws-no-params', async () => {
    const c = s.connect('no-params', null, { query: {} });
    await c.waitClose(3000);
  });
  await s.step('ws-missing-token', async () => {
    const c = s.connect('missing-token', null, { query: { key: s.key, id: s.peer('T').id } });
    await c.waitClose(3000);
  });
  await s.step('ws-wrong-key', async () => {
    const c = s.connect('wrong-key', 'K', { key: `${s.key}-wrong` });
    await c.waitClose(3000);
  });

  // ---- two peers and the relayed types ----
  const a = s.connect('A', 'A');
  await s.step('register-A', () => a.waitFrame('OPEN'));
  let b = s.connect('B', 'B');
  await s.step('register-B', () => b.waitFrame('OPEN'));
  await s.step('http-peers-while-registered', () => s.http('http-peers-while-registered', 'GET', '<path>/<key>/peers', { body: 'text' }));

  await s.step('offer-spoofed-src', async () => {
    a.send({ type: 'OFFER', src: 'mallory', dst: s.peer('B').id, payload: { type: 'data', sdp: 'v=0 fake offer', connectionId: 'dc_test' }, extra: 'not relayed?' });
    await b.waitFrame('OFFER');
  });
  await s.step('answer', async () => {
    b.to('A', 'ANSWER', { type: 'data', sdp: 'v=0 fake answer', connectionId: 'dc_test' });
    await a.waitFrame('ANSWER');
  });
  await s.step('candidate-both-ways', async () => {
    a.to('B', 'CANDIDATE', { candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0' }, type: 'data', connectionId: 'dc_test' });
    await b.waitFrame('CANDIDATE');
    b.to('A', 'CANDIDATE', { candidate: { candidate: 'candidate:2 1 udp 1 127.0.0.1 5001 typ host', sdpMid: '0' }, type: 'data', connectionId: 'dc_test' });
    await a.waitFrame('CANDIDATE');
  });
  await s.step('leave-relayed', async () => {
    a.to('B', 'LEAVE');
    await b.waitFrame('LEAVE');
  });
  await s.step('client-expire-relayed', async () => {
    a.to('B', 'EXPIRE');
    await b.waitFrame('EXPIRE');
  });
  // After each of these A sends a probe OFFER to B: it arrives after whatever the frame caused.
  await s.step('heartbeat', async () => {
    a.send({ type: 'HEARTBEAT' });
    a.probe('B', 'after-heartbeat');
    await b.waitProbe('after-heartbeat');
  });
  await s.step('unknown-type', async () => {
    a.to('B', 'NOT-A-TYPE', { x: 1 });
    a.probe('B', 'after-unknown-type');
    await b.waitProbe('after-unknown-type');
  });
  await s.step('lowercase-type', async () => {
    a.to('B', 'offer', { x: 1 });
    a.probe('B', 'after-lowercase-type');
    await b.waitProbe('after-lowercase-type');
  });
  await s.step('no-type', async () => {
    a.send({ dst: s.peer('B').id, payload: { x: 1 } });
    a.probe('B', 'after-no-type');
    await b.waitProbe('after-no-type');
  });
  await s.step('json-array-frame', async () => {
    a.send('[1,2,3]');
    a.probe('B', 'after-json-array');
    await b.waitProbe('after-json-array');
  });
  await s.step('oversized-frame', async () => {
    a.to('B', 'OFFER', { type: 'data', sdp: 'x'.repeat(OVERSIZED_BYTES) });
    await b.waitFrame('OFFER', 5000);
    a.probe('B', 'after-oversized');
    await b.waitProbe('after-oversized', 2000);
  });

  // ---- same id: same token replaces the socket, another token is refused ----
  const a2 = s.connect('A-replacement', 'A');
  await s.step('same-id-same-token', () => a2.waitFor((e) => e.event !== 'open', 1000));
  await s.step('same-id-same-token-routing', async () => {
    b.probe('A', 'to-A-after-replacement');
    await a2.waitProbe('to-A-after-replacement');
  });
  await s.step('replaced-socket-still-sends', async () => {
    a.probe('B', 'from-replaced-socket');
    await b.waitProbe('from-replaced-socket');
  });
  await s.step('replaced-socket-closed', async () => {
    await a.close();
    await sleep(s.settleMs);
    b.probe('A', 'to-A-after-old-socket-closed');
    await a2.waitProbe('to-A-after-old-socket-closed');
  });
  await s.step('same-id-other-token', async () => {
    const c = s.connect('A-other-token', 'A', { token: rand() });
    await c.waitClose(3000);
  });

  // ---- offline peer: queued, then EXPIRE to the sender ----
  await s.step('peer-disconnects', async () => {
    await b.close();
  });
  const sentAt = Date.now();
  await s.step('offer-to-offline-peer', () => {
    a2.to('B', 'OFFER', { type: 'data', sdp: 'v=0 to offline peer' });
    a2.to('B', 'CANDIDATE', { candidate: { candidate: 'candidate:3' } });
  });
  await s.step('expire-before-timeout', async () => {
    await sleep(Math.max(0, sentAt + s.expireTimeoutMs - 400 - s.settleMs - Date.now()));
  });
  await s.step('expire-after-timeout', async () => {
    await a2.waitFrame('EXPIRE', Math.max(0, sentAt + s.expireTimeoutMs + 3000 - Date.now()));
  });
  await s.step('queued-until-connect', async () => {
    a2.to('C', 'OFFER', { type: 'data', sdp: 'v=0 queued' });
    await sleep(300);
    const c = s.connect('C', 'C');
    await c.waitFrame('OFFER', 3000);
  });
  await s.step('queued-not-expired', async () => {
    await sleep(s.expireTimeoutMs + 1200);  // no EXPIRE for a message that was delivered
  });
  const c = s.clients.find((x) => x.role === 'C');
  await s.step('queued-peer-disconnects', async () => {
    await c.close();
    await a2.waitFrame('LEAVE', 300);  // sealed tells A; the reference does not
  });
  await a2.close();
  await sleep(s.settleMs);

  // ---- concurrent limit (counts registered ids; checked after the id-taken check) ----
  if (s.concurrentLimit) {
    const fill = [];
    await s.step('limit-fill', async () => {
      for (let i = 1; i <= s.concurrentLimit; i += 1) {
        const l = s.connect(`L${i}`, `L${i}`);
        fill.push(l);
        await l.waitFrame(null, 2000);
      }
    });
    await s.step('limit-exceeded', async () => {
      const l = s.connect('L-over', 'Lover');
      await l.waitClose(3000);
    });
    await s.step('limit-same-id-other-token', async () => {
      const l = s.connect('L1-other-token', 'L1', { token: rand() });
      await l.waitClose(3000);
    });
    await s.step('limit-same-id-same-token', async () => {
      const l = s.connect('L1-replacement', 'L1');
      await l.waitFor((e) => e.event !== 'open', 1000);
      fill.push(l);
    });
    await s.step('limit-released', async () => {
      await fill[fill.length - 2].close();  // L{limit}
      await sleep(s.settleMs);
      const l = s.connect('L-after-release', 'Lafter');
      await l.waitFrame(null, 2000);
      fill.push(l);
    });
    for (const l of fill) await l.close();
    await sleep(s.settleMs);
  }

  // ---- frames that are not JSON objects (last: the reference stops reading such a socket) ----
  const p = s.connect('P', 'P');
  await s.step('register-P', () => p.waitFrame('OPEN'));
  const n = s.connect('N', 'N');
  await s.step('register-N', () => n.waitFrame('OPEN'));
  await s.step('non-json-frame', async () => {
    n.send('this is not json');
    n.probe('P', 'after-non-json');
    await p.waitProbe('after-non-json');
    await n.waitClose(500);
  });
  await s.step('non-json-socket-still-receives', async () => {
    p.probe('N', 'to-N-after-non-json');
    await n.waitProbe('to-N-after-non-json');
  });
  await s.step('non-json-socket-still-heartbeats', async () => {
    n.send({ type: 'HEARTBEAT' });
    n.probe('P', 'after-non-json-heartbeat');
    await p.waitProbe('after-non-json-heartbeat');
  });
  await s.step('non-json-socket-dropped', async () => {
    n.terminate();
    await sleep(300);
    const again = s.connect('N-other-token', 'N', { token: rand() });
    await again.waitFrame(null, 2000);
    await again.close();
  });
  const m = s.connect('M', 'M');
  await s.step('register-M', () => m.waitFrame(null, 2000));
  await s.step('json-number-frame', async () => {
    m.send('42');
    m.probe('P', 'after-json-number');
    await p.waitProbe('after-json-number');
  });
  m.terminate();
  await p.close();
}

// Runs the whole session; resolves with the normalized transcript (rejects after 60 s).
export async function runSession(options) {
  const s = new Session(options);
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`signaling session timed out after 60 s (last step: ${s.transcript.at(-1)?.step})`)), 60000);
  });
  try {
    await Promise.race([script(s), deadline]);
    return s.transcript;
  } catch (err) {
    err.transcript = s.transcript;  // what came before, to see where it stopped
    throw err;
  } finally {
    clearTimeout(timer);
    for (const c of s.clients) if (!c.closed) c.terminate();
  }
}

// For a broker started with --allow_discovery: two peers, then GET <path>/<key>/peers.
export async function runDiscoveryProbe(options) {
  const s = new Session(options);
  try {
    const a = s.connect('A', 'A');
    const b = s.connect('B', 'B');
    await s.step('register', async () => { await a.waitFrame('OPEN'); await b.waitFrame('OPEN'); });
    await s.step('http-peers-discovery', () => s.http('http-peers-discovery', 'GET', '<path>/<key>/peers', { body: 'json' }));
    return s.transcript;
  } finally {
    for (const c of s.clients) if (!c.closed) c.terminate();
  }
}

// Problems (strings) between two transcripts, step by step, after CLOSE_RULE and
// DOCUMENTED_DIFFERENCES. Both transcripts must have the same steps.
export function compareTranscripts(reference, candidate, differences = DOCUMENTED_DIFFERENCES) {
  const steps = (t) => {
    const m = new Map();
    for (const e of t) { if (!m.has(e.step)) m.set(e.step, []); m.get(e.step).push(e); }
    return m;
  };
  const closeRule = (entries) => entries.map((e, i) => {
    if (e.event !== 'close' || e.data?.code !== 1005) return e;
    const refusal = entries.slice(0, i).reverse().find((x) => x.client === e.client && x.event === 'frame');
    const msg = refusal?.data?.payload?.msg;
    return msg ? { ...e, data: { code: 1008, reason: msg } } : e;
  });
  const ref = steps(reference);
  const got = steps(candidate);
  const problems = [];
  const names = [...new Set([...ref.keys(), ...got.keys()])];
  for (const name of names) {
    const diff = differences.find((d) => d.step === name);
    const want = diff ? diff.sealed.map(([client, event, data]) => ({ step: name, client, event, data }))
      : closeRule(ref.get(name) ?? []);
    const have = got.get(name) ?? [];
    if (!isDeepStrictEqual(want, have)) {
      problems.push(`step ${name}${diff ? ' (documented difference)' : ''}:\n  expected ${JSON.stringify(want)}\n  got      ${JSON.stringify(have)}`);
    }
  }
  for (const d of differences) if (!ref.has(d.step) && !got.has(d.step)) problems.push(`documented step ${d.step} never ran`);
  return problems;
}

function parseArgs(argv) {
  const o = { path: '/', key: 'peerjs', expireTimeoutMs: 5000, concurrentLimit: null, settleMs: 200, out: null };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const take = () => { i += 1; if (value === undefined) throw new Error(`${flag} needs a value`); return value; };
    if (flag === '--url') o.url = take();
    else if (flag === '--path') o.path = take();
    else if (flag === '--key') o.key = take();
    else if (flag === '--expire-timeout-ms') o.expireTimeoutMs = Number(take());
    else if (flag === '--concurrent-limit') o.concurrentLimit = Number(take());
    else if (flag === '--settle-ms') o.settleMs = Number(take());
    else if (flag === '--out') o.out = take();
    else throw new Error(`unknown argument ${flag}`);
  }
  if (!o.url) throw new Error('--url ws://HOST:PORT is required');
  return o;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${err.message}\nusage: node signaling_transcript.mjs --url ws://127.0.0.1:PORT --path /myapp --key peerjs [--expire-timeout-ms 5000] [--concurrent-limit N] [--settle-ms 200] [--out file.json]`);
    process.exit(2);
  }
  try {
    const transcript = await runSession(options);
    const json = `${JSON.stringify(transcript, null, 2)}\n`;
    if (options.out) writeFileSync(options.out, json); else process.stdout.write(json);
    process.exit(0);
  } catch (err) {
    console.error(err.message);
    if (options.out && err.transcript) writeFileSync(options.out, `${JSON.stringify(err.transcript, null, 2)}\n`);
    process.exit(1);
  }
}
