// The Node reference server's refusals (PROTOCOLS.md §1.5), driven frame by frame with a raw `ws`
// client and node:crypto, since sealed-stream.js never sends such frames.
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createECDH, hkdfSync, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';

import { startServer } from '../../../../bench/peers/ecdh_gcm/server.mjs';

const require = createRequire(new URL('../../../../tests/interop/package.json', import.meta.url));
const WebSocket = require('ws');

// A raw client: next() yields parsed frames in order; closed resolves {code, reason}.
async function rawClient(url) {
  const ws = new WebSocket(url);
  const queue = [];
  const waiting = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    if (waiting.length) waiting.shift()(frame); else queue.push(frame);
  });
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return {
    ws, closed,
    sendJson: (value) => ws.send(typeof value === 'string' ? value : JSON.stringify(value)),
    next: (ms = 2000) => (queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no frame within ${ms} ms`)), ms);
      waiting.push((frame) => { clearTimeout(timer); resolve(frame); });
    })),
  };
}

const seal = (key, text, iv = randomBytes(12)) => {
  const c = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([c.update(text, 'utf8'), c.final(), c.getAuthTag()]);
  return { event: 'encrypted', data: { iv: iv.toString('base64'), ct: ct.toString('base64') } };
};
const open = (key, { iv, ct }) => {
  const bytes = Buffer.from(ct, 'base64');
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  d.setAuthTag(bytes.subarray(-16));
  return JSON.parse(Buffer.concat([d.update(bytes.subarray(0, -16)), d.final()]).toString('utf8'));
};

// Authenticates with a fresh key; returns the client, the `connected` data and the session key.
async function session(url, token = 'raw') {
  const client = await rawClient(url);
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  client.sendJson({ event: 'authenticate', data: { type: 'Bearer', token, clientPublicKey: ecdh.getPublicKey('base64') } });
  const connected = await client.next();
  assert.equal(connected.event, 'connected');
  const shared = ecdh.computeSecret(Buffer.from(connected.data.serverPublicKey, 'base64'));
  const key = Buffer.from(hkdfSync('sha256', shared, Buffer.from(connected.data.salt, 'base64'), 'ignis-ecdh-p256-aes-256-gcm-v1', 32));
  return { client, connected: connected.data, key };
}

const error = (message, code) => ({ event: 'error', data: { message, code } });

let server;
before(async () => { server = await startServer({ host: '127.0.0.1', port: 0, authTimeoutMs: 150, heartbeatTimeoutMs: 300 }); });
after(() => server.close());

test('connected carries id, userId, time, serverPublicKey and salt; the client sits in its rooms', async () => {
  const { client, connected, key } = await session(server.url, 'u1');
  assert.match(connected.id, /^[0-9a-f]{32}$/);
  assert.equal(connected.userId, 'u1');
  assert.ok(Math.abs(Date.parse(connected.time) - Date.now()) < 5000);
  assert.equal(Buffer.from(connected.serverPublicKey, 'base64').length, 65);
  assert.equal(Buffer.from(connected.salt, 'base64').length, 32);
  assert.deepEqual([...server.clients.get(connected.id).rooms], [connected.id, 'ws-default']);
  client.sendJson(seal(key, JSON.stringify({ event: 'echo', data: { x: 1 } })));
  const reply = await client.next();
  assert.equal(reply.event, 'encrypted');
  assert.deepEqual(open(key, reply.data), { event: 'echo', data: { x: 1 } });
  client.ws.close();
});

test('before authenticate: bad JSON and other events get errors, the connection stays', async () => {
  const client = await rawClient(server.url);
  client.sendJson('{not json');
  assert.deepEqual(await client.next(), error('Invalid message format', 'invalid_message_format'));
  client.sendJson({ event: 'join', data: { rooms: ['x'] } });
  assert.deepEqual(await client.next(), error('Not authenticated', 'not_authenticated'));
  assert.equal(client.ws.readyState, WebSocket.OPEN);
  client.ws.close();
});

test('authenticate refusals close with 4003 or 4004', async () => {
  const cases = [
    [{ type: 'Bearer', token: '' }, 'Authentication failed', 'authentication_failed', 4003],
    [{ type: 'Bearer', token: 't', clientPublicKey: 'not base64!' }, 'Invalid public key', 'invalid_public_key', 4003],
    // 0x04 ‖ (1, 1) has the right shape but is not on the curve.
    [{ type: 'Bearer', token: 't', clientPublicKey: Buffer.concat([Buffer.from([4]), Buffer.alloc(31), Buffer.from([1]), Buffer.alloc(31), Buffer.from([1])]).toString('base64') },
      'Invalid public key', 'invalid_public_key', 4003],
    [{ type: 'Bearer', token: 't' }, 'Encryption required', 'encryption_required', 4004],
  ];
  for (const [data, message, code, closeCode] of cases) {
    const client = await rawClient(server.url);
    client.sendJson({ event: 'authenticate', data });
    assert.deepEqual(await client.next(), error(message, code));
    assert.equal((await client.closed).code, closeCode);
  }
});

test('frames that do not decrypt close with 4003 decrypt_failed', async () => {
  const tamper = {
    'bad tag': (f) => { const ct = Buffer.from(f.data.ct, 'base64'); ct[ct.length - 1] ^= 1; f.data.ct = ct.toString('base64'); },
    'short iv': (f) => { f.data.iv = randomBytes(8).toString('base64'); },
    'short ct': (f) => { f.data.ct = randomBytes(15).toString('base64'); },
  };
  for (const [name, change] of Object.entries(tamper)) {
    const { client, key } = await session(server.url);
    const frame = seal(key, JSON.stringify({ event: 'echo', data: name }));
    change(frame);
    client.sendJson(frame);
    assert.deepEqual(await client.next(), error('Decryption failed', 'decrypt_failed'), name);
    assert.equal((await client.closed).code, 4003, name);
  }
});

test('a plaintext app event on an encrypted session closes with 4004; a plaintext heartbeat is fine', async () => {
  const { client } = await session(server.url);
  client.sendJson({ event: 'heartbeat' });
  client.sendJson({ event: 'echo', data: 'in the clear' });
  assert.deepEqual(await client.next(), error('Encryption required', 'encryption_required'));
  assert.equal((await client.closed).code, 4004);
});

test('timeouts: 4001 without authenticate, 4002 without heartbeats', async () => {
  const idle = await rawClient(server.url);
  assert.deepEqual(await idle.closed, { code: 4001, reason: 'Authentication timeout' });
  const { client } = await session(server.url);
  assert.deepEqual(await client.closed, { code: 4002, reason: 'Heartbeat timeout' });
});
