// sealed-stream.js connect() against the Node reference server (bench/peers/ecdh_gcm/server.mjs)
// over real loopback sockets.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { connect } from '../sealed-stream.js';
import { startServer } from '../../../../bench/peers/ecdh_gcm/server.mjs';

const require = createRequire(new URL('../../../../tests/interop/package.json', import.meta.url));
const WebSocket = require('ws');

const SERVER_SCRIPT = fileURLToPath(new URL('../../../../bench/peers/ecdh_gcm/server.mjs', import.meta.url));

// The next `event` on a session, or a rejection after `ms`.
function nextEvent(session, event, ms = 2000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { session.off(event, fn); reject(new Error(`no "${event}" within ${ms} ms`)); }, ms);
    const fn = (data) => { clearTimeout(timer); session.off(event, fn); resolve(data); };
    session.on(event, fn);
  });
}

// Collects `event`s for `ms`, to show that something did NOT arrive.
async function collect(session, event, ms) {
  const seen = [];
  const fn = (data) => seen.push(data);
  session.on(event, fn);
  await new Promise((r) => setTimeout(r, ms));
  session.off(event, fn);
  return seen;
}

const inbound = [];  // every app event the servers received: { clientId, inner, encrypted }
let server;
let plainServer;
before(async () => {
  const onEvent = (client, inner, { encrypted }) => inbound.push({ clientId: client.id, inner, encrypted });
  server = await startServer({ host: '127.0.0.1', port: 0, onEvent });
  plainServer = await startServer({ host: '127.0.0.1', port: 0, requireEncryption: false, onEvent });
});
after(async () => {
  await server.close();
  await plainServer.close();
});

test('connect() authenticates and echoes events of every size and script', async () => {
  const s = await connect(server.url, { token: 'alice', WebSocket });
  assert.match(s.id, /^[0-9a-f]{32}$/);
  assert.equal(s.userId, 'alice');
  assert.equal(s.encrypted, true);
  const payloads = [{ n: 1 }, 'plain string', { text: 'héllo wörld ✓ 日本語 🙂' }, { blob: 'x'.repeat(16 * 1024) }, [1, null, true]];
  for (const data of payloads) {
    const echoed = nextEvent(s, 'echo');
    await s.send('echo', data);
    assert.deepEqual(await echoed, data);
  }
  assert.deepEqual(await s.close(), { code: 1000, reason: '' });
});

test('sends keep their order while encryption is in flight', async () => {
  const s = await connect(server.url, { token: 'order', WebSocket });
  const got = [];
  const done = new Promise((resolve) => s.on('echo', (d) => { got.push(d); if (got.length === 50) resolve(); }));
  await Promise.all(Array.from({ length: 50 }, (_, i) => s.send('echo', i)));
  await done;
  assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => i));
  await s.close();
});

test('rooms: join, chat to the other members only, leave, not_in_room', async () => {
  const a = await connect(server.url, { token: 'ann', WebSocket });
  const b = await connect(server.url, { token: 'bob', WebSocket });
  const joinedA = nextEvent(a, 'joined');
  await a.join('lobby', 'ws:internal', '');
  assert.deepEqual(await joinedA, { rooms: ['lobby'] });  // reserved and empty names are dropped
  const joinedB = nextEvent(b, 'joined');
  await b.join('lobby');
  assert.deepEqual(await joinedB, { rooms: ['lobby'] });

  const atB = nextEvent(b, 'chat');
  const atA = collect(a, 'chat', 300);
  await a.send('chat', { room: 'lobby', name: 'ann', text: 'hi bob' });
  const chat = await atB;
  assert.equal(chat.room, 'lobby');
  assert.equal(chat.name, 'ann');
  assert.equal(chat.text, 'hi bob');
  assert.equal(chat.from, a.id);
  assert.ok(!Number.isNaN(Date.parse(chat.time)));
  assert.deepEqual(await atA, [], 'the sender does not get its own chat back');

  await b.leave('lobby');
  const afterLeave = collect(b, 'chat', 300);
  await a.send('chat', { room: 'lobby', name: 'ann', text: 'anyone?' });
  assert.deepEqual(await afterLeave, []);

  const refused = nextEvent(b, 'error');
  await b.send('chat', { room: 'lobby', name: 'bob', text: 'let me in' });
  assert.deepEqual(await refused, { message: 'Not in room', code: 'not_in_room' });
  await Promise.all([a.close(), b.close()]);
});

