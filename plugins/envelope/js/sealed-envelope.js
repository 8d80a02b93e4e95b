// sealed-envelope.js: client for the sealed envelope scheme (PROTOCOLS.md §2,
// docs/schemes/envelope.md). Each request is sealed on its own to the server's long-term
// P-256 key with a fresh ephemeral key; the response comes back sealed with the same ECDH secret.
// One ES module with no dependencies: only WebCrypto (globalThis.crypto.subtle), so the same file
// runs in browsers and in Node >= 20.
//
//   import { post, fetchKeys } from './sealed-envelope.js';
//   const { status, json } = await post('https://host', '/api/login', { username, password });
//   const jwks = await fetchKeys('https://host');
// WebSockets: sealed-envelope-socket.js (connectSocket, which comes back after a server restart).
// Errors are EnvelopeError { code, status, message }. A server refusal carries the server's code
// (`stale_timestamp`, `replayed_nonce`, …) and the HTTP status (undefined on a WebSocket). Failures
// found here use their own codes: `invalid_key` (a JWK that is not a P-256 public key),
// `kid_mismatch` (kid is not the key's RFC 7638 thumbprint), `keys_unavailable` (the JWKS fetch
// failed), `malformed_response`, `response_decrypt_failed`, `socket_closed`, `not_connected`
// (reconnecting), `timeout`.

export const VERSION = 1;
export const KEYS_PATH = '/.well-known/sealed-keys';
export const REQUEST_INFO = 'sealed envelope v1 request';
export const RESPONSE_INFO = 'sealed envelope v1 response';
const CURVE = { name: 'ECDH', namedCurve: 'P-256' };
const IV_BYTES = 12;
const NONCE_BYTES = 16;
const TAG_BYTES = 16;
const COORDINATE_BYTES = 32;
const DEFAULT_KEYS_MAX_AGE_MS = 60000;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export class EnvelopeError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.name = 'EnvelopeError';
    this.code = code;
    this.status = status;
  }
}

function subtle() {
  // Browsers expose crypto.subtle only in secure contexts (https:, or http: on localhost).
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('sealed-envelope: WebCrypto is unavailable (serve the page over https or from localhost)');
  return s;
}

const randomBytes = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));

// --- encodings (no Buffer, so it works in browsers too) -------------------------------------------

// Standard base64 with padding. Chunks keep apply() under the engine's argument limit.
export function toBase64(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = '';
  for (let i = 0; i < view.length; i += 0x8000) binary += String.fromCharCode.apply(null, view.subarray(i, i + 0x8000));
  return btoa(binary);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// Strict: padding required and unused trailing bits zero, so every byte string has one spelling
// (the server is as strict).
export function fromBase64(text) {
  if (typeof text !== 'string' || !BASE64.test(text)) throw new Error('sealed-envelope: invalid base64');
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  if (toBase64(out) !== text) throw new Error('sealed-envelope: invalid base64');
  return out;
}

export const toBase64Url = (bytes) => toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export function fromBase64Url(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new Error('sealed-envelope: invalid base64url');
  }
  const standard = text.replace(/-/g, '+').replace(/_/g, '/');
  try {
    return fromBase64(standard + '='.repeat((4 - (standard.length % 4)) % 4));
  } catch {
    throw new Error('sealed-envelope: invalid base64url');  // trailing bits not zero
  }
}

function plaintextBytes(plaintext) {
  if (plaintext instanceof Uint8Array) return plaintext;
  if (plaintext instanceof ArrayBuffer) return new Uint8Array(plaintext);
  if (typeof plaintext === 'string') return encoder.encode(plaintext);
  if (plaintext === undefined) throw new TypeError('sealed-envelope: nothing to seal');
  return encoder.encode(JSON.stringify(plaintext));
}

const joinUrl = (base, path) => `${String(base).replace(/\/+$/, '')}${path}`;

// --- keys --------------------------------------------------------------------------------------

function checkJwk(jwk) {
  if (!jwk || typeof jwk !== 'object' || jwk.kty !== 'EC' || jwk.crv !== 'P-256'
      || (jwk.use !== undefined && jwk.use !== 'enc')) {
    throw new EnvelopeError('invalid_key', 'sealed-envelope: not a P-256 encryption JWK');
  }
  for (const name of ['x', 'y']) {
    let bytes;
    try {
      bytes = fromBase64Url(jwk[name]);
    } catch {
      bytes = null;
    }
    if (!bytes || bytes.length !== COORDINATE_BYTES || toBase64Url(bytes) !== jwk[name]) {
      throw new EnvelopeError('invalid_key', `sealed-envelope: JWK ${name} is not 32 bytes of base64url`);
    }
  }
}

// RFC 7638 thumbprint of a P-256 JWK: base64url(SHA-256(`{"crv":"P-256","kty":"EC","x":…,"y":…}`)).
// When the JWK carries a kid, it must be that thumbprint (a kid_mismatch EnvelopeError otherwise).
export async function kidOf(jwk) {
  checkJwk(jwk);
  const input = `{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`;
  const kid = toBase64Url(await subtle().digest('SHA-256', encoder.encode(input)));
  if (jwk.kid !== undefined && jwk.kid !== kid) {
    throw new EnvelopeError('kid_mismatch', `sealed-envelope: kid ${JSON.stringify(jwk.kid)} is not the key's thumbprint ${kid}`);
  }
  return kid;
}

