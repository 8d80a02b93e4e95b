// sealed-stream.js coming back: the backoff numbers, the policy and bearer options, reconnect +
// re-join against the Node reference server restarted on the same port, and which close codes
// end a session (against a small scripted server in this file) — all over loopback sockets.
import assert from 'node:assert/strict';
import { createECDH, hkdfSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { test } from 'node:test';

import { RECONNECT_DEFAULTS, bearerProtocols, connect, createBackoff } from '../sealed-stream.js';
import { startServer } from '../../../../bench/peers/ecdh_gcm/server.mjs';

const require = createRequire(new URL('../../../../tests/interop/package.json', import.meta.url));
const WebSocket = require('ws');
const { WebSocketServer } = WebSocket;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Bounded tests; a failed assertion must not leave a session reconnecting (the file would never end).
const LIMIT = { timeout: 15000 };
function cleanup(t, thing) {
  t.after(() => thing.close());
  return thing;
}

// Every `event` a session emits, in order.
function record(session, ...events) {
  const seen = Object.fromEntries(events.map((e) => [e, []]));
  for (const e of events) session.on(e, (data) => seen[e].push(data));
  return seen;
}

// Resolves once `predicate()` holds (polled), or rejects after `ms`.
async function until(predicate, ms = 3000, what = 'condition') {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`);
    await sleep(5);
  }
}

function nextEvent(session, event, ms = 3000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { session.off(event, fn); reject(new Error(`no "${event}" within ${ms} ms`)); }, ms);
    const fn = (data) => { clearTimeout(timer); session.off(event, fn); resolve(data); };
    session.on(event, fn);
  });
}

// A WebSocket class that records what each socket it made was given and sent.
function recordingSocket() {
  const sockets = [];
  class RecordingWebSocket extends WebSocket {
    constructor(url, protocols, options) {
      super(url, protocols, options);
      sockets.push({ protocols, sent: [] });
      this.record = sockets.at(-1);
    }
    send(data, ...rest) { this.record.sent.push(String(data)); return super.send(data, ...rest); }
  }
  return { RecordingWebSocket, sockets };
}

// --- backoff numbers ------------------------------------------------------------------------

test('the defaults are the C++ client\'s reconnect_policy', () => {
  assert.equal(RECONNECT_DEFAULTS.initialDelay, 100);
  assert.equal(RECONNECT_DEFAULTS.maxDelay, 30000);
  assert.equal(RECONNECT_DEFAULTS.factor, 2);
  assert.equal(RECONNECT_DEFAULTS.jitter, 0.2);
  assert.equal(RECONNECT_DEFAULTS.resetAfter, 10000);
  assert.equal(RECONNECT_DEFAULTS.maxAttempts, Infinity);
  assert.deepEqual([...RECONNECT_DEFAULTS.stopCodes], [1000, 1002, 1008, 4003, 4004]);
});

test('backoff: doubles from 100 ms to a 30 s cap, ±20 % jitter, starts over after a 10 s session', LIMIT, async (t) => {
  const middle = createBackoff(RECONNECT_DEFAULTS, () => 0.5);
  const waits = Array.from({ length: 12 }, () => middle.next());
  assert.deepEqual(waits, [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000]);

  const low = createBackoff(RECONNECT_DEFAULTS, () => 0);
  assert.deepEqual([low.next(), low.next(), low.next()], [80, 160, 320]);
  const high = createBackoff(RECONNECT_DEFAULTS, () => 1);
  assert.deepEqual([high.next(), high.next(), high.next()], [120, 240, 480]);
  for (let i = 0; i < 20; i++) high.next();
  assert.equal(high.next(), 36000, 'the cap is jittered too, as in C++');

  const b = createBackoff(RECONNECT_DEFAULTS, () => 0.5);
  b.next(); b.next(); b.next();
  b.sessionEnded(9999);
  assert.equal(b.next(), 800, 'a session shorter than resetAfter keeps the delays growing');
  b.sessionEnded(10000);
  assert.equal(b.next(), 100, 'a session of resetAfter starts them over');

  // Math.random: spread over the whole ±20 % band, never outside it.
  const firsts = Array.from({ length: 2000 }, () => createBackoff().next());
  assert.ok(Math.min(...firsts) >= 80 && Math.max(...firsts) <= 120, `${Math.min(...firsts)}..${Math.max(...firsts)}`);
  assert.ok(Math.min(...firsts) < 85 && Math.max(...firsts) > 115, 'jitter spreads the waits');
  const mean = firsts.reduce((a, b) => a + b, 0) / firsts.length;
  assert.ok(Math.abs(mean - 100) < 3, `mean ${mean}`);
});

test('reconnect settings are checked', LIMIT, async (t) => {
  const url = 'ws://127.0.0.1:9/stream';  // never reached: the options are refused first
  await assert.rejects(connect(url, { token: 't', WebSocket, reconnect: 'yes' }), TypeError);
  await assert.rejects(connect(url, { token: 't', WebSocket, reconnect: { initalDelay: 5 } }), /unknown reconnect setting\(s\): initalDelay/);
  await assert.rejects(connect(url, { token: 't', WebSocket, reconnect: { factor: 0.5 } }), /reconnect\.factor must be a number >= 1/);
  await assert.rejects(connect(url, { token: 't', WebSocket, reconnect: { jitter: 1 } }), RangeError);
  await assert.rejects(connect(url, { token: 't', WebSocket, reconnect: { initialDelay: 500, maxDelay: 100 } }), /maxDelay/);
  await assert.rejects(connect(url, { token: 't', WebSocket, reconnect: { maxAttempts: 0 } }), /maxAttempts/);
  await assert.rejects(connect(url, { token: 't', WebSocket, reconnect: { stopCodes: ['1008'] } }), /stopCodes/);
});

// --- bearer ---------------------------------------------------------------------------------

test('bearer: token characters only, refused with a message that does not quote the token', LIMIT, async (t) => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
  assert.deepEqual(bearerProtocols(jwt), ['sealed.v1', `sealed.bearer.${jwt}`]);
  assert.deepEqual(bearerProtocols("a!#$%&'*+-.^_`|~9"), ['sealed.v1', "sealed.bearer.a!#$%&'*+-.^_`|~9"]);
  for (const bad of ['', 'with space', 'c2VjcmV0/x==', 'new\nline', 'sëcret', 'a,b', 'semi;colon', '"quoted"', 42, {}]) {
    const err = await connect('ws://127.0.0.1:9/stream', { token: 't', bearer: bad, WebSocket }).then(() => null, (e) => e);
    assert.ok(err instanceof TypeError, `bearer ${JSON.stringify(bad)}`);
    assert.match(err.message, /RFC 7230 token characters/);
    if (typeof bad === 'string' && bad.length > 2) assert.ok(!err.message.includes(bad), 'the token is not in the message');
  }
});

