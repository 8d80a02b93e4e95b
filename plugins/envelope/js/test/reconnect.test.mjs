// connectSocket coming back (docs/schemes/envelope.md, "The JS client"): the backoff numbers and
// the policy option, the Node reference server restarted on the same port under an open socket
// (in-flight requests, requests while down, resend), and which closes end the socket (against a
// small scripted server in this file). Loopback only; every test is bounded.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';

import { EnvelopeError, fetchKeys } from '../sealed-envelope.js';
import { RECONNECT_DEFAULTS, connectSocket, createBackoff } from '../sealed-envelope-socket.js';
import { memoryReplayStore, startServer } from '../../../../bench/peers/envelope/server.mjs';

const require = createRequire(new URL('../../../../tests/interop/package.json', import.meta.url));
const WebSocket = require('ws');
const { WebSocketServer } = WebSocket;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// A failed assertion must not leave a socket reconnecting: the file would never end.
const LIMIT = { timeout: 15000 };
function cleanup(t, thing) {
  t.after(() => thing.close());
  return thing;
}

function record(socket, ...events) {
  const seen = Object.fromEntries(events.map((e) => [e, []]));
  for (const e of events) socket.on(e, (data) => seen[e].push(data));
  return seen;
}

async function until(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`);
    await sleep(5);
  }
}

const isCode = (code) => (err) => err instanceof EnvelopeError && err.code === code;
const echo = (tag) => ({ tag });
const fast = { initialDelay: 20, maxDelay: 1000, jitter: 0 };
const quick = { initialDelay: 10, maxDelay: 100, jitter: 0 };

// --- the numbers ------------------------------------------------------------------------------

test('the defaults are sealed-stream.js\'s (the C++ reconnect_policy)', () => {
  assert.deepEqual({ ...RECONNECT_DEFAULTS, stopCodes: [...RECONNECT_DEFAULTS.stopCodes] }, {
    initialDelay: 100, factor: 2, maxDelay: 30000, jitter: 0.2, resetAfter: 10000, maxAttempts: Infinity,
    stopCodes: [1000, 1002, 1008, 4003, 4004],
  });
  const mid = createBackoff(RECONNECT_DEFAULTS, () => 0.5);
  const waits = Array.from({ length: 12 }, () => mid.next());
  assert.deepEqual(waits, [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000]);
  // Jitter: ±20 % at the extremes of random(), the cap included.
  const low = createBackoff(RECONNECT_DEFAULTS, () => 0);
  const high = createBackoff(RECONNECT_DEFAULTS, () => 1);
  assert.deepEqual([low.next(), low.next()], [80, 160]);
  assert.deepEqual([high.next(), high.next()], [120, 240]);
  for (let i = 0; i < 12; i++) high.next();
  assert.equal(high.next(), 36000);
  // A connection that lasted resetAfter starts over; a shorter one does not.
  const b = createBackoff(RECONNECT_DEFAULTS, () => 0.5);
  b.next(); b.next(); b.next();
  b.sessionEnded(9999);
  assert.equal(b.next(), 800);
  b.sessionEnded(10000);
  assert.equal(b.next(), 100);
});

test('reconnect settings are checked', () => {
  const url = 'ws://127.0.0.1:9/api/echo';  // never opened: the options are refused first
  const jwk = { kty: 'EC', crv: 'P-256', x: 'A', y: 'B' };
  assert.throws(() => connectSocket(url, jwk, { WebSocket, reconnect: 'yes' }), TypeError);
  assert.throws(() => connectSocket(url, jwk, { WebSocket, reconnect: { initalDelay: 5 } }), /unknown reconnect setting\(s\): initalDelay/);
  assert.throws(() => connectSocket(url, jwk, { WebSocket, reconnect: { factor: 0.5 } }), /reconnect\.factor must be a number >= 1/);
  assert.throws(() => connectSocket(url, jwk, { WebSocket, reconnect: { jitter: 1 } }), RangeError);
  assert.throws(() => connectSocket(url, jwk, { WebSocket, reconnect: { initialDelay: 500, maxDelay: 100 } }), /maxDelay/);
  assert.throws(() => connectSocket(url, jwk, { WebSocket, reconnect: { maxAttempts: 0 } }), /maxAttempts/);
  assert.throws(() => connectSocket(url, jwk, { WebSocket, reconnect: { stopCodes: ['1008'] } }), /stopCodes/);
});

// --- a server restart ---------------------------------------------------------------------------

// A P-256 key in a file, so that the restarted server has the same key (as envelope_api does with
// its key directory), and a replay store that outlives each server (as Redis does). `hold(n)`
// makes the n-th nonce check from now on (1 = the next) record the nonce and then never answer:
// a request the server ran but did not reply to.
function restartable(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sealed-envelope-reconnect-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const keyFile = path.join(dir, 'server.pem');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const inner = memoryReplayStore();
  t.after(() => inner.close());
  let holdAt = 0;
  let checks = 0;
  let reached;
  const replayStore = {
    async setNX(key, ttlMs) {
      const fresh = await inner.setNX(key, ttlMs);
      if (++checks === holdAt) {
        reached();
        await new Promise(() => {});
      }
      return fresh;
    },
  };
  return {
    start: (port = 0) => startServer({ host: '127.0.0.1', port, keyFile, replayStore }),
    // Resolves once the held check has recorded its nonce.
    hold(n) {
      holdAt = checks + n;
      return new Promise((resolve) => { reached = resolve; });
    },
  };
}

test('a server restart on the same port: in flight fails, not_connected while down, backoff, reconnected, replies again, resend', LIMIT, async (t) => {
  const servers = restartable(t);
  let server = await servers.start();
  t.after(() => server.close());
  const { port } = server;
  const jwk = (await fetchKeys(server.url)).keys[0];
  let sends = 0;
  class CountingWebSocket extends WebSocket {
    send(...args) { sends++; return super.send(...args); }
  }
  const socket = cleanup(t, await connectSocket(`${server.wsUrl}/api/echo`, jwk, { WebSocket: CountingWebSocket, reconnect: fast }));
  const seen = record(socket, 'reconnecting', 'reconnected');
  assert.equal(socket.state, 'open');
  assert.deepEqual((await socket.request(echo('before'))).json, echo('before'));

  // Two requests in flight: the server runs the first and never answers it; the second waits behind it.
  const held = servers.hold(1);
  const ran = socket.request(echo('ran, unanswered'));
  const queued = socket.request(echo('never ran'));
  await held;
  await until(() => sends === 3, 2000, 'both sent');
  await server.close();  // 1001 to the socket, then nothing listens on the port
  const [ranErr, queuedErr] = await Promise.all([ran.catch((e) => e), queued.catch((e) => e)]);
  for (const err of [ranErr, queuedErr]) {
    assert.ok(isCode('socket_closed')(err), `in flight: ${err}`);
    assert.match(err.message, /socket closed \(1001 "Server shutting down"\)/);
  }

  await until(() => seen.reconnecting.length >= 3, 3000, 'three attempts');
  assert.equal(socket.state, 'reconnecting');
  assert.deepEqual(seen.reconnecting.slice(0, 3).map((e) => [e.attempt, e.delayMs]), [[1, 20], [2, 40], [3, 80]]);
  assert.deepEqual([seen.reconnecting[0].code, seen.reconnecting[0].reason], [1001, 'Server shutting down']);
  assert.equal(seen.reconnecting[1].code, 1006, 'a refused attempt reports 1006');
  assert.match(seen.reconnecting[1].reason, /socket closed/);
  assert.deepEqual(seen.reconnected, []);

  // Nothing is queued while down: at once, not when the server is back.
  const started = Date.now();
  await assert.rejects(socket.request(echo('while down')), (err) => isCode('not_connected')(err) && /reconnecting/.test(err.message));
  await assert.rejects(socket.resend(queuedErr), isCode('not_connected'));
  assert.ok(Date.now() - started < 200, 'refused at once');

  server = await servers.start(port);
  await until(() => seen.reconnected.length === 1, 3000, 'reconnected');
  assert.equal(socket.state, 'open');
  assert.deepEqual(seen.reconnected[0], { attempts: seen.reconnecting.length }, 'attempts = the reconnecting events of this outage');
  assert.deepEqual((await socket.request(echo('after'))).json, echo('after'));

  // The same envelopes again: the one the server ran is refused (its nonce), the other runs now.
  await assert.rejects(socket.resend(ranErr), isCode('replayed_nonce'));
  assert.deepEqual((await socket.resend(queuedErr)).json, echo('never ran'));
  await assert.rejects(socket.resend(new Error('x')), TypeError);
  await assert.rejects(socket.resend(queuedErr), isCode('replayed_nonce'), 'twice is once');

  assert.deepEqual(await socket.close(), { code: 1000, reason: '' });
  assert.equal(socket.state, 'closed');
  await assert.rejects(socket.request(echo('after close')), isCode('socket_closed'));
  assert.equal(seen.reconnecting.length, seen.reconnected[0].attempts, 'close() does not reconnect');
});

test('reconnect: false keeps the old behaviour: the socket ends with the server, requests fail socket_closed', LIMIT, async (t) => {
  const servers = restartable(t);
  let server = await servers.start();
  t.after(() => server.close());
  const { port } = server;
  const jwk = (await fetchKeys(server.url)).keys[0];
  const socket = cleanup(t, await connectSocket(`${server.wsUrl}/api/echo`, jwk, { WebSocket, reconnect: false }));
  const seen = record(socket, 'reconnecting', 'reconnected');
  const held = servers.hold(1);
  const inFlight = socket.request(echo('in flight'));
  await held;
  await server.close();
  await assert.rejects(inFlight, isCode('socket_closed'));
  assert.deepEqual(await socket.closed, { code: 1001, reason: 'Server shutting down' });
  assert.equal(socket.state, 'closed');
  server = await servers.start(port);
  await sleep(150);
  await assert.rejects(socket.request(echo('later')), isCode('socket_closed'));
  assert.deepEqual(seen, { reconnecting: [], reconnected: [] });
});

test('close() while reconnecting ends the wait at once; maxAttempts gives up with an error event', LIMIT, async (t) => {
  const servers = restartable(t);
  const server = await servers.start();
  const jwk = (await fetchKeys(server.url)).keys[0];
  const url = `${server.wsUrl}/api/echo`;
  const slow = cleanup(t, await connectSocket(url, jwk, { WebSocket, reconnect: { initialDelay: 60000, maxDelay: 60000 } }));
  const limited = cleanup(t, await connectSocket(url, jwk, { WebSocket, reconnect: { ...quick, maxAttempts: 3 } }));
  const seenSlow = record(slow, 'reconnecting');
  const seenLimited = record(limited, 'reconnecting', 'reconnected', 'error');
  await server.close();

  await until(() => seenSlow.reconnecting.length === 1, 2000, 'waiting a minute');
  const started = Date.now();
  assert.deepEqual(await slow.close(), { code: 1000, reason: '' });
  assert.ok(Date.now() - started < 100, 'close() did not wait for the backoff');
  assert.equal(slow.state, 'closed');

  const end = await limited.closed;
  assert.deepEqual(seenLimited.reconnecting.map((e) => e.delayMs), [10, 20, 40]);
  assert.equal(end.code, 1006, 'closed resolves with the last failure');
  assert.deepEqual(seenLimited.error.map((e) => e.code), ['reconnect_failed']);
  assert.deepEqual(seenLimited.reconnected, []);
  await assert.rejects(limited.request(echo('gave up')), isCode('socket_closed'));
});

test('close() during an attempt that has not opened abandons it at once', LIMIT, async (t) => {
  // The second upgrade is never answered: the attempt hangs until close() ends it.
  const upgrades = [];
  const wss = new WebSocketServer({
    host: '127.0.0.1', port: 0,
    verifyClient: (info, done) => { upgrades.push(info.req.socket); if (upgrades.length === 1) done(true); },
  });
  t.after(() => { for (const s of upgrades) s.destroy(); wss.close(); });
  await once(wss, 'listening');
  const first = new Promise((resolve) => wss.once('connection', resolve));
  const socket = cleanup(t, await connectSocket(`ws://127.0.0.1:${wss.address().port}/api/echo`, await serverKey(),
    { WebSocket, reconnect: quick }));
  (await first).terminate();
  await until(() => upgrades.length === 2, 2000, 'the second upgrade');
  assert.equal(socket.state, 'reconnecting');
  // The client ending the TCP connection is an `end` here (the upgrade socket allows half-open).
  const gone = Promise.race([once(upgrades[1], 'end'), once(upgrades[1], 'close')]);
  assert.deepEqual(await socket.close(), { code: 1000, reason: '' });
  await Promise.race([gone, sleep(1000).then(() => assert.fail('the attempt was not abandoned'))]);
});

