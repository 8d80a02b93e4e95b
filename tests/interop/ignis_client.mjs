#!/usr/bin/env node
// ignis_client.mjs URL [count]: a /stream client whose crypto is done only by IGNIS's own ECDH
// helper (@venizia/ignis-helpers), to show a server speaks the scheme as IGNIS clients do.
// Authenticates as "ignis-user", echoes `count` (default 5) encrypted events, joins "r1", closes.
// Prints one JSON line ({"ok":true,"echoed":N} or {"ok":false,"error":…}); exit status 0 or 1.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import WebSocket from 'ws';

const require = createRequire(import.meta.url);
// The helper's own file; the package's `exports` map hides it, so go via the entry point's folder.
const { ECDH } = require(path.join(path.dirname(require.resolve('@venizia/ignis-helpers')),
  'modules/crypto/algorithms/ecdh.algorithm.js'));

const TOTAL_TIMEOUT_MS = 15000;

// Distinct payloads; #1 is non-ASCII and #2 is ~16 KiB (when count allows).
function payload(i) {
  if (i === 1) return { seq: i, text: 'héllo wörld ✓ — 日本語 — 🙂' };
  if (i === 2) return { seq: i, blob: 'sealed-'.repeat(2341) };
  return { seq: i, text: `message ${i}` };
}

// Frames in arrival order; next() waits for the following one.
function frameReader(ws) {
  const queue = [];
  const waiting = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString('utf8'));
    if (waiting.length) waiting.shift()(frame); else queue.push(frame);
  });
  return () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiting.push(resolve)));
}

async function run(url, count) {
  const ecdh = new ECDH();
  const { keyPair, publicKeyB64 } = await ecdh.generateKeyPair();

  const ws = new WebSocket(url);
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const next = frameReader(ws);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });

  ws.send(JSON.stringify({ event: 'authenticate', data: { type: 'Bearer', token: 'ignis-user', clientPublicKey: publicKeyB64 } }));
  const connected = await next();
  assert.equal(connected.event, 'connected', `expected connected, got ${JSON.stringify(connected)}`);
  const { id, userId, serverPublicKey, salt } = connected.data;
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);  // crypto.randomUUID(), as IGNIS
  assert.equal(userId, 'ignis-user');
  assert.ok(serverPublicKey && salt, 'connected carries serverPublicKey and salt');

  const { key } = await ecdh.deriveAESKey({
    privateKey: keyPair.privateKey,
    peerPublicKey: await ecdh.importPublicKey({ rawKeyB64: serverPublicKey }),
    salt,
  });
  const sendSealed = async (inner) => {
    ws.send(JSON.stringify({ event: 'encrypted', data: await ecdh.encrypt({ secret: key, message: JSON.stringify(inner) }) }));
  };
  const nextSealed = async () => {
    const frame = await next();
    assert.equal(frame.event, 'encrypted', `expected an encrypted frame, got ${JSON.stringify(frame)}`);
    return JSON.parse(await ecdh.decrypt({ secret: key, message: frame.data }));
  };

  for (let i = 0; i < count; i++) {
    const inner = { event: 'echo', data: payload(i) };
    await sendSealed(inner);
    assert.deepEqual(await nextSealed(), inner, `echo #${i}`);
  }

  await sendSealed({ event: 'join', data: { rooms: ['r1'] } });
  const joined = await nextSealed();
  assert.equal(joined.event, 'joined');
  assert.ok(joined.data?.rooms?.includes('r1'), `joined ${JSON.stringify(joined.data)}`);

  ws.close(1000);
  const { code } = await closed;
  assert.equal(code, 1000);
  return { ok: true, echoed: count, id };
}

const [url, countArg = '5'] = process.argv.slice(2);
const count = Number(countArg);
if (!url || !Number.isInteger(count) || count < 0) {
  console.error('usage: node tests/interop/ignis_client.mjs ws://HOST:PORT/stream [count]');
  process.exit(2);
}
const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${TOTAL_TIMEOUT_MS} ms`)), TOTAL_TIMEOUT_MS).unref());
try {
  console.log(JSON.stringify(await Promise.race([run(url, count), timeout])));
  process.exit(0);
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: err.message }));
  process.exit(1);
}