// Imported server keys, per JWK object: a client sealing many requests checks and imports once.
const importedKeys = new WeakMap();

async function serverKey(jwk) {
  let entry = importedKeys.get(jwk);
  if (!entry) {
    const kid = await kidOf(jwk);
    let key;
    try {
      // WebCrypto refuses a point that is not on the curve here.
      key = await subtle().importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, ext: true }, CURVE, true, []);
    } catch (err) {
      throw new EnvelopeError('invalid_key', `sealed-envelope: server key does not import (${err.message})`);
    }
    entry = { kid, key };
    importedKeys.set(jwk, entry);
  }
  return entry;
}

export const pickKey = (keys) => (Array.isArray(keys?.keys) ? keys.keys[0] : keys);

async function fetchKeysWithAge(baseUrl, fetchFn) {
  if (typeof fetchFn !== 'function') throw new Error('sealed-envelope: no fetch (pass { fetch })');
  const url = joinUrl(baseUrl, KEYS_PATH);
  let res;
  try {
    res = await fetchFn(url, { headers: { accept: 'application/json' } });
  } catch (err) {
    throw new EnvelopeError('keys_unavailable', `sealed-envelope: GET ${url} failed (${err.message})`);
  }
  if (res.status !== 200) throw new EnvelopeError('keys_unavailable', `sealed-envelope: GET ${url} answered ${res.status}`, res.status);
  let jwks;
  try {
    jwks = JSON.parse(await res.text());
  } catch {
    jwks = null;
  }
  if (!Array.isArray(jwks?.keys) || jwks.keys.length === 0) {
    throw new EnvelopeError('keys_unavailable', `sealed-envelope: GET ${url} is not a JWKS with keys`, res.status);
  }
  for (const jwk of jwks.keys) await kidOf(jwk);
  const maxAge = /(?:^|,)\s*max-age=(\d+)/i.exec(res.headers?.get?.('cache-control') ?? '');
  return { jwks, maxAgeMs: maxAge ? Number(maxAge[1]) * 1000 : DEFAULT_KEYS_MAX_AGE_MS };
}

// GET <baseUrl>/.well-known/sealed-keys → {"keys":[…]}; every key's kid is checked. A client
// seals to keys[0] (the current key).
export async function fetchKeys(baseUrl, { fetch: fetchFn = globalThis.fetch } = {}) {
  return (await fetchKeysWithAge(baseUrl, fetchFn)).jwks;
}

// --- sealing -------------------------------------------------------------------------------------

async function ephemeralKey(override) {
  if (!override) {
    const pair = await subtle().generateKey(CURVE, false, ['deriveBits']);
    return { privateKey: pair.privateKey, raw: new Uint8Array(await subtle().exportKey('raw', pair.publicKey)) };
  }
  if (override.privateKey && override.publicKey) {  // a CryptoKeyPair
    return { privateKey: override.privateKey, raw: new Uint8Array(await subtle().exportKey('raw', override.publicKey)) };
  }
  // A private JWK {kty, crv, x, y, d}: how WebCrypto takes a fixed scalar.
  const privateKey = await subtle().importKey('jwk', { kty: 'EC', crv: 'P-256', x: override.x, y: override.y, d: override.d },
    CURVE, false, ['deriveBits']);
  const raw = new Uint8Array(1 + 2 * COORDINATE_BYTES);
  raw[0] = 4;
  raw.set(fromBase64Url(override.x), 1);
  raw.set(fromBase64Url(override.y), 1 + COORDINATE_BYTES);
  return { privateKey, raw };
}

function fixedBytes(value, size, name) {
  const bytes = value instanceof Uint8Array ? value : new Uint8Array(value);
  if (bytes.length !== size) throw new TypeError(`sealed-envelope: ${name} must be ${size} bytes`);
  return bytes;
}

