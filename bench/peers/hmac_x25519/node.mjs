#!/usr/bin/env node
// A Node peer for HMAC-X25519 (PROTOCOLS.md §3), written from the Go node transport's format
// with `ws`, node:crypto and @noble/ciphers (protocol.mjs): the outside implementation the
// interop tests and the bench run against sealed.
//   node node.mjs --listen 127.0.0.1:0 [--path /ws] [--name NAME]
//        responder: answers ping with pong and every other message with a reply of the same type
//        and payload (replyTo = its id). First stdout line: `listening on HOST:PORT`, then
//        `node id <id>`.
//   node node.mjs --dial ws://HOST:PORT/ws [--count N] [--expect-id ID] [--name NAME]
//        initiator: handshakes, sends a ping and N chat messages, checks the pong and the N
//        replies, prints one JSON line {"ok":…,"peer":…,"replies":N,"pong":…} and exits 0 if ok.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import {
  PROTOCOL_VERSION, challengeResponse, decodeBase64, envelope, generateIdentity, nodeIdOf, parseEnvelope,
  serializeEnvelope, sharedSecret, smsgKey, smsgOpen, smsgSeal, verifyChallengeResponse,
} from './protocol.mjs';

const require = createRequire(new URL('../../../tests/interop/package.json', import.meta.url));
const { WebSocket, WebSocketServer } = require('ws');

function parseArgs(argv) {
  const args = { path: '/ws', name: 'node-peer', count: 3 };
  for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '').replace(/-(.)/g, (_, c) => c.toUpperCase())] = argv[i + 1];
  args.count = Number(args.count);
  return args;
}

// The peer's identity from an envelope payload, checked (id derived from the key).
function peerIdentity(payload) {
  const key = decodeBase64(payload?.identity?.publicKey);
  if (!key || key.length !== 32) throw new Error('invalid identity public key');
  if (payload.identity.id !== nodeIdOf(key)) throw new Error('identity id does not match its public key');
  return { id: payload.identity.id, publicKey: key };
}

// A session: seals envelopes into SMSG binary frames and opens them back.
function session(socket, shared, me, peer) {
  const key = smsgKey(shared);
  return {
    peer,
    send(e) { socket.send(smsgSeal(key, serializeEnvelope(e)), { binary: true }); },
    open(frame) { return parseEnvelope(smsgOpen(key, frame)); },
    me,
  };
}

function respond(socket, me) {
  let current = null;
  socket.on('message', (data, isBinary) => {
    const frame = Buffer.isBuffer(data) ? data : Buffer.concat(data);
    if (!current) {
      let hello;
      try { hello = parseEnvelope(frame.toString('utf8')); } catch { socket.terminate(); return; }
      const refuse = (reason) => {
        socket.send(serializeEnvelope(envelope('handshake_ack', me.id, hello.from ?? '', { identity: me.json, accepted: false, reason })));
        socket.close(1008, reason.slice(0, 120));
      };
      if (hello.type !== 'handshake') return refuse('expected handshake');
      if (hello.payload?.version !== PROTOCOL_VERSION) {
        return refuse(`incompatible protocol version ${hello.payload?.version}, supported: [${PROTOCOL_VERSION}]`);
      }
      let peer, shared;
      try {
        peer = peerIdentity(hello.payload);
        shared = sharedSecret(me, peer.publicKey);
      } catch (e) { return refuse(e.message); }
      const challenge = decodeBase64(hello.payload.challenge);
      if (!challenge) return refuse('invalid challenge');
      socket.send(serializeEnvelope(envelope('handshake_ack', me.id, peer.id, {
        identity: me.json, challengeResponse: challengeResponse(shared, challenge).toString('base64'), accepted: true,
      })));
      current = session(socket, shared, me, peer);
      return;
    }
    if (!isBinary) return;
    let message;
    try { message = current.open(frame); } catch { socket.close(1008, 'SMSG decryption failed'); return; }
    if (message.type === 'ping') {
      current.send(envelope('pong', me.id, message.from, { sentAt: message.payload?.sentAt ?? 0, receivedAt: Date.now() }, message.id));
    } else {
      current.send(envelope(message.type, me.id, message.from, message.payload, message.id));
    }
  });
}

async function listen(args) {
  const me = generateIdentity(args.name, 'worker');
  const [host, port] = args.listen.split(/:(?=[^:]*$)/);
  const http = createServer((req, res) => { res.writeHead(404); res.end(); });
  const wss = new WebSocketServer({ server: http, path: args.path, maxPayload: 1 << 20 });
  wss.on('connection', (socket) => respond(socket, me));
  http.listen(Number(port), host, () => {
    console.log(`listening on ${host}:${http.address().port}`);
    console.log(`node id ${me.id}`);
  });
  const stop = () => { for (const c of wss.clients) c.terminate(); http.close(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function dial(args) {
  const me = generateIdentity(args.name, 'controller');
  const socket = new WebSocket(args.dial);
  const challenge = randomBytes(32);
  const sent = new Map();  // chat id -> text
  const result = { ok: false, peer: '', replies: 0, pong: false };
  let current = null;
  const finish = (ok, why) => {
    result.ok = ok;
    if (why) result.error = why;
    console.log(JSON.stringify(result));
    socket.close(1000);
    process.exitCode = ok ? 0 : 1;
    setTimeout(() => process.exit(), 200).unref();
  };
  setTimeout(() => finish(false, 'timeout'), 10000).unref();
  socket.on('error', (e) => finish(false, e.message));
  socket.on('open', () => {
    socket.send(serializeEnvelope(envelope('handshake', me.id, args.expectId ?? '', {
      identity: me.json, challenge: challenge.toString('base64'), version: PROTOCOL_VERSION,
    })));
  });
  socket.on('message', (data) => {
    const frame = Buffer.isBuffer(data) ? data : Buffer.concat(data);
    if (!current) {
      const ack = parseEnvelope(frame.toString('utf8'));
      if (ack.type !== 'handshake_ack' || ack.payload?.accepted !== true) return finish(false, `refused: ${ack.payload?.reason}`);
      const peer = peerIdentity(ack.payload);
      if (args.expectId && peer.id !== args.expectId) return finish(false, 'unexpected peer');
      const shared = sharedSecret(me, peer.publicKey);
      if (!verifyChallengeResponse(shared, challenge, decodeBase64(ack.payload.challengeResponse))) {
        return finish(false, 'challenge response verification failed');
      }
      result.peer = peer.id;
      current = session(socket, shared, me, peer);
      current.send(envelope('ping', me.id, peer.id, { sentAt: Date.now() }));
      for (let i = 0; i < args.count; i++) {
        const e = envelope('chat', me.id, peer.id, { text: `message ${i} from node: grüße <&> ✓` });
        sent.set(e.id, e.payload.text);
        current.send(e);
      }
      return;
    }
    const message = current.open(frame);
    if (message.type === 'pong') result.pong = true;
    else if (sent.get(message.replyTo) === message.payload?.text) {
      sent.delete(message.replyTo);
      result.replies++;
    } else return finish(false, `unexpected message ${message.type}`);
    if (result.pong && result.replies === args.count) finish(true);
  });
}

const args = parseArgs(process.argv.slice(2));
if (args.listen) listen(args);
else if (args.dial) dial(args);
else {
  console.error('usage: node.mjs --listen HOST:PORT | --dial URL');
  process.exit(2);
}
