// The fixed-input vector (tests/vectors/envelope.json, made with node:crypto alone) against
// sealed-envelope.js and against the Node reference server's envelope code, so the module, the
// server and the generator agree byte for byte.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';

import {
  EnvelopeError, fromBase64, fromBase64Url, kidOf, sealRequest, toBase64, toBase64Url,
} from '../sealed-envelope.js';
import { loadServerKey, openEnvelope, startServer } from '../../../../bench/peers/envelope/server.mjs';
import { makeVector } from '../../../../tests/vectors/make_envelope_vector.mjs';

const vector = JSON.parse(readFileSync(new URL('../../../../tests/vectors/envelope.json', import.meta.url), 'utf8'));
const { inputs, server_key: serverKey, request, response } = vector;

const hexBytes = (hex) => new Uint8Array(Buffer.from(hex, 'hex'));
const b64u = (hex) => Buffer.from(hex, 'hex').toString('base64url');

// The vector's overrides: its clock, iv, nonce and ephemeral key (as the private JWK WebCrypto takes).
function overrides() {
  const epk = Buffer.from(request.epk_hex, 'hex');
  return {
    now: inputs.ts,
    iv: hexBytes(inputs.request_iv_hex),
    nonce: hexBytes(inputs.nonce_hex),
    ephemeralPrivateKey: { kty: 'EC', crv: 'P-256', d: b64u(inputs.ephemeral_private_hex),
      x: epk.subarray(1, 33).toString('base64url'), y: epk.subarray(33, 65).toString('base64url') },
  };
}

test('the vector file is what the generator produces', () => {
  assert.deepEqual(vector, makeVector());
});

test('encoding helpers match Buffer and refuse non-canonical text', () => {
  for (let n = 0; n < 70; n++) {
    const bytes = globalThis.crypto.getRandomValues(new Uint8Array(n));
    assert.equal(toBase64(bytes), Buffer.from(bytes).toString('base64'));
    assert.equal(toBase64Url(bytes), Buffer.from(bytes).toString('base64url'));
    assert.deepEqual(Buffer.from(fromBase64(toBase64(bytes))), Buffer.from(bytes));
    assert.deepEqual(Buffer.from(fromBase64Url(toBase64Url(bytes))), Buffer.from(bytes));
  }
  for (const bad of ['abc', 'ab=c', '@@@@', 'YQ', 'YQ===', 'Y Q==', 'YR==', 'YWJ=']) assert.throws(() => fromBase64(bad), /invalid base64/);
  for (const bad of ['YQ==', 'Y', 'YR', 'a+b/']) assert.throws(() => fromBase64Url(bad), /invalid base64url/);
});

test('kidOf is the RFC 7638 thumbprint and checks the JWK kid', async () => {
  assert.equal(await kidOf(serverKey.jwk), serverKey.kid);
  const { kid, ...withoutKid } = serverKey.jwk;
  assert.equal(await kidOf(withoutKid), kid);
  await assert.rejects(kidOf({ ...serverKey.jwk, kid: 'not-the-thumbprint' }), (err) => err instanceof EnvelopeError && err.code === 'kid_mismatch');
  for (const bad of [{ ...serverKey.jwk, crv: 'P-384' }, { ...serverKey.jwk, kty: 'OKP' }, { ...serverKey.jwk, use: 'sig' },
    { ...serverKey.jwk, x: serverKey.jwk.x.slice(1) }, { ...serverKey.jwk, y: `${serverKey.jwk.y}=` }, null]) {
    await assert.rejects(kidOf(bad), (err) => err.code === 'invalid_key');
  }
});

test('sealRequest reproduces the vector envelope byte for byte and opens the vector response', async () => {
  const sealed = await sealRequest(serverKey.jwk, inputs.request_plaintext, overrides());
  assert.equal(sealed.body, request.envelope);
  assert.deepEqual(Object.keys(sealed.envelope), ['v', 'kid', 'epk', 'iv', 'ct', 'ts', 'nonce']);
  assert.deepEqual(sealed.envelope, JSON.parse(request.envelope));
  const expected = Buffer.from(inputs.response_plaintext, 'utf8');
  assert.deepEqual(Buffer.from(await sealed.openResponse(response.body)), expected);
  assert.deepEqual(Buffer.from(await sealed.openResponse(JSON.parse(response.body))), expected);
  assert.deepEqual(Buffer.from(await sealed.openResponse(new TextEncoder().encode(response.body))), expected);
  // The same plaintext as bytes or as an object (JSON.stringify) seals to the same envelope.
  const asBytes = await sealRequest(serverKey.jwk, new TextEncoder().encode(inputs.request_plaintext), overrides());
  assert.equal(asBytes.body, request.envelope);
  const asObject = await sealRequest(serverKey.jwk, JSON.parse(inputs.request_plaintext), overrides());
  assert.equal(asObject.body, request.envelope);
});