// --- which closes end the socket: a scripted server -------------------------------------------

// A WebSocket server on loopback that runs script[i](ws) for its i-th connection (the last entry for
// later ones). Replies, where a script gives them, are refusals: enough to see a request answered.
async function scriptedServer(script) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const sockets = [];
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    sockets.push(ws);
    script[Math.min(sockets.length - 1, script.length - 1)](ws);
  });
  return {
    url: `ws://127.0.0.1:${wss.address().port}/api/echo`, sockets,
    close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

const refuseAll = (ws) => ws.on('message', () => ws.send(JSON.stringify({ error: 'decrypt_failed', message: 'no' })));
const serverKey = async () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const { x, y } = publicKey.export({ format: 'jwk' });
  return { kty: 'EC', crv: 'P-256', x, y };
};

test('stop codes end the socket: 1000, 1002, 1008, 4003, 4004', LIMIT, async (t) => {
  const jwk = await serverKey();
  for (const code of [1000, 1002, 1008, 4003, 4004]) {
    const server = cleanup(t, await scriptedServer([refuseAll]));
    const socket = cleanup(t, await connectSocket(server.url, jwk, { WebSocket, reconnect: quick }));
    const seen = record(socket, 'reconnecting');
    server.sockets[0].close(code, `bye ${code}`);
    assert.deepEqual(await socket.closed, { code, reason: `bye ${code}` });
    await sleep(50);
    assert.deepEqual(seen.reconnecting, [], `no reconnect after ${code}`);
    assert.equal(server.sockets.length, 1);
    assert.equal(socket.state, 'closed');
    await assert.rejects(socket.request(echo('after')), isCode('socket_closed'));
  }
});

