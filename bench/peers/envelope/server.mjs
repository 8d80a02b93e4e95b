#!/usr/bin/env node
// Node reference server for the sealed envelope scheme (PROTOCOLS.md §2,
// docs/schemes/envelope.md): the server a user would otherwise write with node:http,
// node:crypto and `ws`. An independent peer for the JS tests, the interop scripts and benchmarks.
//   node bench/peers/envelope/server.mjs --host 127.0.0.1 --port 0 [--key-file key.pem] [--body-limit BYTES]
// First stdout line: `listening on HOST:PORT`, then `kid <kid>`. SIGTERM/SIGINT exit 0.
// Also importable: startServer(options), and the envelope steps (openEnvelope, …) for tests.
//
// Routes: GET /.well-known/sealed-keys (JWKS), GET /health, POST /api/signup | /api/login |
// /api/echo with sealed bodies, and the same /api/* paths as WebSockets (one envelope per text
// frame, replies in order). Users live in memory (scrypt hashes); nonces in an in-memory store
// with the contract's TTL. One key: fresh per start, or the PKCS#8 PEM of --key-file.
import {
  createCipheriv, createDecipheriv, createECDH, createHash, createPrivateKey, hkdfSync, randomBytes, scrypt,
  timingSafeEqual,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseListen } from '../listen.mjs';

// npm packages live in tests/interop/node_modules (see tests/interop/README.md).
const require = createRequire(new URL('../../../tests/interop/package.json', import.meta.url));
const { WebSocketServer } = require('ws');

export const KEYS_PATH = '/.well-known/sealed-keys';
export const REQUEST_INFO = 'sealed envelope v1 request';
export const RESPONSE_INFO = 'sealed envelope v1 response';
export const DEFAULT_BODY_LIMIT = 64 * 1024;
export const WINDOW_MS = 60000;
export const NONCE_TTL_MS = 120000;  // twice the window: a ts from the future cannot be replayed later
const MAX_TIMESTAMP = 2n ** 53n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// code → [HTTP status, message]
export const REFUSALS = {
  body_too_large: [413, 'request body over the size limit'],
  malformed_envelope: [400, 'not an envelope: a field is missing, of the wrong type or size'],
  unsupported_version: [400, 'unsupported envelope version'],
  unknown_kid: [400, 'no server key has this kid (fetch /.well-known/sealed-keys again)'],
  stale_timestamp: [401, 'timestamp outside the accepted window'],
  invalid_public_key: [400, 'epk is not a valid P-256 point'],
  decrypt_failed: [401, 'the envelope does not decrypt (tampered or wrong key)'],
  replayed_nonce: [409, 'this nonce was already used'],
  replay_store_unavailable: [503, 'the replay store is unavailable; try again later'],
  not_found: [404, 'no such route'],
  method_not_allowed: [405, 'method not allowed on this route'],
};

export const refusalBody = (code) => JSON.stringify({ error: code, message: REFUSALS[code][1] });

// --- keys ----------------------------------------------------------------------------------------

// {ecdh, kid, jwk, jwks}: the private key as an ECDH object (computeSecret validates peer points).
export function serverKeyFrom(ecdh) {
  const point = ecdh.getPublicKey();  // 04 ‖ X ‖ Y
  const x = point.subarray(1, 33).toString('base64url');
  const y = point.subarray(33, 65).toString('base64url');
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const kid = createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${x}","y":"${y}"}`).digest('base64url');
  const jwk = { kty: 'EC', crv: 'P-256', x, y, kid, use: 'enc' };
  return { ecdh, kid, jwk };
}

export function generateServerKey() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return serverKeyFrom(ecdh);
}

export function loadServerKey(pem) {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('the key file is not a P-256 private key');
  }
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(key.export({ format: 'jwk' }).d, 'base64url'));
  return serverKeyFrom(ecdh);
}

// --- envelope parsing (step 1) ---------------------------------------------------------------------

