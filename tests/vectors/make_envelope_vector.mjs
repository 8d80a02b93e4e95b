#!/usr/bin/env node
// Builds tests/vectors/envelope.json: one sealed-envelope request and its sealed response
// (PROTOCOLS.md §2, docs/schemes/envelope.md), computed step by step with node:crypto
// only — not with plugins/envelope/js/sealed-envelope.js nor the reference server — so the JS
// module, the Node server and the C++ plugin are all checked against a third implementation.
// The file is also the worked example of the scheme: its sections follow the order of the work.
// Every fixed input is SHA-256 of a label, so the file is reproducible:
//   node tests/vectors/make_envelope_vector.mjs            rewrites the file
//   node tests/vectors/make_envelope_vector.mjs --check    prints "vector ok", or exits 1 if the file differs
import { createCipheriv, createECDH, createHash, createPrivateKey, hkdfSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const VECTOR_FILE = fileURLToPath(new URL('./envelope.json', import.meta.url));
// Order of the P-256 group: a private scalar must lie in [1, n-1].
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const REQUEST_INFO = 'sealed envelope v1 request';
const RESPONSE_INFO = 'sealed envelope v1 response';

const labelHash = (label) => createHash('sha256').update(`sealed/envelope test vector: ${label}`).digest();

function privateScalar(label) {
  const d = labelHash(label);
  const value = BigInt(`0x${d.toString('hex')}`);
  if (value === 0n || value >= P256_ORDER) throw new Error(`scalar for ${label} is out of range`);
  return d;
}

function aesGcm(key, iv, aad, plaintext) {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
}

export function makeVector() {
  // --- inputs ---------------------------------------------------------------------------------
  const serverPrivate = privateScalar('server private key');
  const ephemeralPrivate = privateScalar('ephemeral private key');
  const requestIv = labelHash('request iv').subarray(0, 12);
  const nonce = labelHash('nonce').subarray(0, 16);
  const ts = 1767225600000;  // 2026-01-01T00:00:00.000Z in ms
  // Non-ASCII on purpose: the plaintext is UTF-8.
  const requestPlaintext = '{"username":"alice","password":"correct hörse ✓ battery"}';
  const responseIv = labelHash('response iv').subarray(0, 12);
  const responsePlaintext = '{"ok":true,"username":"alice"}';

  // --- the server's long-term key, its JWK and kid (RFC 7638 thumbprint) ----------------------
  const server = createECDH('prime256v1');
  server.setPrivateKey(serverPrivate);
  const serverPublic = server.getPublicKey();  // 04 ‖ X ‖ Y
  const x = serverPublic.subarray(1, 33).toString('base64url');
  const y = serverPublic.subarray(33, 65).toString('base64url');
  const thumbprintInput = `{"crv":"P-256","kty":"EC","x":"${x}","y":"${y}"}`;
  const kid = createHash('sha256').update(thumbprintInput, 'utf8').digest('base64url');
  const jwk = { kty: 'EC', crv: 'P-256', x, y, kid, use: 'enc' };
  const pkcs8 = createPrivateKey({ key: { ...jwk, d: serverPrivate.toString('base64url') }, format: 'jwk' })
    .export({ type: 'pkcs8', format: 'pem' });

  // --- request: ECDH with a fresh ephemeral key, HKDF, AES-256-GCM -----------------------------
  const ephemeral = createECDH('prime256v1');
  ephemeral.setPrivateKey(ephemeralPrivate);
  const epk = ephemeral.getPublicKey();
  const shared = ephemeral.computeSecret(serverPublic);
  if (!shared.equals(server.computeSecret(epk))) throw new Error('ECDH mismatch');
  const requestKey = Buffer.from(hkdfSync('sha256', shared, epk, REQUEST_INFO, 32));
  const nonceB64 = nonce.toString('base64');
  const requestAad = `v1|${kid}|${ts}|${nonceB64}`;
  const requestCt = aesGcm(requestKey, requestIv, requestAad, requestPlaintext);
  // Written by hand in wire order; base64 needs no JSON escaping.
  const envelope = `{"v":1,"kid":"${kid}","epk":"${epk.toString('base64')}","iv":"${requestIv.toString('base64')}",`
    + `"ct":"${requestCt.toString('base64')}","ts":${ts},"nonce":"${nonceB64}"}`;

  // --- response: same shared secret, the other info, the request's AAD + "|response" ----------
  const responseKey = Buffer.from(hkdfSync('sha256', shared, epk, RESPONSE_INFO, 32));
  const responseAad = `${requestAad}|response`;
  const responseCt = aesGcm(responseKey, responseIv, responseAad, responsePlaintext);
  const responseBody = `{"v":1,"iv":"${responseIv.toString('base64')}","ct":"${responseCt.toString('base64')}"}`;

  return {
    description: 'Sealed envelope (PROTOCOLS.md §2, docs/schemes/envelope.md): one request to '
      + 'POST /api/login sealed to the server key, and its 200 response. Every fixed input is SHA-256 of '
      + '"sealed/envelope test vector: <label>" (cut to size). Encodings: b64 = standard base64 with padding, '
      + 'b64u = base64url without padding. Generated by tests/vectors/make_envelope_vector.mjs (node:crypto only).',
    inputs: {
      server_private_hex: serverPrivate.toString('hex'),
      ephemeral_private_hex: ephemeralPrivate.toString('hex'),
      ts,
      ts_iso: new Date(ts).toISOString(),
      nonce_hex: nonce.toString('hex'),
      request_iv_hex: requestIv.toString('hex'),
      request_path: '/api/login',
      request_plaintext: requestPlaintext,
      response_status: 200,
      response_iv_hex: responseIv.toString('hex'),
      response_plaintext: responsePlaintext,
    },
    server_key: {
      public_hex: serverPublic.toString('hex'),
      x_b64u: x,
      y_b64u: y,
      thumbprint_input: thumbprintInput,
      kid,
      jwk,
      jwks: JSON.stringify({ keys: [jwk] }),
      pkcs8_pem: pkcs8,
    },
    request: {
      epk_hex: epk.toString('hex'),
      epk_b64: epk.toString('base64'),
      shared_hex: shared.toString('hex'),
      hkdf_salt: 'the 65 epk bytes',
      info: REQUEST_INFO,
      key_hex: requestKey.toString('hex'),
      iv_b64: requestIv.toString('base64'),
      nonce_b64: nonceB64,
      aad: requestAad,
      plaintext_hex: Buffer.from(requestPlaintext, 'utf8').toString('hex'),
      ct_b64: requestCt.toString('base64'),
      envelope,
    },
    response: {
      info: RESPONSE_INFO,
      key_hex: responseKey.toString('hex'),
      iv_b64: responseIv.toString('base64'),
      aad: responseAad,
      ct_b64: responseCt.toString('base64'),
      body: responseBody,
    },
  };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (isMain) {
  const vector = makeVector();
  // The hand-written JSON texts are what JSON.stringify makes of the same fields in wire order.
  const r = vector.request;
  if (r.envelope !== JSON.stringify({ v: 1, kid: vector.server_key.kid, epk: r.epk_b64, iv: r.iv_b64, ct: r.ct_b64,
    ts: vector.inputs.ts, nonce: r.nonce_b64 })) throw new Error('envelope text is not in wire form');
  const text = `${JSON.stringify(vector, null, 2)}\n`;
  if (process.argv.includes('--check')) {
    let onDisk = null;
    try { onDisk = readFileSync(VECTOR_FILE, 'utf8'); } catch { /* missing: differs */ }
    if (onDisk !== text) {
      console.error(`${VECTOR_FILE} differs from what the generator makes`);
      process.exit(1);
    }
    console.log('vector ok');
  } else {
    writeFileSync(VECTOR_FILE, text);
    console.log(`wrote ${VECTOR_FILE}`);
  }
}
