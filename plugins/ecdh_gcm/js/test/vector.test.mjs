// The fixed-key vector (tests/vectors/ecdh_gcm.json) against sealed-stream.js's crypto and
// against IGNIS's own ECDH helper, so the module, node:crypto and IGNIS agree byte for byte.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import test from 'node:test';

import { deriveSessionKey, fromBase64, openText, sealText, toBase64 } from '../sealed-stream.js';
import { makeVector } from '../../../../tests/vectors/make_ecdh_gcm_vector.mjs';

const require = createRequire(new URL('../../../../tests/interop/package.json', import.meta.url));
// The helper's own file (the package's `exports` map hides it, so resolve it from the entry point).
const { ECDH } = require(path.join(path.dirname(require.resolve('@venizia/ignis-helpers')),
  'modules/crypto/algorithms/ecdh.algorithm.js'));

const vector = JSON.parse(readFileSync(new URL('../../../../tests/vectors/ecdh_gcm.json', import.meta.url), 'utf8'));
const { subtle } = globalThis.crypto;

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const b64url = (bytes) => Buffer.from(bytes).toString('base64url');

// WebCrypto takes a fixed private scalar only as JWK (or PKCS#8): d plus the public point's x, y.
async function importPrivateKey(scalarHex, publicB64) {
  const point = fromBase64(publicB64);
  const jwk = { kty: 'EC', crv: 'P-256', d: b64url(Buffer.from(scalarHex, 'hex')),
    x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65)), ext: true };
  return subtle.importKey('jwk', jwk, { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
}

test('the vector file is what the generator produces', () => {
  assert.deepEqual(vector, makeVector());
});

test('base64 helpers match Buffer for every length and reject malformed input', () => {
  for (let n = 0; n < 70; n++) {
    const bytes = globalThis.crypto.getRandomValues(new Uint8Array(n));
    assert.equal(toBase64(bytes), Buffer.from(bytes).toString('base64'));
    assert.deepEqual(Buffer.from(fromBase64(toBase64(bytes))), Buffer.from(bytes));
  }
  const big = new Uint8Array(200000).fill(0xab);
  assert.equal(toBase64(big), Buffer.from(big).toString('base64'));
  for (const bad of ['abc', 'ab=c', '@@@@', 'YQ', 'YQ===', 'Y Q==']) assert.throws(() => fromBase64(bad), /invalid base64/);
});

test('sealed-stream.js derives the vector key and ciphertext from both sides', async () => {
  const clientKey = await deriveSessionKey({
    privateKey: await importPrivateKey(vector.client_private_hex, vector.client_public_b64),
    serverPublicKey: vector.server_public_b64, salt: vector.salt_b64, info: vector.info, extractable: true });
  assert.equal(hex(await subtle.exportKey('raw', clientKey)), vector.key_hex);
  const serverKey = await deriveSessionKey({
    privateKey: await importPrivateKey(vector.server_private_hex, vector.server_public_b64),
    serverPublicKey: vector.client_public_b64, salt: vector.salt_b64, info: vector.info, extractable: true });
  assert.equal(hex(await subtle.exportKey('raw', serverKey)), vector.key_hex);

  const sealed = await sealText(clientKey, vector.plaintext, fromBase64(vector.iv_b64));
  assert.deepEqual(sealed, { iv: vector.iv_b64, ct: vector.ct_b64 });
  assert.equal(JSON.stringify({ event: 'encrypted', data: sealed }), vector.frame);
  assert.equal(await openText(serverKey, sealed), vector.plaintext);
});

test('sealed-stream.js refuses a tampered or malformed vector frame', async () => {
  const key = await deriveSessionKey({
    privateKey: await importPrivateKey(vector.client_private_hex, vector.client_public_b64),
    serverPublicKey: vector.server_public_b64, salt: vector.salt_b64, info: vector.info });
  const ct = fromBase64(vector.ct_b64);
  ct[ct.length - 1] ^= 1;
  await assert.rejects(openText(key, { iv: vector.iv_b64, ct: toBase64(ct) }));
  await assert.rejects(openText(key, { iv: toBase64(new Uint8Array(16)), ct: vector.ct_b64 }), /malformed/);
  await assert.rejects(openText(key, { iv: vector.iv_b64, ct: toBase64(new Uint8Array(15)) }), /malformed/);
  // A different info string gives a different key, so the frame does not open.
  const other = await deriveSessionKey({
    privateKey: await importPrivateKey(vector.client_private_hex, vector.client_public_b64),
    serverPublicKey: vector.server_public_b64, salt: vector.salt_b64, info: 'other-info' });
  await assert.rejects(openText(other, { iv: vector.iv_b64, ct: vector.ct_b64 }));
});

test('the IGNIS ECDH helper decrypts the vector and its output opens with sealed-stream.js', async () => {
  const ignis = new ECDH();
  const { key, salt } = await ignis.deriveAESKey({
    privateKey: await importPrivateKey(vector.client_private_hex, vector.client_public_b64),
    peerPublicKey: await ignis.importPublicKey({ rawKeyB64: vector.server_public_b64 }),
    salt: vector.salt_b64 });
  assert.equal(salt, vector.salt_b64);
  assert.equal(await ignis.decrypt({ secret: key, message: { iv: vector.iv_b64, ct: vector.ct_b64 } }), vector.plaintext);

  const fromIgnis = await ignis.encrypt({ secret: key, message: vector.plaintext });
  const ours = await deriveSessionKey({
    privateKey: await importPrivateKey(vector.server_private_hex, vector.server_public_b64),
    serverPublicKey: vector.client_public_b64, salt: vector.salt_b64 });
  assert.equal(await openText(ours, fromIgnis), vector.plaintext);
});