// Strict standard base64: canonical padding and zero trailing bits (Buffer.from alone accepts junk).
function decodeBase64(text) {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

// The source text of the number tokens that are direct members of the top-level object, by key
// (the last one wins, as in JSON.parse). JSON.parse turns 1.0 and 1e0 into 1; the contract's
// "integer" is the JSON integer grammar, as the C++ parser reads it, so the tokens are looked at.
// Only called on text JSON.parse accepted.
const NUMBER = /-?[0-9][0-9.eE+-]*/y;

function topLevelNumberTokens(text) {
  const tokens = new Map();
  let depth = 0;
  let key = null;       // the last string at depth 1 in key position
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        key = JSON.parse(text.slice(i, j + 1));
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      if (depth === 1) expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',') {
      if (depth === 1) expectKey = true;
    } else if (depth === 1 && key !== null && (c === '-' || (c >= '0' && c <= '9'))) {
      NUMBER.lastIndex = i;
      const token = NUMBER.exec(text)[0];
      tokens.set(key, token);
      i += token.length - 1;
    }
  }
  return tokens;
}

// A JSON integer token in int64 range, as a BigInt; null for anything else (1.5, 1e3, 1.0, 2^64).
function integerToken(value, token) {
  if (typeof value !== 'number' || token === undefined || !/^-?(?:0|[1-9][0-9]*)$/.test(token)) return null;
  const n = BigInt(token);
  return n >= INT64_MIN && n <= INT64_MAX ? n : null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// Step 1: the fields with their types and decoded sizes, or null.
export function parseEnvelope(bytes) {
  let text;
  let value;
  try {
    text = utf8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const tokens = topLevelNumberTokens(text);
  const v = integerToken(value.v, tokens.get('v'));
  const ts = integerToken(value.ts, tokens.get('ts'));
  if (v === null || ts === null || ts < 0n || ts > MAX_TIMESTAMP) return null;
  const { kid, nonce } = value;
  if (typeof kid !== 'string' || kid === '' || typeof nonce !== 'string') return null;
  const epk = decodeBase64(value.epk);
  const iv = decodeBase64(value.iv);
  const ct = decodeBase64(value.ct);
  const nonceBytes = decodeBase64(nonce);
  if (!epk || epk.length !== 65 || !iv || iv.length !== 12 || !ct || ct.length < 16 || !nonceBytes || nonceBytes.length !== 16) {
    return null;
  }
  return { v, kid, epk, iv, ct, ts: Number(ts), nonce };
}

// --- opening and sealing ---------------------------------------------------------------------------

function sealWith(responseKey, aad, plaintext, iv = randomBytes(12)) {
  const cipher = createCipheriv('aes-256-gcm', responseKey, iv);
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return JSON.stringify({ v: 1, iv: iv.toString('base64'), ct: ct.toString('base64') });
}

// Steps 0–6 in the contract's order. keys: kid → server key (findKey(kid, now) for rotation).
// Returns { code } for a refusal, or { envelope, plaintext, seal(plaintext, iv?) } where seal
// makes the response body (the iv parameter is for test vectors). The nonce check (step 7) is
// the caller's: it needs the store.
export function openEnvelope(bytes, { findKey, now, bodyLimit = DEFAULT_BODY_LIMIT }) {
  if (bytes.length > bodyLimit) return { code: 'body_too_large' };
  const envelope = parseEnvelope(bytes);
  if (!envelope) return { code: 'malformed_envelope' };
  if (envelope.v !== 1n) return { code: 'unsupported_version' };
  const key = findKey(envelope.kid, now);
  if (!key) return { code: 'unknown_kid' };
  if (Math.abs(now - envelope.ts) > WINDOW_MS) return { code: 'stale_timestamp' };
  // Only uncompressed points; OpenSSL would also take the hybrid 06/07 forms.
  if (envelope.epk[0] !== 4) return { code: 'invalid_public_key' };
  let shared;
  try {
    shared = key.ecdh.computeSecret(envelope.epk);  // refuses points off the curve or out of range
  } catch {
    return { code: 'invalid_public_key' };
  }
  const requestKey = Buffer.from(hkdfSync('sha256', shared, envelope.epk, REQUEST_INFO, 32));
  const responseKey = Buffer.from(hkdfSync('sha256', shared, envelope.epk, RESPONSE_INFO, 32));
  shared.fill(0);
  const aad = `v1|${envelope.kid}|${envelope.ts}|${envelope.nonce}`;
  let plaintext;
  try {
    const decipher = createDecipheriv('aes-256-gcm', requestKey, envelope.iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(envelope.ct.subarray(envelope.ct.length - 16));
    plaintext = Buffer.concat([decipher.update(envelope.ct.subarray(0, envelope.ct.length - 16)), decipher.final()]);
  } catch {
    responseKey.fill(0);
    return { code: 'decrypt_failed' };
  } finally {
    requestKey.fill(0);
  }
  const responseAad = Buffer.from(`${aad}|response`, 'utf8');
  return {
    envelope,
    plaintext,
    seal: (text, iv) => sealWith(responseKey, responseAad, typeof text === 'string' ? Buffer.from(text, 'utf8') : text, iv),
  };
}

// The nonce store: `SET sealed:nonce:<nonce> 1 NX PX 120000` in memory. setNX resolves true when
// the key was not there (and sets it). A store that throws means replay_store_unavailable.
export function memoryReplayStore({ now = Date.now } = {}) {
  const entries = new Map();  // key → expiry (ms)
  const sweep = setInterval(() => {
    const t = now();
    for (const [key, expires] of entries) if (expires <= t) entries.delete(key);
  }, 10000);
  sweep.unref();
  return {
    async setNX(key, ttlMs) {
      const t = now();
      const expires = entries.get(key);
      if (expires !== undefined && expires > t) return false;
      entries.set(key, t + ttlMs);
      return true;
    },
    get size() { return entries.size; },
    close() { clearInterval(sweep); entries.clear(); },
  };
}

// --- the envelope_api application -------------------------------------------------------------------

const scryptAsync = promisify(scrypt);
const SCRYPT = { N: 16384, r: 8, p: 1 };
const USERNAME = /^[A-Za-z0-9_.-]{1,64}$/;

async function hashPassword(password) {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

async function verifyPassword(password, stored) {
  const [, N, r, p, salt, hash] = stored.split('$');
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, { N: +N, r: +r, p: +p });
  return timingSafeEqual(actual, expected);
}

const reply = (status, value) => ({ status, body: JSON.stringify(value) });

function credentials(plaintext) {
  let value;
  try {
    value = JSON.parse(utf8.decode(plaintext));
  } catch {
    return null;
  }
  const { username, password } = value ?? {};
  if (typeof username !== 'string' || !USERNAME.test(username) || typeof password !== 'string') return null;
  const size = Buffer.byteLength(password, 'utf8');
  return size >= 8 && size <= 256 ? { username, password } : null;
}

function makeApp(users) {
  // Login for an unknown user still runs scrypt, against this, so both cases take as long.
  let dummyHash = null;
  const dummy = () => (dummyHash ??= hashPassword('not anyone\'s password'));
  return {
    async '/api/signup'(plaintext) {
      const creds = credentials(plaintext);
      if (!creds) return reply(400, { ok: false, error: 'invalid_credentials_format' });
      if (users.has(creds.username)) return reply(409, { ok: false, error: 'username_taken' });
      users.set(creds.username, null);  // reserved while scrypt runs, so a racing signup gets 409
      users.set(creds.username, await hashPassword(creds.password));
      return reply(201, { ok: true, username: creds.username });
    },
    async '/api/login'(plaintext) {
      const creds = credentials(plaintext);
      if (!creds) return reply(400, { ok: false, error: 'invalid_credentials_format' });
      const stored = users.get(creds.username);
      const ok = await verifyPassword(creds.password, stored ?? await dummy());
      if (!ok || !stored) return reply(401, { ok: false, error: 'bad_credentials' });
      return reply(200, { ok: true, username: creds.username });
    },
    async '/api/echo'(plaintext) {
      return { status: 200, body: plaintext };
    },
  };
}

// --- the server ----------------------------------------------------------------------------------

const pathnameOf = (url) => {
  try {
    return new URL(url, 'http://x').pathname;
  } catch {
    return null;
  }
};

// options: host, port, keyFile (PKCS#8 PEM; a fresh key otherwise), bodyLimit, clock (ms; tests
// pin it), replayStore ({setNX(key, ttlMs)}; in memory otherwise).
export function startServer(options = {}) {
  const {
    host = '127.0.0.1', port = 9093, keyFile, bodyLimit = DEFAULT_BODY_LIMIT, clock = Date.now,
  } = options;
  const key = keyFile ? loadServerKey(readFileSync(keyFile)) : generateServerKey();
  const keys = new Map([[key.kid, key]]);
  const findKey = (kid) => keys.get(kid) ?? null;
  const jwks = JSON.stringify({ keys: [key.jwk] });
  const ownStore = options.replayStore ? null : memoryReplayStore({ now: clock });
  const replayStore = options.replayStore ?? ownStore;
  const users = new Map();  // username → scrypt hash
  const app = makeApp(users);

  // One envelope through steps 0–7 and the route: { status, body } (sealed, or a refusal).
  async function handle(route, bytes) {
    const refuse = (code) => ({ status: REFUSALS[code][0], body: refusalBody(code) });
    const opened = openEnvelope(bytes, { findKey, now: clock(), bodyLimit });
    if (opened.code) return refuse(opened.code);
    let fresh;
    try {
      fresh = await replayStore.setNX(`sealed:nonce:${opened.envelope.nonce}`, NONCE_TTL_MS);
    } catch {
      return refuse('replay_store_unavailable');
    }
    if (!fresh) return refuse('replayed_nonce');
    const { status, body } = await app[route](opened.plaintext);
    return { status, body: opened.seal(body) };
  }

  const send = (res, status, body, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };
  const refuse = (res, code, headers) => send(res, REFUSALS[code][0], refusalBody(code), headers);

  function serveApi(route, req, res) {
    const declared = Number(req.headers['content-length']);
    let size = 0;
    let chunks = [];
    let answered = false;
    const tooLarge = () => {
      answered = true;
      chunks = [];
      refuse(res, 'body_too_large');
    };
    if (declared > bodyLimit) tooLarge();  // the rest is read and dropped, so the connection stays usable
    req.on('data', (chunk) => {
      size += chunk.length;
      if (answered) {
        if (size > 64 * bodyLimit) req.destroy();  // not draining forever
        return;
      }
      if (size > bodyLimit) return tooLarge();
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (answered) return;
      handle(route, Buffer.concat(chunks)).then(({ status, body }) => send(res, status, body),
        () => { if (!res.headersSent) res.writeHead(500).end(); });
    });
    req.on('error', () => {});
  }

  const httpServer = createServer((req, res) => {
    const pathname = pathnameOf(req.url);
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (pathname === KEYS_PATH) {
      if (!get) return refuse(res, 'method_not_allowed', { allow: 'GET, HEAD' });
      return send(res, 200, jwks, { 'cache-control': 'max-age=60' });
    }
    if (pathname === '/health') {
      if (!get) return refuse(res, 'method_not_allowed', { allow: 'GET, HEAD' });
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': 2 });
      return res.end(req.method === 'HEAD' ? undefined : 'ok');
    }
    if (Object.hasOwn(app, pathname ?? '')) {
      if (req.method !== 'POST') return refuse(res, 'method_not_allowed', { allow: 'POST' });
      return serveApi(pathname, req, res);
    }
    refuse(res, 'not_found');
  });

  // WebSockets on the API paths. Frames up to 16× the body limit reach the handler, which refuses
  // those over the limit with body_too_large and keeps the socket; larger ones close it (1009).
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * bodyLimit });
  httpServer.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    const pathname = pathnameOf(req.url);
    if (!Object.hasOwn(app, pathname ?? '')) {
      const body = refusalBody('not_found');
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
        + `Connection: close\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      let chain = Promise.resolve();  // handling is async (scrypt, the store): replies keep request order
      ws.on('message', (data, isBinary) => {
        chain = chain.then(async () => {
          const out = isBinary ? refusalBody('malformed_envelope') : (await handle(pathname, data)).body;
          if (ws.readyState === ws.OPEN) ws.send(out);
        }).catch(() => {});
      });
      ws.on('error', () => {});
    });
  });

  return new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      const actualPort = httpServer.address().port;
      const authority = `${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
      resolve({
        host, port: actualPort, url: `http://${authority}`, wsUrl: `ws://${authority}`,
        kid: key.kid, jwk: key.jwk, users, replayStore,
        close() {
          ownStore?.close();
          for (const ws of wss.clients) ws.close(1001, 'Server shutting down');
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
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${argv[i]} needs a value`);
    switch (argv[i]) {
      case '--host': opts.host = value; break;
      case '--port': opts.port = Number(value); break;
      case '--listen': Object.assign(opts, parseListen(value)); break;
      case '--key-file': opts.keyFile = value; break;
      case '--body-limit': opts.bodyLimit = Number(value); break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
    i++;
  }
  return opts;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const server = await startServer(parseArgs(process.argv.slice(2)));
  console.log(`listening on ${server.host}:${server.port}`);
  console.log(`kid ${server.kid}`);
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