function parseBody(body, status) {
  if (body && typeof body === 'object' && !(body instanceof Uint8Array)) return body;
  let text = body;
  try {
    if (body instanceof Uint8Array) text = decoder.decode(body);
    const value = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch {
    // not JSON: reported below
  }
  throw new EnvelopeError('malformed_response', 'sealed-envelope: the response is not a JSON object', status);
}

// Seals one request to `jwk` (the server's current key, keys[0] of the JWKS). Returns the envelope
// (an object in wire field order), its JSON text to send, and openResponse(body, {status}) which
// opens this request's sealed response — the body as text, bytes or parsed object — into the
// plaintext bytes, or throws the server's refusal as an EnvelopeError.
// now / iv / nonce / ephemeralPrivateKey (a private JWK or a CryptoKeyPair) fix what is otherwise
// the clock and fresh randomness: for test vectors only (an iv, nonce or key must never repeat).
export async function sealRequest(jwk, plaintext, { now, iv, nonce, ephemeralPrivateKey } = {}) {
  const s = subtle();
  const { kid, key } = await serverKey(jwk);
  const ts = now ?? Date.now();
  if (!Number.isSafeInteger(ts) || ts < 0) throw new TypeError('sealed-envelope: now must be an integer number of ms');
  const ivBytes = iv === undefined ? randomBytes(IV_BYTES) : fixedBytes(iv, IV_BYTES, 'iv');
  const nonceText = toBase64(nonce === undefined ? randomBytes(NONCE_BYTES) : fixedBytes(nonce, NONCE_BYTES, 'nonce'));
  const ephemeral = await ephemeralKey(ephemeralPrivateKey);

  // shared = ECDH x-coordinate; both keys come from HKDF-SHA-256 with the epk bytes as salt.
  const shared = await s.deriveBits({ name: 'ECDH', public: key }, ephemeral.privateKey, 256);
  const ikm = await s.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  const derive = (info, usage) => s.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: ephemeral.raw, info: encoder.encode(info) },
    ikm, { name: 'AES-GCM', length: 256 }, false, [usage]);
  const [requestKey, responseKey] = await Promise.all([derive(REQUEST_INFO, 'encrypt'), derive(RESPONSE_INFO, 'decrypt')]);

  const aad = `v1|${kid}|${ts}|${nonceText}`;
  const ct = await s.encrypt({ name: 'AES-GCM', iv: ivBytes, additionalData: encoder.encode(aad), tagLength: TAG_BYTES * 8 },
    requestKey, plaintextBytes(plaintext));
  const envelope = { v: VERSION, kid, epk: toBase64(ephemeral.raw), iv: toBase64(ivBytes), ct: toBase64(ct), ts, nonce: nonceText };
  const responseAad = encoder.encode(`${aad}|response`);

  async function openResponse(responseBody, { status } = {}) {
    const message = parseBody(responseBody, status);
    if (typeof message.error === 'string' && message.ct === undefined) {
      throw new EnvelopeError(message.error, typeof message.message === 'string' ? message.message : message.error, status);
    }
    let ivIn;
    let ctIn;
    try {
      ivIn = fromBase64(message.iv);
      ctIn = fromBase64(message.ct);
    } catch {
      ivIn = null;
    }
    if (message.v !== VERSION || !ivIn || ivIn.length !== IV_BYTES || ctIn.length < TAG_BYTES) {
      throw new EnvelopeError('malformed_response', 'sealed-envelope: the response is not a sealed envelope', status);
    }
    try {
      return new Uint8Array(await s.decrypt({ name: 'AES-GCM', iv: ivIn, additionalData: responseAad, tagLength: TAG_BYTES * 8 },
        responseKey, ctIn));
    } catch {
      throw new EnvelopeError('response_decrypt_failed', 'sealed-envelope: the response does not decrypt (not this request\'s)', status);
    }
  }

  return { envelope, body: JSON.stringify(envelope), openResponse };
}

export function parseJsonBytes(bytes, status) {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    throw new EnvelopeError('malformed_response', 'sealed-envelope: the sealed response is not JSON', status);
  }
}

// --- HTTP ----------------------------------------------------------------------------------------

// JWKS per base URL, kept for the max-age the server gave (60 s).
const keyCache = new Map();

async function cachedKeys(baseUrl, fetchFn, refresh) {
  const entry = keyCache.get(baseUrl);
  if (!refresh && entry && entry.expires > Date.now()) return entry.jwks;
  const { jwks, maxAgeMs } = await fetchKeysWithAge(baseUrl, fetchFn);
  keyCache.set(baseUrl, { jwks, expires: Date.now() + maxAgeMs });
  return jwks;
}

async function postOnce(url, jwk, json, fetchFn) {
  const sealed = await sealRequest(jwk, json);
  const res = await fetchFn(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sealed.body });
  const text = await res.text();
  const bytes = await sealed.openResponse(text, { status: res.status });
  return { status: res.status, json: parseJsonBytes(bytes, res.status) };
}

// POST <baseUrl><path> with `json` sealed (a string is sent as it is: JSON text). Resolves
// {status, json} with the application's status and the opened response; refusals throw. Without
// `keys` (a JWKS or one JWK) the JWKS is fetched and cached; after an unknown_kid refusal (the
// server rotated) it is fetched again and the request sealed afresh, once.
export async function post(baseUrl, path, json, { keys, fetch: fetchFn = globalThis.fetch } = {}) {
  if (typeof fetchFn !== 'function') throw new Error('sealed-envelope: no fetch (pass { fetch })');
  const url = joinUrl(baseUrl, path);
  if (keys) return postOnce(url, pickKey(keys), json, fetchFn);
  try {
    return await postOnce(url, pickKey(await cachedKeys(baseUrl, fetchFn, false)), json, fetchFn);
  } catch (err) {
    if (!(err instanceof EnvelopeError) || err.code !== 'unknown_kid') throw err;
    return postOnce(url, pickKey(await cachedKeys(baseUrl, fetchFn, true)), json, fetchFn);
  }
}

// The WebSocket client (connectSocket, reconnecting) is in sealed-envelope-socket.js, which
// imports pickKey and parseJsonBytes from here.