test('every other close reconnects: 1001, 1003, 1006 (dropped), 1009, 1011, 4002, and a reply timeout', LIMIT, async (t) => {
  const jwk = await serverKey();
  const endings = {
    1001: (ws) => ws.close(1001, 'going away'),
    1003: (ws) => ws.close(1003, 'idle timeout'),
    1006: (ws) => ws.terminate(),
    1009: (ws) => ws.close(1009, 'too big'),
    1011: (ws) => ws.close(1011, 'internal error'),
    4002: (ws) => ws.close(4002, 'timeout'),
  };
  for (const [code, end] of Object.entries(endings)) {
    const server = cleanup(t, await scriptedServer([refuseAll]));
    const socket = cleanup(t, await connectSocket(server.url, jwk, { WebSocket, reconnect: quick }));
    const seen = record(socket, 'reconnecting', 'reconnected');
    end(server.sockets[0]);
    await until(() => seen.reconnected.length === 1, 2000, `reconnected after ${code}`);
    assert.equal(seen.reconnecting[0].code, Number(code));
    assert.deepEqual(seen.reconnected[0], { attempts: 1 });
    assert.equal(server.sockets.length, 2);
    await assert.rejects(socket.request(echo('again')), isCode('decrypt_failed'), 'the new connection answers');
    await socket.close();
  }

  // A reply that never comes: our own close (1000 "reply timeout") is not the server's decision.
  const server = cleanup(t, await scriptedServer([() => {}, refuseAll]));
  const socket = cleanup(t, await connectSocket(server.url, jwk, { WebSocket, reconnect: quick, requestTimeout: 100 }));
  const seen = record(socket, 'reconnecting', 'reconnected');
  const [first, second] = await Promise.all([socket.request(echo(1)).catch((e) => e), socket.request(echo(2)).catch((e) => e)]);
  assert.ok(isCode('timeout')(first), String(first));
  assert.ok(isCode('socket_closed')(second), String(second));
  await until(() => seen.reconnected.length === 1, 2000, 'reconnected after a reply timeout');
  assert.deepEqual([seen.reconnecting[0].code, seen.reconnecting[0].reason], [1000, 'reply timeout']);
  await assert.rejects(socket.resend(first), isCode('decrypt_failed'), 'a timed-out request can be resent');
});

