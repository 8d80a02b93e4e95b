#!/usr/bin/env node
// Builds tests/vectors/hmac_x25519.json: a fixed-input HMAC-X25519 handshake (challenge response)
// and one SMSG frame (PROTOCOLS.md §3), computed by the Node implementation
// (bench/peers/hmac_x25519/protocol.mjs: node:crypto + @noble/ciphers), so the C++ tests check
// their bytes against a third party. Every input is SHA-256 of a label: `node
// make_hmac_x25519_vector.mjs` rewrites the file; `--check` exits 1 if the file on disk differs.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { challengeResponse, identityFromPrivate, sha256, sharedSecret, smsgInner, smsgKey, smsgSeal } from
  '../../bench/peers/hmac_x25519/protocol.mjs';

const VECTOR_FILE = fileURLToPath(new URL('./hmac_x25519.json', import.meta.url));
const labelHash = (label) => sha256(`sealed/hmac_x25519 test vector: ${label}`);

export function makeVector() {
  const initiator = identityFromPrivate(labelHash('initiator private key'), 'alice', 'dual', '2026-01-01T00:00:00Z');
  const responder = identityFromPrivate(labelHash('responder private key'), 'bob', 'worker', '2026-01-01T00:00:00Z');
  const shared = sharedSecret(initiator, responder.publicKey);
  if (!shared.equals(sharedSecret(responder, initiator.publicKey))) throw new Error('X25519 mismatch');
  const challenge = labelHash('challenge');
  const nonce = labelHash('nonce').subarray(0, 24);
  const timestamp = 1767225600;  // 2026-01-01T00:00:00Z
  // HTML characters and non-ASCII on purpose: Go escapes <, > and & inside the SMSG body only.
  const body = `{"id":"5b0e6f0e-3f7a-4c1e-9a53-8f6f1c2d3e4f","type":"chat","from":"${initiator.id}",` +
    `"to":"${responder.id}","ts":"2026-01-01T00:00:00.123456789Z","payload":{"text":"<b>hello</b> & wörld ✓"}}`;
  const key = smsgKey(shared);
  return {
    description: 'HMAC-X25519 fixed-input vector (PROTOCOLS.md §3); made by tests/vectors/make_hmac_x25519_vector.mjs',
    initiator_private_key: labelHash('initiator private key').toString('hex'),
    initiator_public_key: initiator.publicKey.toString('hex'),
    initiator_id: initiator.id,
    responder_private_key: labelHash('responder private key').toString('hex'),
    responder_public_key: responder.publicKey.toString('hex'),
    responder_id: responder.id,
    shared: shared.toString('hex'),
    challenge: challenge.toString('hex'),
    challenge_response: challengeResponse(shared, challenge).toString('hex'),
    smsg_key: key.toString('hex'),
    smsg_nonce: nonce.toString('hex'),
    smsg_timestamp: timestamp,
    smsg_body: body,
    smsg_inner: smsgInner(body, timestamp),
    smsg_frame: smsgSeal(key, body, { nonce, timestamp }).toString('hex'),
  };
}

const text = `${JSON.stringify(makeVector(), null, 2)}\n`;
if (process.argv.includes('--check')) {
  if (readFileSync(VECTOR_FILE, 'utf8') !== text) {
    console.error(`${VECTOR_FILE} differs from what the generator makes`);
    process.exit(1);
  }
  console.log('vector ok');
} else {
  writeFileSync(VECTOR_FILE, text);
  console.log(`wrote ${VECTOR_FILE}`);
}