test('bearer: the upgrade offers sealed.v1 and the token; a server answering sealed.v1 gets a session', LIMIT, async (t) => {
  // The reference server's `ws` picks the first offered subprotocol: sealed.v1.
  const server = cleanup(t, await startServer({ host: '127.0.0.1', port: 0 }));
  const { RecordingWebSocket, sockets } = recordingSocket();
  const s = cleanup(t, await connect(server.url, { token: 'ann', bearer: 'abc.DEF-_123', WebSocket: RecordingWebSocket }));
  assert.deepEqual(sockets[0].protocols, ['sealed.v1', 'sealed.bearer.abc.DEF-_123']);
  assert.ok(!sockets[0].sent.join('').includes('abc.DEF'), 'the bearer token is not repeated in a frame');
  const echoed = nextEvent(s, 'echo');
  await s.send('echo', 'with bearer');
  assert.equal(await echoed, 'with bearer');
  await s.close();
  // Without bearer no subprotocol is offered at all.
  const plain = cleanup(t, await connect(server.url, { token: 'bob', WebSocket: RecordingWebSocket }));
  assert.equal(sockets[1].protocols, undefined);
  await plain.close();
  await server.close();
});

test('bearer: a server that answers another subprotocol, or none, fails the connect clearly', LIMIT, async (t) => {
  const echoesToken = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (offered) => [...offered][1] });
  const answersNothing = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => false });
  cleanup(t, echoesToken);
  cleanup(t, answersNothing);
  await Promise.all([once(echoesToken, 'listening'), once(answersNothing, 'listening')]);
  const urlOf = (wss) => `ws://127.0.0.1:${wss.address().port}/stream`;

  const wrong = await connect(urlOf(echoesToken), { token: 't', bearer: 'tok', WebSocket }).then(() => null, (e) => e);
  assert.equal(wrong?.code, 'subprotocol_mismatch');
  assert.match(wrong.message, /subprotocol "sealed\.bearer\.tok", expected "sealed\.v1"/);

  const none = await connect(urlOf(answersNothing), { token: 't', bearer: 'tok', WebSocket }).then(() => null, (e) => e);
  assert.match(none?.message ?? '', /closed before "connected".*with bearer, the server must accept the token and answer with the sealed\.v1 subprotocol/);

  echoesToken.close();
  answersNothing.close();
});

