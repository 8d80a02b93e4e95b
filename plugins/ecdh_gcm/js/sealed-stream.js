// sealed-stream.js: client for the sealed ECDH-GCM session scheme on /stream (PROTOCOLS.md §1),
// wire-compatible with IGNIS. One ES module with no dependencies: only WebCrypto
// (globalThis.crypto.subtle), so the same file runs in browsers and in Node >= 20.
//
//   import { connect } from './sealed-stream.js';
//   const s = await connect('wss://host/stream', { token });   // Node: also { WebSocket } from 'ws'
//   s.on('chat', (data) => …); await s.join('lobby'); await s.send('chat', { room: 'lobby', text });

export const DEFAULT_HKDF_INFO = 'ignis-ecdh-p256-aes-256-gcm-v1';
const CURVE = { name: 'ECDH', namedCurve: 'P-256' };
const IV_BYTES = 12;
const TAG_BYTES = 16;
// PROTOCOLS.md §1.4: with random 96-bit IVs a key may seal at most 2^32 messages.
const MAX_SEALED_MESSAGES = 2 ** 32;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function subtle() {
  // Browsers expose crypto.subtle only in secure contexts (https:, or http: on localhost).
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('sealed-stream: WebCrypto is unavailable (serve the page over https or from localhost)');
  return s;
}

// Standard base64 without Buffer, so it works in browsers too. Chunks keep apply() under the
// engine's argument limit for large messages.
export function toBase64(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = '';
  for (let i = 0; i < view.length; i += 0x8000) binary += String.fromCharCode.apply(null, view.subarray(i, i + 0x8000));
  return btoa(binary);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function fromBase64(text) {
  if (typeof text !== 'string' || !BASE64.test(text)) throw new Error('sealed-stream: invalid base64');
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

// An ephemeral key pair per connection; the public key goes out as raw SEC1 (65 bytes), base64.
export async function generateKeyPair() {
  const pair = await subtle().generateKey(CURVE, false, ['deriveBits']);
  const raw = await subtle().exportKey('raw', pair.publicKey);
  return { privateKey: pair.privateKey, publicKey: toBase64(raw) };
}

// ECDH x-coordinate → HKDF-SHA-256(salt, info) → AES-256-GCM key. `extractable` exists for tests
// that compare the key bytes with a vector; sessions keep it false.
export async function deriveSessionKey({ privateKey, serverPublicKey, salt, info = DEFAULT_HKDF_INFO, extractable = false }) {
  const peer = await subtle().importKey('raw', fromBase64(serverPublicKey), CURVE, false, []);
  const shared = await subtle().deriveBits({ name: 'ECDH', public: peer }, privateKey, 256);
  const ikm = await subtle().importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  return subtle().deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: fromBase64(salt), info: encoder.encode(info) },
    ikm, { name: 'AES-GCM', length: 256 }, extractable, ['encrypt', 'decrypt']);
}

// Seals one inner event (a JSON string) into the `encrypted` event's data {iv, ct}. The iv
// parameter lets tests reproduce a fixed vector; real callers never pass one (an IV must not repeat).
export async function sealText(key, text, iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES))) {
  const ct = await subtle().encrypt({ name: 'AES-GCM', iv, tagLength: TAG_BYTES * 8 }, key, encoder.encode(text));
  return { iv: toBase64(iv), ct: toBase64(ct) };
}

export async function openText(key, { iv, ct } = {}) {
  const ivBytes = fromBase64(iv);
  const ctBytes = fromBase64(ct);
  if (ivBytes.length !== IV_BYTES || ctBytes.length < TAG_BYTES) throw new Error('sealed-stream: malformed encrypted event');
  const plain = await subtle().decrypt({ name: 'AES-GCM', iv: ivBytes, tagLength: TAG_BYTES * 8 }, key, ctBytes);
  return decoder.decode(plain);
}

function parseEvent(text) {
  try {
    const message = JSON.parse(text);
    return message && typeof message === 'object' && typeof message.event === 'string' ? message : null;
  } catch {
    return null;
  }
}

function describeClose(code, reason) {
  return `close ${code}${reason ? ` "${reason}"` : ''}`;
}