test('short connections keep the backoff growing; one that lasted resetAfter starts it over', LIMIT, async (t) => {
  const jwk = await serverKey();
  // Every connection is dropped 30 ms after it opens.
  const dropSoon = (ws) => setTimeout(() => ws.close(1011, 'flaky'), 30);
  const server = cleanup(t, await scriptedServer([dropSoon]));
  const growing = cleanup(t, await connectSocket(server.url, jwk, { WebSocket, reconnect: { ...quick, maxDelay: 1000, resetAfter: 60000 } }));
  const resetting = cleanup(t, await connectSocket(server.url, jwk, { WebSocket, reconnect: { ...quick, resetAfter: 20 } }));
  const seenGrowing = record(growing, 'reconnecting', 'reconnected');
  const seenResetting = record(resetting, 'reconnecting', 'reconnected');
  await until(() => seenGrowing.reconnected.length >= 4 && seenResetting.reconnected.length >= 4, 5000, 'four reconnects each');
  assert.deepEqual(seenGrowing.reconnecting.slice(0, 4).map((e) => [e.attempt, e.delayMs]), [[1, 10], [1, 20], [1, 40], [1, 80]]);
  assert.deepEqual(seenResetting.reconnecting.slice(0, 4).map((e) => [e.attempt, e.delayMs]), [[1, 10], [1, 10], [1, 10], [1, 10]]);
});