// --- reconnect and re-join against the reference server -----------------------------------

test('after a restart on the same port: reconnecting with backoff, a new handshake, the rooms joined again, chat again', LIMIT, async (t) => {
  let server = await startServer({ host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  const { port, url } = server;
  const fast = { initialDelay: 20, maxDelay: 1000, jitter: 0 };
  const { RecordingWebSocket, sockets } = recordingSocket();
  const a = cleanup(t, await connect(url, { token: 'ann', WebSocket: RecordingWebSocket, reconnect: fast }));
  const b = cleanup(t, await connect(url, { token: 'bob', WebSocket, reconnect: fast }));
  const seenA = record(a, 'reconnecting', 'reconnected');
  const seenB = record(b, 'reconnecting', 'reconnected');
  await a.join('lobby', 'extra');
  await b.join('lobby');
  await a.leave('extra');
  await Promise.all([until(() => server.rooms.get('lobby')?.size === 2, 2000, 'both in lobby')]);
  const firstIds = [a.id, b.id];
  assert.deepEqual(a.rooms, ['lobby']);

  await server.close();  // 1001 to both, then nothing listens on the port
  await until(() => seenA.reconnecting.length >= 3 && seenB.reconnecting.length >= 3, 3000, 'three attempts each');
  assert.equal(a.state, 'reconnecting');
  assert.deepEqual(seenA.reconnecting.slice(0, 3).map((e) => e.delayMs), [20, 40, 80]);
  assert.deepEqual(seenA.reconnecting.slice(0, 3).map((e) => e.attempt), [1, 2, 3]);
  assert.equal(seenA.reconnecting[0].code, 1001);
  assert.equal(seenA.reconnecting[0].reason, 'Server shutting down');
  assert.equal(seenA.reconnecting[1].code, 1006, 'the refused attempt reports 1006');
  assert.match(seenA.reconnecting[1].reason, /closed before "connected"/);

  // Nothing is queued while disconnected: sends fail loudly; rooms are state and are kept.
  await assert.rejects(a.send('chat', { room: 'lobby', text: 'lost?' }), (err) => err.code === 'not_connected' && /not connected/.test(err.message));
  await b.join('late');
  assert.deepEqual(b.rooms, ['lobby', 'late']);

  const rejoinedA = nextEvent(a, 'joined');
  const rejoinedB = nextEvent(b, 'joined');
  server = await startServer({ host: '127.0.0.1', port });
  await until(() => seenA.reconnected.length && seenB.reconnected.length, 3000, 'both reconnected');
  assert.equal(seenA.reconnected[0].attempts, seenA.reconnecting.length, 'attempts = the reconnecting events of this outage');
  assert.equal(a.state, 'open');
  assert.deepEqual(await rejoinedA, { rooms: ['lobby'] }, 'left rooms are not joined again');
  assert.deepEqual(await rejoinedB, { rooms: ['lobby', 'late'] });
  assert.notEqual(a.id, firstIds[0], 'a new connection, a new client id');
  assert.notEqual(b.id, firstIds[1]);
  assert.deepEqual([...server.clients.get(a.id).rooms].sort(), [a.id, 'lobby', 'ws-default'].sort());

  // A new ephemeral key: the authenticate frames of the first and the working connection differ.
  const keys = sockets.map((sk) => sk.sent[0] && JSON.parse(sk.sent[0]).data.clientPublicKey).filter(Boolean);
  assert.ok(keys.length >= 2 && new Set(keys).size === keys.length, 'every connection sent its own public key');
  const rejoinFrame = sockets.at(-1).sent[1];
  assert.equal(JSON.parse(rejoinFrame).event, 'encrypted', 'the re-join goes out sealed under the new key');

  const atB = nextEvent(b, 'chat');
  await a.send('chat', { room: 'lobby', name: 'ann', text: 'back' });
  assert.equal((await atB).text, 'back');
  const atA = nextEvent(a, 'chat');
  await b.send('chat', { room: 'late', name: 'bob', text: 'nobody here' });  // a is not in "late"
  await b.send('chat', { room: 'lobby', name: 'bob', text: 'welcome back' });
  assert.equal((await atA).text, 'welcome back');

  assert.deepEqual(await a.close(), { code: 1000, reason: '' });
  assert.equal(a.state, 'closed');
  await assert.rejects(a.send('echo', 1), (err) => err.code === 'closed');
  await b.close();
  await server.close();
});

// --- which closes end the session: a scripted server ----------------------------------------

// Answers `authenticate` like the reference server (P-256, HKDF, `connected`) by running
// script[i] for its i-th connection (the last entry for every later one) with
// peer = { ws, index, accept(), error(message, code) }; `peers` lists them, so a test can end an
// established session itself (a session the client has not finished setting up cannot be "lost").
async function scriptedServer(script) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const peers = [];
  let count = 0;
  wss.on('connection', (ws) => {
    const index = count++;
    ws.on('error', () => {});
    ws.once('message', (raw) => {
      const { event, data } = JSON.parse(raw.toString());
      if (event !== 'authenticate') return ws.close(1002);
      const peer = {
        ws, index,
        accept() {
          const ecdh = createECDH('prime256v1');
          ecdh.generateKeys();
          const salt = randomBytes(32);
          hkdfSync('sha256', ecdh.computeSecret(Buffer.from(data.clientPublicKey, 'base64')), salt, 'ignis-ecdh-p256-aes-256-gcm-v1', 32);
          ws.send(JSON.stringify({ event: 'connected', data: { id: `c${index}`, userId: data.token, time: new Date().toISOString(),
            serverPublicKey: ecdh.getPublicKey('base64'), salt: salt.toString('base64') } }));
        },
        error: (message, code) => ws.send(JSON.stringify({ event: 'error', data: { message, code } })),
      };
      peers.push(peer);
      script[Math.min(index, script.length - 1)](peer);
    });
  });
  return {
    url: `ws://127.0.0.1:${wss.address().port}/stream`, peers, connections: () => count,
    close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

const quick = { initialDelay: 10, maxDelay: 100, jitter: 0 };
const accept = (peer) => peer.accept();

test('stop codes end the session: 1000, 1002, 1008, 4003, 4004 (and reconnect: false ends on any close)', LIMIT, async (t) => {
  for (const code of [1000, 1002, 1008, 4003, 4004]) {
    const server = cleanup(t, await scriptedServer([accept]));
    const s = cleanup(t, await connect(server.url, { token: 't', WebSocket, reconnect: quick }));
    const seen = record(s, 'reconnecting');
    server.peers[0].ws.close(code, `bye ${code}`);
    assert.deepEqual(await s.closed, { code, reason: `bye ${code}` });
    await sleep(50);
    assert.deepEqual(seen.reconnecting, [], `no reconnect after ${code}`);
    assert.equal(server.connections(), 1);
    assert.equal(s.state, 'closed');
  }
  const server = cleanup(t, await scriptedServer([accept]));
  const off = cleanup(t, await connect(server.url, { token: 't', WebSocket, reconnect: false }));
  server.peers[0].ws.close(1001, 'restart');
  assert.deepEqual(await off.closed, { code: 1001, reason: 'restart' });
  await sleep(50);
  assert.equal(server.connections(), 1);
});

test('every other close reconnects: 1001, 1006 (dropped), 1011, 4001, 4002, and 4003 after decrypt_failed', LIMIT, async (t) => {
  const endings = {
    1001: (peer) => peer.ws.close(1001, 'server shutdown'),
    1006: (peer) => peer.ws.terminate(),
    1011: (peer) => peer.ws.close(1011, 'internal error'),
    4001: (peer) => peer.ws.close(4001, 'Authentication timeout'),
    4002: (peer) => peer.ws.close(4002, 'Heartbeat timeout'),
    4003: (peer) => { peer.error('Decryption failed', 'decrypt_failed'); peer.ws.close(4003, 'Decryption failed'); },
  };
  for (const [code, end] of Object.entries(endings)) {
    const server = cleanup(t, await scriptedServer([accept]));
    const s = cleanup(t, await connect(server.url, { token: 't', WebSocket, reconnect: quick }));
    const seen = record(s, 'reconnecting', 'reconnected');
    end(server.peers[0]);
    await until(() => seen.reconnected.length === 1, 2000, `reconnected after ${code}`);
    assert.equal(seen.reconnecting.length, 1);
    assert.equal(seen.reconnecting[0].code, Number(code));
    assert.deepEqual(seen.reconnected[0], { attempts: 1 });
    assert.equal(s.id, 'c1');
    await s.close();
  }
});

test('a refusal while reconnecting ends the session with the server\'s reason', LIMIT, async (t) => {
  const server = cleanup(t, await scriptedServer([accept,
    (peer) => { peer.error('Authentication failed', 'authentication_failed'); peer.ws.close(4003, 'Authentication failed'); }]));
  const s = cleanup(t, await connect(server.url, { token: 'expired', WebSocket, reconnect: quick }));
  const seen = record(s, 'reconnecting', 'reconnected', 'error');
  server.peers[0].ws.close(1001, 'restart');
  const end = await s.closed;
  assert.equal(end.code, 4003);
  assert.match(end.reason, /Authentication failed/);
  assert.equal(seen.reconnecting.length, 1);
  assert.equal(seen.reconnected.length, 0);
  assert.equal(seen.error.at(-1).code, 'authentication_failed');
  await sleep(50);
  assert.equal(server.connections(), 2, 'no third attempt');
});

test('maxAttempts: gives up, says so, and closes with the last failure', LIMIT, async (t) => {
  const server = cleanup(t, await scriptedServer([accept, (peer) => peer.ws.terminate()]));
  const s = cleanup(t, await connect(server.url, { token: 't', WebSocket, reconnect: { ...quick, maxAttempts: 3 } }));
  const seen = record(s, 'reconnecting', 'error');
  server.peers[0].ws.close(1001, 'gone');
  const end = await s.closed;
  assert.deepEqual(seen.reconnecting.map((e) => [e.attempt, e.delayMs]), [[1, 10], [2, 20], [3, 40]]);
  assert.equal(end.code, 1006);
  assert.deepEqual(seen.error.at(-1), { message: 'Gave up reconnecting after 3 attempt(s)', code: 'reconnect_failed' });
  assert.equal(server.connections(), 4);
});

test('close() during a backoff wait stops at once and makes no further attempt', LIMIT, async (t) => {
  const server = cleanup(t, await scriptedServer([accept]));
  const s = cleanup(t, await connect(server.url, { token: 't', WebSocket, reconnect: { initialDelay: 300, jitter: 0 } }));
  const reconnecting = nextEvent(s, 'reconnecting');
  server.peers[0].ws.close(1001, 'gone');
  assert.equal((await reconnecting).delayMs, 300);
  const started = Date.now();
  assert.deepEqual(await s.close(4000, 'user left'), { code: 4000, reason: 'user left' });
  assert.ok(Date.now() - started < 100, 'close() does not wait for the backoff');
  await sleep(400);
  assert.equal(server.connections(), 1);
  assert.equal(s.state, 'closed');
});

test('the delays start over only after a session that lasted resetAfter', LIMIT, async (t) => {
  // Sessions of 200 ms (≥ resetAfter), ~0 ms, 200 ms: the waits go 10, 20 (growing), 10 (reset).
  const server = cleanup(t, await scriptedServer([accept]));
  const s = cleanup(t, await connect(server.url, { token: 't', WebSocket, reconnect: { initialDelay: 10, factor: 2, jitter: 0, resetAfter: 100 } }));
  const seen = record(s, 'reconnecting', 'reconnected');
  s.on('reconnected', () => {
    const peer = server.peers.at(-1);
    if (seen.reconnected.length === 1) peer.ws.close(1001, 'short');
    if (seen.reconnected.length === 2) setTimeout(() => peer.ws.close(1001, 'lasting'), 200);
  });
  await sleep(200);
  server.peers[0].ws.close(1001, 'lasting');
  await until(() => seen.reconnected.length === 3, 3000, 'three reconnects');
  assert.deepEqual(seen.reconnecting.map((e) => e.delayMs), [10, 20, 10]);
  assert.deepEqual(seen.reconnecting.map((e) => e.reason), ['lasting', 'short', 'lasting']);
});