test('openResponse refuses tampered responses, throws refusals, and wants its own request', async () => {
  const sealed = await sealRequest(serverKey.jwk, inputs.request_plaintext, overrides());
  const body = JSON.parse(response.body);
  const ct = Buffer.from(body.ct, 'base64');
  ct[0] ^= 1;
  const cases = [
    [{ ...body, ct: ct.toString('base64') }, 'response_decrypt_failed'],
    [{ ...body, iv: toBase64(new Uint8Array(12)) }, 'response_decrypt_failed'],
    [{ ...body, v: 2 }, 'malformed_response'],
    [{ ...body, iv: toBase64(new Uint8Array(16)) }, 'malformed_response'],
    [{ ...body, ct: toBase64(new Uint8Array(15)) }, 'malformed_response'],
    [{ v: 1, iv: body.iv }, 'malformed_response'],
    ['not json', 'malformed_response'],
    ['[1]', 'malformed_response'],
  ];
  for (const [bad, code] of cases) {
    await assert.rejects(sealed.openResponse(bad, { status: 200 }), (err) => err instanceof EnvelopeError && err.code === code
      && err.status === 200, JSON.stringify(bad));
  }
  await assert.rejects(sealed.openResponse('{"error":"replayed_nonce","message":"this nonce was already used"}', { status: 409 }),
    (err) => err instanceof EnvelopeError && err.code === 'replayed_nonce' && err.status === 409
      && err.message === 'this nonce was already used');
  // Another request (another nonce, so another AAD and ephemeral key) cannot open this response.
  const other = await sealRequest(serverKey.jwk, inputs.request_plaintext, { ...overrides(), nonce: new Uint8Array(16) });
  await assert.rejects(other.openResponse(response.body), (err) => err.code === 'response_decrypt_failed');
});

test('the reference server opens the vector envelope and seals the vector response byte for byte', () => {
  const key = loadServerKey(serverKey.pkcs8_pem);
  assert.equal(key.kid, serverKey.kid);
  assert.deepEqual(key.jwk, serverKey.jwk);
  const findKey = (kid) => (kid === key.kid ? key : null);
  const opened = openEnvelope(Buffer.from(request.envelope), { findKey, now: inputs.ts });
  assert.equal(opened.code, undefined);
  assert.equal(opened.plaintext.toString('utf8'), inputs.request_plaintext);
  assert.equal(opened.seal(inputs.response_plaintext, Buffer.from(inputs.response_iv_hex, 'hex')), response.body);
  // The window is ±60 000 ms around the server's clock, inclusive.
  assert.equal(openEnvelope(Buffer.from(request.envelope), { findKey, now: inputs.ts + 60000 }).code, undefined);
  assert.equal(openEnvelope(Buffer.from(request.envelope), { findKey, now: inputs.ts - 60000 }).code, undefined);
  assert.equal(openEnvelope(Buffer.from(request.envelope), { findKey, now: inputs.ts + 60001 }).code, 'stale_timestamp');
  assert.equal(openEnvelope(Buffer.from(request.envelope), { findKey, now: inputs.ts - 60001 }).code, 'stale_timestamp');
});

test('a server started with the vector key publishes the vector JWKS and answers the vector request', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sealed-envelope-'));
  const keyFile = path.join(dir, 'server.pem');
  writeFileSync(keyFile, serverKey.pkcs8_pem, { mode: 0o600 });
  const server = await startServer({ host: '127.0.0.1', port: 0, keyFile, clock: () => inputs.ts });
  try {
    const jwks = await fetch(`${server.url}/.well-known/sealed-keys`);
    assert.equal(await jwks.text(), serverKey.jwks);
    // alice signs up (sealed at the vector's time, since the server's clock is pinned to it) ...
    const signup = await sealRequest(serverKey.jwk, inputs.request_plaintext, { now: inputs.ts });
    const signedUp = await fetch(`${server.url}/api/signup`, { method: 'POST', body: signup.body });
    assert.equal(signedUp.status, 201);
    // ... then the vector's own envelope logs her in; its response opens with the vector's secret.
    const sealed = await sealRequest(serverKey.jwk, inputs.request_plaintext, overrides());
    const res = await fetch(`${server.url}${inputs.request_path}`, { method: 'POST', body: request.envelope });
    assert.equal(res.status, inputs.response_status);
    const text = await res.text();
    assert.notEqual(text, response.body);  // a fresh response iv
    assert.equal(new TextDecoder().decode(await sealed.openResponse(text)), inputs.response_plaintext);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