export async function connect(url, {
  token,
  WebSocket: Socket = globalThis.WebSocket,
  heartbeatInterval = 30000,
  hkdfInfo = DEFAULT_HKDF_INFO,
  encrypt = true,
  timeout = 10000,
} = {}) {
  if (typeof Socket !== 'function') throw new Error('sealed-stream: no WebSocket class (in Node pass { WebSocket } from "ws")');
  const keyPair = encrypt ? await generateKeyPair() : null;

  const listeners = new Map();
  let key = null;          // AES-GCM CryptoKey once `connected` arrives (null: plaintext session)
  let sealedCount = 0;
  let outbound = Promise.resolve();  // sends are chained so frames leave in call order
  let inbound = Promise.resolve();   // so are receives: decryption is async and must not reorder
  let heartbeatTimer = null;
  let session = null;

  const socket = new Socket(url);
  let resolveClosed;
  const closed = new Promise((resolve) => { resolveClosed = resolve; });

  function dispatch(event, data) {
    for (const fn of [...(listeners.get(event) ?? [])]) {
      // A throwing listener must not stop the others or the receive chain; rethrow it outside.
      try { fn(data); } catch (err) { setTimeout(() => { throw err; }); }
    }
  }

  async function transmit(event, data) {
    if (socket.readyState !== 1) throw new Error('sealed-stream: socket is not open');
    const inner = JSON.stringify({ event, data });
    if (!key) {
      socket.send(inner);
      return;
    }
    if (++sealedCount > MAX_SEALED_MESSAGES) throw new Error('sealed-stream: session key exhausted, reconnect');
    socket.send(JSON.stringify({ event: 'encrypted', data: await sealText(key, inner) }));
  }

  function send(event, data) {
    const job = outbound.then(() => transmit(event, data));
    outbound = job.catch(() => {});
    return job;
  }

  async function receive(text) {
    const message = parseEvent(text);
    if (!message) {
      dispatch('error', { message: 'Invalid message from server', code: 'invalid_message_format' });
    } else if (message.event === 'error') {
      dispatch('error', message.data);
    } else if (message.event === 'encrypted' && key) {
      let inner;
      try {
        inner = parseEvent(await openText(key, message.data));
      } catch {
        inner = null;
      }
      if (!inner) {
        // Mirrors the server: a frame that does not open means the session cannot be trusted.
        dispatch('error', { message: 'Decryption failed', code: 'decrypt_failed' });
        socket.close(4003, 'Decryption failed');
        return;
      }
      dispatch(inner.event, inner.data);
    } else if (key) {
      // Plaintext app events are refused on an encrypted session: anyone on the path could forge them.
      dispatch('error', { message: `Plaintext "${message.event}" event on an encrypted session`, code: 'unexpected_plaintext' });
    } else {
      dispatch(message.event, message.data);
    }
  }

  const connected = new Promise((resolve, reject) => {
    let serverError = null;
    let settled = false;
    const fail = (text, extra = {}) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(Object.assign(new Error(`sealed-stream: ${text}`), extra));
      if (socket.readyState <= 1) socket.close();
    };
    const timer = setTimeout(() => fail(`no "connected" within ${timeout} ms`), timeout);

    async function handshake(text) {
      const message = parseEvent(text);
      if (message?.event === 'error') {
        // The server closes right after a refusal; wait briefly for that close to report its code.
        serverError = message.data ?? {};
        setTimeout(() => fail(`server refused: ${serverError.message}`, { code: serverError.code }), 1000);
        return;
      }
      if (message?.event !== 'connected') return;  // nothing else is expected before `connected`
      const data = message.data ?? {};
      if (keyPair) {
        if (!data.serverPublicKey || !data.salt) return fail('server sent no key (is encryption off on the server?)');
        try {
          key = await deriveSessionKey({ privateKey: keyPair.privateKey, serverPublicKey: data.serverPublicKey, salt: data.salt, info: hkdfInfo });
        } catch (err) {
          return fail(`key agreement failed: ${err.message}`);
        }
      }
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session = makeSession(data);
      if (heartbeatInterval > 0) heartbeatTimer = setInterval(() => send('heartbeat').catch(() => {}), heartbeatInterval);
      resolve(session);
    }

    socket.addEventListener('open', () => {
      const auth = { type: 'Bearer', token: token ?? '' };
      if (keyPair) auth.clientPublicKey = keyPair.publicKey;
      socket.send(JSON.stringify({ event: 'authenticate', data: auth }));
    });
    socket.addEventListener('message', ({ data }) => {
      if (typeof data !== 'string') return;  // the scheme uses text frames only
      inbound = inbound.then(() => (session ? receive(data) : handshake(data))).catch(() => {});
    });
    // An 'error' listener is required: the `ws` package throws on unhandled error events. The
    // close event that follows carries what the caller needs.
    socket.addEventListener('error', () => {});
    socket.addEventListener('close', ({ code, reason }) => {
      clearInterval(heartbeatTimer);
      key = null;
      resolveClosed({ code, reason });
      if (serverError) {
        fail(`server refused: ${serverError.message} (${describeClose(code, reason)})`, { code: serverError.code, closeCode: code });
      } else {
        fail(`connection closed before "connected" (${describeClose(code, reason)})`, { closeCode: code });
      }
    });
  });

  function makeSession(data) {
    return {
      id: data.id,
      userId: data.userId,
      encrypted: key !== null,
      send,
      on(event, fn) {
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event).add(fn);
        return this;
      },
      off(event, fn) {
        listeners.get(event)?.delete(fn);
        return this;
      },
      join: (...rooms) => send('join', { rooms }),
      leave: (...rooms) => send('leave', { rooms }),
      close(code = 1000, reason = '') {
        clearInterval(heartbeatTimer);
        // Let queued sends leave first, then close.
        outbound.then(() => { if (socket.readyState <= 1) socket.close(code, reason); });
        return closed;
      },
      closed,
    };
  }

  return connected;
}
