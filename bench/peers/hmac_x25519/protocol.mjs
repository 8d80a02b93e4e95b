// The HMAC-X25519 wire format (PROTOCOLS.md §3) in Node: node:crypto for X25519, SHA-256 and
// HMAC, @noble/ciphers for XChaCha20-Poly1305. An implementation independent of the C++ one,
// written from the Go node transport's format, for the interop tests, the test vector and the
// bench peer. JSON is written as Go's encoding/json writes it.
import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, randomBytes, randomUUID,
  timingSafeEqual } from 'node:crypto';

// npm packages live in tests/interop/node_modules (see tests/interop/README.md); noble is ESM-only.
const { xchacha20poly1305 } = await import(
  new URL('../../../tests/interop/node_modules/@noble/ciphers/chacha.js', import.meta.url).href);

export const PROTOCOL_VERSION = '1.0';
export const SMSG_HEADER = '{"algorithm":"chacha20poly1305","version":"1.0"}';
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export const sha256 = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

// Strict standard base64 (Buffer.from alone accepts junk).
export function decodeBase64(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

export const nodeIdOf = (publicKey) => sha256(publicKey).subarray(0, 16).toString('hex');

export function identityFromPrivate(raw, name, role = 'dual', createdAt = new Date().toISOString()) {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  const publicKey = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x, 'base64url');
  const id = nodeIdOf(publicKey);
  return { privateKey, publicKey, id, json: { id, name, publicKey: publicKey.toString('base64'), createdAt, role } };
}
export const generateIdentity = (name, role) => identityFromPrivate(randomBytes(32), name, role);

// shared = SHA-256(X25519(own private, peer public)); a low-order peer key (all-zero output) throws.
export function sharedSecret(identity, peerPublicKey) {
  if (!Buffer.isBuffer(peerPublicKey) || peerPublicKey.length !== 32) throw new Error('invalid public key');
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: peerPublicKey.toString('base64url') }, format: 'jwk' });
  const agreed = diffieHellman({ privateKey: identity.privateKey, publicKey });
  if (agreed.every((b) => b === 0)) throw new Error('low-order public key');
  return sha256(agreed);
}
export const challengeResponse = (shared, challenge) => createHmac('sha256', shared).update(challenge).digest();
export const verifyChallengeResponse = (shared, challenge, response) => {
  const expected = challengeResponse(shared, challenge);
  return Buffer.isBuffer(response) && response.length === expected.length && timingSafeEqual(expected, response);
};

// JSON.stringify output made Go-shaped: U+2028/2029 always escaped; <, > and & too with `html`
// (json.Marshal's default; the node transport's envelope encoder turns it off).
export function goJson(value, html) {
  let text = JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  if (html) text = text.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  return text;
}

// Go's Message struct, in its field order; replyTo omitted when empty.
export function envelope(type, from, to, payload, replyTo = '') {
  const e = { id: randomUUID(), type, from, to, ts: new Date().toISOString(), payload };
  if (replyTo) e.replyTo = replyTo;
  return e;
}
export const serializeEnvelope = (e) => goJson(e, false);

export function parseEnvelope(text) {
  const e = JSON.parse(text);
  if (typeof e !== 'object' || e === null || typeof e.type !== 'string' || !e.type) throw new Error('not an envelope');
  return e;
}

// --- SMSG ------------------------------------------------------------------------------------
export const smsgKey = (shared) => sha256(Buffer.from(shared.toString('base64'), 'utf8'));

export function xorStream(nonce, data) {
  const out = Buffer.from(data);
  const counter = Buffer.alloc(8);
  for (let offset = 0, block = 0n; offset < out.length; offset += 32, block += 1n) {
    counter.writeBigUInt64BE(block);
    const stream = sha256(nonce, counter);
    for (let i = 0; i < 32 && offset + i < out.length; i++) out[offset + i] ^= stream[i];
  }
  return out;
}

export const smsgInner = (body, timestamp) => `{"body":${goJson(body, true)},"timestamp":${timestamp}}`;

export function smsgSeal(key, body, { nonce = randomBytes(24), timestamp = Math.floor(Date.now() / 1000) } = {}) {
  const header = Buffer.from(SMSG_HEADER);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  const obfuscated = xorStream(nonce, Buffer.from(smsgInner(body, timestamp), 'utf8'));
  const sealed = Buffer.from(xchacha20poly1305(key, nonce).encrypt(obfuscated));
  return Buffer.concat([Buffer.from('SMSG'), Buffer.from([2]), length, header, nonce, sealed]);
}

// The envelope JSON inside an SMSG frame; throws on anything malformed or forged.
export function smsgOpen(key, frame) {
  if (frame.length < 9 || frame.subarray(0, 4).toString() !== 'SMSG' || frame[4] !== 2) throw new Error('not SMSG');
  const headerLength = frame.readUInt32BE(5);
  if (9 + headerLength > frame.length) throw new Error('header length past the end');
  JSON.parse(frame.subarray(9, 9 + headerLength).toString());
  const payload = frame.subarray(9 + headerLength);
  if (payload.length < 40) throw new Error('truncated');
  const nonce = payload.subarray(0, 24);
  const opened = xchacha20poly1305(key, nonce).decrypt(payload.subarray(24));
  const inner = JSON.parse(xorStream(nonce, opened).toString('utf8'));
  if (typeof inner.body !== 'string' || !inner.body) throw new Error('no body');
  return inner.body;
}