test('a refused token rejects connect() with the message and close code 4003', async () => {
  const err = await connect(server.url, { token: '', WebSocket }).then(() => null, (e) => e);
  assert.ok(err instanceof Error);
  assert.match(err.message, /Authentication failed/);
  assert.equal(err.code, 'authentication_failed');
  assert.equal(err.closeCode, 4003);
});

test('encrypt=false: refused where encryption is required, plaintext where it is not', async () => {
  const err = await connect(server.url, { token: 'p', WebSocket, encrypt: false }).then(() => null, (e) => e);
  assert.equal(err?.code, 'encryption_required');
  assert.equal(err?.closeCode, 4004);

  const sent = [];
  class RecordingWebSocket extends WebSocket {
    send(data, ...rest) { sent.push(String(data)); return super.send(data, ...rest); }
  }
  const s = await connect(plainServer.url, { token: 'plain', WebSocket: RecordingWebSocket, encrypt: false });
  assert.equal(s.encrypted, false);
  const echoed = nextEvent(s, 'echo');
  await s.send('echo', { text: 'clear' });
  assert.deepEqual(await echoed, { text: 'clear' });
  assert.equal(JSON.parse(sent[0]).data.clientPublicKey, undefined);
  assert.deepEqual(JSON.parse(sent[1]), { event: 'echo', data: { text: 'clear' } });
  await s.close();
});

test('heartbeats go out encrypted, and so does every frame after authenticate', async () => {
  const sent = [];
  class RecordingWebSocket extends WebSocket {
    send(data, ...rest) { sent.push(String(data)); return super.send(data, ...rest); }
  }
  const s = await connect(server.url, { token: 'beat', WebSocket: RecordingWebSocket, heartbeatInterval: 40 });
  await s.join('beat-room');
  await new Promise((r) => setTimeout(r, 250));
  await s.close();
  const beats = inbound.filter((e) => e.clientId === s.id && e.inner.event === 'heartbeat');
  assert.ok(beats.length >= 3, `expected >= 3 heartbeats, got ${beats.length}`);
  assert.ok(beats.every((e) => e.encrypted && e.inner.data === undefined));
  assert.equal(JSON.parse(sent[0]).event, 'authenticate');
  assert.ok(sent.length >= 5);
  for (const frame of sent.slice(1)) {
    const { event, data } = JSON.parse(frame);
    assert.equal(event, 'encrypted');
    assert.deepEqual(Object.keys(data).sort(), ['ct', 'iv']);
  }
  assert.ok(!sent.some((f) => f.includes('heartbeat') || f.includes('beat-room')));
});

test('connect() rejects on timeout and on a refused connection', async () => {
  // A TCP listener that never answers the WebSocket handshake.
  const accepted = [];
  const silent = createServer((socket) => accepted.push(socket));
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  const { port } = silent.address();
  await assert.rejects(connect(`ws://127.0.0.1:${port}/stream`, { token: 't', WebSocket, timeout: 200 }),
    /no "connected" within 200 ms/);
  silent.close();
  for (const socket of accepted) socket.destroy();
  await once(silent, 'close');
  await assert.rejects(connect(`ws://127.0.0.1:${port}/stream`, { token: 't', WebSocket }),
    /connection closed before "connected"/);
});

test('server.mjs CLI: prints its port, serves a session, exits 0 on SIGTERM', async (t) => {
  const child = spawn(process.execPath, [SERVER_SCRIPT, '--listen', '127.0.0.1:0', '--path', '/custom'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));  // a failed assertion must not leave the server running
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  const match = /^listening on 127\.0\.0\.1:(\d+)$/.exec(line);
  assert.ok(match, `first line: ${line}`);
  // reconnect: false, so `closed` reports the server's close (reconnect.test.mjs covers coming back).
  const s = await connect(`ws://127.0.0.1:${match[1]}/custom`, { token: 'cli', WebSocket, reconnect: false });
  const echoed = nextEvent(s, 'echo');
  await s.send('echo', 'over the CLI server');
  assert.equal(await echoed, 'over the CLI server');
  child.kill('SIGTERM');
  assert.equal((await s.closed).code, 1001);
  const [code, signal] = await once(child, 'exit');
  assert.deepEqual([code, signal], [0, null]);
});