test('requests made after the drop and before the reconnect fail not_connected and are not sent later', LIMIT, async (t) => {
  // The first connection is closed by the server as soon as a frame arrives (the request is in
  // flight); the second counts what it receives.
  const jwk = await serverKey();
  const frames = [];
  const counting = (ws) => ws.on('message', (data) => {
    frames.push(String(data));
    ws.send(JSON.stringify({ error: 'decrypt_failed', message: 'no' }));
  });
  const server = cleanup(t, await scriptedServer([(ws) => ws.on('message', () => ws.close(1001, 'restart')), counting]));
  const socket = cleanup(t, await connectSocket(server.url, jwk, { WebSocket, reconnect: { ...quick, initialDelay: 200, maxDelay: 1000 } }));
  const seen = record(socket, 'reconnecting', 'reconnected');
  await assert.rejects(socket.request(echo('in flight')), isCode('socket_closed'));
  assert.equal(socket.state, 'reconnecting');
  await assert.rejects(socket.request(echo('too soon')), isCode('not_connected'));
  await until(() => seen.reconnected.length === 1, 2000, 'reconnected');
  await assert.rejects(socket.request(echo('now')), isCode('decrypt_failed'));
  assert.equal(frames.length, 1, 'the new connection got only the request made after the reconnect');
  assert.equal(seen.reconnecting[0].delayMs, 200);
});

// --- the C++ server --------------------------------------------------------------------------

// SEALED_ENVELOPE_SERVER=<path to envelope_api>: the restart against the C++ server, which keeps
// its key in --key-dir (so the kid survives) and closes its sockets on SIGTERM.
const external = process.env.SEALED_ENVELOPE_SERVER;

async function startEnvelopeApi(keyDir, port) {
  const child = spawn(external, ['--listen', `127.0.0.1:${port}`, '--key-dir', keyDir, '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  return { child, exited, port: Number(/listening on 127\.0\.0\.1:(\d+)/.exec(line)[1]) };
}

test('the C++ envelope_api stopped (SIGTERM) and started again on the same port', {
  ...LIMIT, skip: external ? false : 'set SEALED_ENVELOPE_SERVER=<envelope_api> to run it',
}, async (t) => {
  const keyDir = mkdtempSync(path.join(tmpdir(), 'sealed-envelope-reconnect-'));
  let server = await startEnvelopeApi(keyDir, 0);
  t.after(() => {
    server.child.kill('SIGKILL');
    rmSync(keyDir, { recursive: true, force: true });
  });
  const { port } = server;
  const jwk = (await fetchKeys(`http://127.0.0.1:${port}`)).keys[0];
  const socket = cleanup(t, await connectSocket(`ws://127.0.0.1:${port}/api/echo`, jwk, { WebSocket, reconnect: fast }));
  const seen = record(socket, 'reconnecting', 'reconnected');
  assert.deepEqual((await socket.request(echo('before'))).json, echo('before'));

  server.child.kill('SIGTERM');
  await server.exited;
  await until(() => seen.reconnecting.length >= 2, 3000, 'two attempts');
  assert.deepEqual([seen.reconnecting[0].code, seen.reconnecting[0].reason], [1001, 'server shutdown']);
  await assert.rejects(socket.request(echo('while down')), isCode('not_connected'));

  server = await startEnvelopeApi(keyDir, port);
  await until(() => seen.reconnected.length === 1, 3000, 'reconnected');
  assert.deepEqual((await socket.request(echo('after'))).json, echo('after'), 'the same key, so the same kid, after the restart');
  await socket.close();
});
