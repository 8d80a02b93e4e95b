#!/usr/bin/env node
// Node reference server for the ECDH-GCM session scheme (PROTOCOLS.md §1), written with `ws` and
// node:crypto only, as an independent peer for the JS tests, the interop scripts and benchmarks.
//   node bench/peers/ecdh_gcm/server.mjs --listen 127.0.0.1:0 [--path /stream]
//        [--static DIR]... [--require-encryption true|false] [--max-payload BYTES]
// First stdout line: `listening on HOST:PORT`. Also importable: startServer(options).
import { createCipheriv, createDecipheriv, createECDH, hkdfSync, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseListen } from '../listen.mjs';

// npm packages live in tests/interop/node_modules (see tests/interop/README.md).
const require = createRequire(new URL('../../../tests/interop/package.json', import.meta.url));
const { WebSocketServer } = require('ws');

const HKDF_INFO = 'ignis-ecdh-p256-aes-256-gcm-v1';
const DEFAULT_ROOM = 'ws-default';
const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8',
};

// Strict standard base64: canonical padding and trailing bits (Buffer.from alone accepts junk).
function decodeBase64(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

function seal(key, text) {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return JSON.stringify({ event: 'encrypted', data: { iv: iv.toString('base64'), ct: ct.toString('base64') } });
}

// null when the frame does not open: wrong iv length, too short, or a bad tag.
function open(key, data) {
  const iv = decodeBase64(data?.iv);
  const ct = decodeBase64(data?.ct);
  if (!iv || iv.length !== 12 || !ct || ct.length < 16) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(ct.subarray(ct.length - 16));
    return Buffer.concat([decipher.update(ct.subarray(0, ct.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

function parseEvent(text) {
  try {
    const message = JSON.parse(text);
    return message && typeof message === 'object' && typeof message.event === 'string' ? message : null;
  } catch {
    return null;
  }
}

const validRoom = (r) => typeof r === 'string' && r.length > 0 && r.length <= 256 && !r.startsWith('ws:');

async function serveStatic(dirs, req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  let urlPath;
  try {
    urlPath = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  } catch {
    return false;
  }
  if (urlPath.endsWith('/')) urlPath += 'index.html';
  for (const dir of dirs) {
    const file = path.join(dir, path.normalize(urlPath));
    if (!file.startsWith(dir + path.sep)) continue;  // no escaping the directory with ../
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-length': body.length, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    } catch {
      // not in this directory: try the next one
    }
  }
  return false;
}

// options: host, port, path, staticDirs, requireEncryption, maxPayload, authTimeoutMs,
// heartbeatTimeoutMs, onEvent(client, inner, {encrypted}) (tests observe inbound app events).
export function startServer(options = {}) {
  const {
    host = '127.0.0.1', port = 9092, path: wsPath = '/stream', staticDirs = [], requireEncryption = true,
    maxPayload = 128 * 1024, authTimeoutMs = 5000, heartbeatTimeoutMs = 90000, onEvent,
  } = options;
  const dirs = staticDirs.map((d) => path.resolve(d));
  const clients = new Map();  // client id → client
  const rooms = new Map();    // room → Set of client ids

  const httpServer = createServer((req, res) => {
    serveStatic(dirs, req, res).then((served) => {
      if (!served) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    });
  });
  const wss = new WebSocketServer({ server: httpServer, path: wsPath, maxPayload });

  // Every server → client frame is sealed once the client has a key, except `error`.
  const sendEvent = (client, event, data) => {
    const text = JSON.stringify({ event, data });
    client.ws.send(client.key ? seal(client.key, text) : text);
  };
  const sendError = (client, message, code) => client.ws.send(JSON.stringify({ event: 'error', data: { message, code } }));
  const refuse = (client, message, code, closeCode) => {
    sendError(client, message, code);
    client.ws.close(closeCode, message);
  };

  const join = (client, room) => {
    if (!rooms.has(room)) rooms.set(room, new Set());
    rooms.get(room).add(client.id);
    client.rooms.add(room);
  };
  const leave = (client, room) => {
    rooms.get(room)?.delete(client.id);
    if (rooms.get(room)?.size === 0) rooms.delete(room);
    client.rooms.delete(room);
  };

  function authenticate(client, data) {
    const token = data?.token;
    if (typeof token !== 'string' || token === '') return refuse(client, 'Authentication failed', 'authentication_failed', 4003);
    const connected = { id: client.id, userId: token, time: new Date().toISOString() };
    if (data.clientPublicKey !== undefined) {
      const point = decodeBase64(data.clientPublicKey);
      // Raw uncompressed SEC1 only, as WebCrypto exports it; computeSecret rejects off-curve points.
      if (!point || point.length !== 65 || point[0] !== 4) return refuse(client, 'Invalid public key', 'invalid_public_key', 4003);
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      let shared;
      try {
        shared = ecdh.computeSecret(point);
      } catch {
        return refuse(client, 'Invalid public key', 'invalid_public_key', 4003);
      }
      const salt = randomBytes(32);
      client.key = Buffer.from(hkdfSync('sha256', shared, salt, HKDF_INFO, 32));
      shared.fill(0);
      connected.serverPublicKey = ecdh.getPublicKey('base64');
      connected.salt = salt.toString('base64');
    } else if (requireEncryption) {
      return refuse(client, 'Encryption required', 'encryption_required', 4004);
    }
    clearTimeout(client.authTimer);
    client.userId = token;
    join(client, client.id);
    join(client, DEFAULT_ROOM);
    client.ws.send(JSON.stringify({ event: 'connected', data: connected }));  // plaintext: it carries the key material
  }

  function handleInner(client, inner, encrypted) {
    onEvent?.(client, inner, { encrypted });
    const { event, data } = inner;
    if (event === 'heartbeat') return;
    if (event === 'join') {
      const wanted = Array.isArray(data?.rooms) ? data.rooms.filter(validRoom) : [];
      for (const room of wanted) join(client, room);
      sendEvent(client, 'joined', { rooms: [...new Set(wanted)] });
    } else if (event === 'leave') {
      const rooms = Array.isArray(data?.rooms) ? data.rooms : [];
      for (const room of rooms) if (client.rooms.has(room)) leave(client, room);
    } else if (event === 'echo') {
      sendEvent(client, 'echo', data);
    } else if (event === 'chat') {
      const room = data?.room;
      if (typeof room !== 'string' || !client.rooms.has(room)) return sendError(client, 'Not in room', 'not_in_room');
      const out = { room, name: data.name, text: data.text, from: client.id, time: new Date().toISOString() };
      for (const id of rooms.get(room)) if (id !== client.id) sendEvent(clients.get(id), 'chat', out);
    } else {
      sendError(client, 'Unknown event', 'unknown_event');
    }
  }

  function handleFrame(client, text) {
    client.lastSeen = Date.now();  // any frame counts as liveness, as in IGNIS
    const message = parseEvent(text);
    if (!message) return sendError(client, 'Invalid message format', 'invalid_message_format');
    if (message.event === 'heartbeat') return;  // may be plaintext even on an encrypted session
    if (!client.userId) {
      if (message.event === 'authenticate') return authenticate(client, message.data);
      return sendError(client, 'Not authenticated', 'not_authenticated');
    }
    if (message.event === 'authenticate') return sendError(client, 'Already authenticated', 'already_authenticated');
    if (message.event !== 'encrypted') {
      if (client.key) return refuse(client, 'Encryption required', 'encryption_required', 4004);
      return handleInner(client, message, false);
    }
    const plain = client.key ? open(client.key, message.data) : null;
    if (plain === null) return refuse(client, 'Decryption failed', 'decrypt_failed', 4003);
    const inner = parseEvent(plain);
    if (!inner) return sendError(client, 'Invalid message format', 'invalid_message_format');
    handleInner(client, inner, true);
  }

  wss.on('connection', (ws) => {
    const client = { id: randomBytes(16).toString('hex'), ws, userId: null, key: null, rooms: new Set(), lastSeen: Date.now() };
    clients.set(client.id, client);
    client.authTimer = setTimeout(() => ws.close(4001, 'Authentication timeout'), authTimeoutMs);
    ws.on('message', (data) => handleFrame(client, data.toString('utf8')));
    ws.on('error', () => {});  // the close event follows; nothing to add
    ws.on('close', () => {
      clearTimeout(client.authTimer);
      for (const room of [...client.rooms]) leave(client, room);
      client.key?.fill(0);  // session keys do not outlive the connection
      client.key = null;
      clients.delete(client.id);
    });
  });

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const client of clients.values()) {
      if (client.userId && now - client.lastSeen > heartbeatTimeoutMs) client.ws.close(4002, 'Heartbeat timeout');
    }
  }, Math.min(30000, Math.max(10, Math.floor(heartbeatTimeoutMs / 3))));

  return new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      const actualPort = httpServer.address().port;
      resolve({
        host, port: actualPort, url: `ws://${host.includes(':') ? `[${host}]` : host}:${actualPort}${wsPath}`, clients, rooms,
        close() {
          clearInterval(sweep);
          for (const client of clients.values()) client.ws.close(1001, 'Server shutting down');
          wss.close();
          // Peers get a moment to answer the close frame; then whatever is left is cut.
          setTimeout(() => {
            for (const ws of wss.clients) ws.terminate();
            httpServer.closeAllConnections();
          }, 500).unref();
          return new Promise((done) => httpServer.close(() => done()));
        },
      });
    });
  });
}

function parseArgs(argv) {
  const opts = { staticDirs: [] };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--listen': Object.assign(opts, parseListen(value)); break;
      case '--path': opts.path = value; break;
      case '--static': opts.staticDirs.push(value); break;
      case '--require-encryption': opts.requireEncryption = value !== 'false'; break;
      case '--max-payload': opts.maxPayload = Number(value); break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
    i++;
  }
  return opts;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const server = await startServer(parseArgs(process.argv.slice(2)));
  console.log(`listening on ${server.host}:${server.port}`);
  // `on`, not `once`: with no listener left a repeated signal would kill the process (status 143).
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 2000).unref();  // never hang on a peer that does not close
    server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
