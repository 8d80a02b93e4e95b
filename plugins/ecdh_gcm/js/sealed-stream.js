// sealed-stream.js: client for the sealed ECDH-GCM session scheme on /stream (PROTOCOLS.md §1),
// wire-compatible with IGNIS. One ES module with no dependencies: only WebCrypto
// (globalThis.crypto.subtle), so the same file runs in browsers and in Node >= 20.
//
//   import { connect } from './sealed-stream.js';
//   const s = await connect('wss://host/stream', { token });   // Node: also { WebSocket } from 'ws'
//   s.on('chat', (data) => …); await s.join('lobby'); await s.send('chat', { room: 'lobby', text });
//   s.on('reconnecting', ({ attempt, delayMs, code }) => …); s.on('reconnected', ({ attempts }) => …);
//
// A session outlives its socket: when the connection drops (a server restart, a network change)
// the client reconnects with backoff and jitter, runs a new handshake (new key pair, new session
// key, new client id), joins the app's rooms again, and emits `reconnecting`/`reconnected`
// (docs/schemes/ecdh_gcm.md, "The JS client").

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

// --- bearer token in the upgrade ------------------------------------------------------------
// Browsers cannot set Authorization on a WebSocket, so the token travels as a second
// subprotocol; the server echoes only SUBPROTOCOL, never the token.
export const SUBPROTOCOL = 'sealed.v1';
export const BEARER_PREFIX = 'sealed.bearer.';
// RFC 7230 §3.2.6 tchar: what a Sec-WebSocket-Protocol value may hold. base64url and JWTs fit;
// standard base64 does not ('/' and '=' are not token characters).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// The subprotocol list for `bearer`; throws a TypeError (never quoting the token) when it cannot go in a header.
export function bearerProtocols(token) {
  if (typeof token !== 'string' || !TOKEN.test(token)) {
    throw new TypeError('sealed-stream: bearer must be a non-empty string of RFC 7230 token characters ' +
      "(letters, digits and !#$%&'*+-.^_`|~: base64url or a JWT fits, standard base64's '/' and '=' do not)");
  }
  return [SUBPROTOCOL, BEARER_PREFIX + token];
}

// --- reconnecting ---------------------------------------------------------------------------
// The C++ client's reconnect_policy (framework/include/sealed/config.hpp), in milliseconds, plus
// the close codes after which coming back cannot help (see stopCodes in the docs):
//   1000 the server ended the session on purpose;  1002 protocol error (the same bytes would be
//   refused again);  1008 policy (authentication, send queue, handshake timeout);  4003
//   authentication failed / invalid key;  4004 encryption required (client and server disagree).
// A 4003 that followed a `decrypt_failed` error is a frame corrupted on the way: a new key fixes
// that, so it reconnects. Everything else (1001 shutdown, 1006 dropped, 1011, 1012, 4001, 4002…)
// reconnects.
export const RECONNECT_DEFAULTS = Object.freeze({
  initialDelay: 100,
  maxDelay: 30000,
  factor: 2,
  jitter: 0.2,          // ± this fraction of each delay
  resetAfter: 10000,    // a session that lasted this long starts the delays over
  maxAttempts: Infinity, // per outage; then the session closes with the last failure
  stopCodes: Object.freeze([1000, 1002, 1008, 4003, 4004]),
});

function reconnectPolicy(option) {
  if (option === false) return null;
  if (option === true || option === undefined) return RECONNECT_DEFAULTS;
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new TypeError('sealed-stream: reconnect must be true, false or an object of policy settings');
  }
  const unknown = Object.keys(option).filter((name) => !Object.hasOwn(RECONNECT_DEFAULTS, name));
  if (unknown.length) throw new TypeError(`sealed-stream: unknown reconnect setting(s): ${unknown.join(', ')}`);
  const p = { ...RECONNECT_DEFAULTS, ...option };
  const bad = (name, rule) => { throw new RangeError(`sealed-stream: reconnect.${name} must be ${rule} (got ${String(p[name])})`); };
  const finite = (v) => typeof v === 'number' && Number.isFinite(v);
  if (!finite(p.initialDelay) || p.initialDelay < 0) bad('initialDelay', 'a number >= 0');
  if (!finite(p.maxDelay) || p.maxDelay < p.initialDelay) bad('maxDelay', 'a number >= initialDelay');
  if (!finite(p.factor) || p.factor < 1) bad('factor', 'a number >= 1');
  if (!finite(p.jitter) || p.jitter < 0 || p.jitter >= 1) bad('jitter', 'a number in [0, 1)');
  if (!finite(p.resetAfter) || p.resetAfter < 0) bad('resetAfter', 'a number >= 0');
  if (!(p.maxAttempts === Infinity || (Number.isInteger(p.maxAttempts) && p.maxAttempts >= 1))) bad('maxAttempts', 'an integer >= 1 or Infinity');
  if (!Array.isArray(p.stopCodes) || !p.stopCodes.every(Number.isInteger)) bad('stopCodes', 'an array of close codes');
  return Object.freeze({ ...p, stopCodes: Object.freeze([...p.stopCodes]) });
}

// The waits between attempts: exponential from initialDelay, capped at maxDelay, each jittered by
// ±jitter (so a wait may reach maxDelay × (1 + jitter)), started over after a session that lasted
// resetAfter. `random` is there for tests.
export function createBackoff(policy = RECONNECT_DEFAULTS, random = Math.random) {
  let delay = policy.initialDelay;
  return {
    next() {
      const wait = Math.round(delay * (1 - policy.jitter + 2 * policy.jitter * random()));
      delay = Math.min(policy.maxDelay, delay * policy.factor);
      return wait;
    },
    sessionEnded(lastedMs) {
      if (lastedMs >= policy.resetAfter) delay = policy.initialDelay;
    },
  };
}

// --- the session ----------------------------------------------------------------------------
export async function connect(url, {
  token,
  bearer,
  WebSocket: Socket = globalThis.WebSocket,
  heartbeatInterval = 30000,
  hkdfInfo = DEFAULT_HKDF_INFO,
  encrypt = true,
  timeout = 10000,
  reconnect = true,
} = {}) {
  if (typeof Socket !== 'function') throw new Error('sealed-stream: no WebSocket class (in Node pass { WebSocket } from "ws")');
  const protocols = bearer == null ? null : bearerProtocols(bearer);
  const policy = reconnectPolicy(reconnect);
  const stopCodes = new Set(policy?.stopCodes ?? []);
  const backoff = policy ? createBackoff(policy) : null;

  const listeners = new Map();
  const rooms = new Set();    // the rooms the app joined (and did not leave): joined again after a reconnect
  let link = null;            // the established connection; null while reconnecting and once closed
  let attempting = null;      // a connection whose handshake is in progress
  let state = 'connecting';   // then 'open' | 'reconnecting' | 'closing' | 'closed'
  let info = {};              // the `connected` data of the latest connection
  let outbound = Promise.resolve();  // sends are chained so frames leave in call order
  let closeRequest = null;    // {code, reason} once the app called close()
  let waitTimer = null;
  let wake = null;            // ends a backoff wait early (close())
  let resolveClosed;
  const closed = new Promise((resolve) => { resolveClosed = resolve; });

  function dispatch(event, data) {
    for (const fn of [...(listeners.get(event) ?? [])]) {
      // A throwing listener must not stop the others or the receive chain; rethrow it outside.
      try { fn(data); } catch (err) { setTimeout(() => { throw err; }); }
    }
  }

  function notConnected() {
    const over = state === 'closed' || state === 'closing';
    return Object.assign(new Error(over
      ? 'sealed-stream: the session is closed; the message was not sent'
      : 'sealed-stream: not connected (reconnecting); the message was not sent'), { code: over ? 'closed' : 'not_connected' });
  }

  async function transmit(event, data) {
    const current = link;
    if (!current || current.socket.readyState !== 1) throw notConnected();
    const inner = JSON.stringify({ event, data });
    if (!current.key) {
      current.socket.send(inner);
      return;
    }
    if (++current.sealedCount > MAX_SEALED_MESSAGES) throw new Error('sealed-stream: session key exhausted, reconnect');
    const sealed = await sealText(current.key, inner);
    // The connection may have dropped while this was sealed: say so rather than lose the frame.
    if (link !== current || current.socket.readyState !== 1) throw notConnected();
    current.socket.send(JSON.stringify({ event: 'encrypted', data: sealed }));
  }

  function send(event, data) {
    const job = outbound.then(() => transmit(event, data));
    outbound = job.catch(() => {});
    return job;
  }

  async function receive(current, text) {
    const message = parseEvent(text);
    if (!message) {
      dispatch('error', { message: 'Invalid message from server', code: 'invalid_message_format' });
    } else if (message.event === 'error') {
      current.lastErrorCode = message.data?.code ?? null;
      dispatch('error', message.data);
    } else if (message.event === 'encrypted' && current.key) {
      let inner;
      try {
        inner = parseEvent(await openText(current.key, message.data));
      } catch {
        inner = null;
      }
      if (!inner) {
        // Mirrors the server: a frame that does not open means the session cannot be trusted.
        // The reconnect that follows (if on) derives a new key.
        current.lastErrorCode = 'decrypt_failed';
        dispatch('error', { message: 'Decryption failed', code: 'decrypt_failed' });
        current.socket.close(4003, 'Decryption failed');
        return;
      }
      dispatch(inner.event, inner.data);
    } else if (current.key) {
      // Plaintext app events are refused on an encrypted session: anyone on the path could forge them.
      dispatch('error', { message: `Plaintext "${message.event}" event on an encrypted session`, code: 'unexpected_plaintext' });
    } else {
      dispatch(message.event, message.data);
    }
  }

  // One connection: a new socket, a new key pair, the authenticate/connected handshake. Resolves
  // once `connected` is in and `up(connection)` has adopted it; rejects with an Error carrying
  // `code` (the server's error code), `closeCode`, and `final` when retrying cannot help.
  async function openConnection(up) {
    const keyPair = encrypt ? await generateKeyPair() : null;
    if (state === 'closed') throw Object.assign(new Error('sealed-stream: the session is closed'), { code: 'closed' });
    const socket = protocols ? new Socket(url, protocols) : new Socket(url);
    const current = { socket, key: null, sealedCount: 0, heartbeatTimer: null, inbound: Promise.resolve(),
      established: false, openedAt: 0, lastErrorCode: null };
    attempting = current;
    try {
      return await new Promise((resolve, reject) => {
        let serverError = null;
        let settled = false;
        let opened = false;
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
            setTimeout(() => fail(`server refused: ${serverError.message}`, { code: serverError.code, final: true }), 1000);
            return;
          }
          if (message?.event !== 'connected') return;  // nothing else is expected before `connected`
          const data = message.data ?? {};
          if (keyPair) {
            if (!data.serverPublicKey || !data.salt) return fail('server sent no key (is encryption off on the server?)', { final: true });
            try {
              current.key = await deriveSessionKey({ privateKey: keyPair.privateKey, serverPublicKey: data.serverPublicKey, salt: data.salt, info: hkdfInfo });
            } catch (err) {
              return fail(`key agreement failed: ${err.message}`, { final: true });
            }
          }
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          current.established = true;
          current.openedAt = Date.now();
          if (!up(current, data)) {
            // close() was called while this handshake ran.
            socket.close();
            return reject(Object.assign(new Error('sealed-stream: the session is closed'), { code: 'closed' }));
          }
          resolve(current);
        }

        socket.addEventListener('open', () => {
          opened = true;
          if (protocols && socket.protocol !== SUBPROTOCOL) {
            return fail(`the server answered the bearer upgrade with subprotocol "${socket.protocol}", expected "${SUBPROTOCOL}"`,
              { code: 'subprotocol_mismatch', final: true });
          }
          const auth = { type: 'Bearer', token: token ?? '' };
          if (keyPair) auth.clientPublicKey = keyPair.publicKey;
          socket.send(JSON.stringify({ event: 'authenticate', data: auth }));
        });
        socket.addEventListener('message', ({ data }) => {
          if (typeof data !== 'string') return;  // the scheme uses text frames only
          current.inbound = current.inbound.then(() => (current.established ? receive(current, data) : handshake(data))).catch(() => {});
        });
        // An 'error' listener is required: the `ws` package throws on unhandled error events. The
        // close event that follows carries what the caller needs.
        socket.addEventListener('error', () => {});
        socket.addEventListener('close', ({ code, reason }) => {
          if (current.established) {
            // After the frames received before it, so that an `error` saying why is seen first.
            current.inbound = current.inbound.then(() => connectionClosed(current, code, reason));
            return;
          }
          if (serverError) {
            fail(`server refused: ${serverError.message} (${describeClose(code, reason)})`,
              { code: serverError.code, closeCode: code });
          } else {
            // A browser reports a refused upgrade (a 401 for the token, no sealed.v1 in the answer) only as 1006.
            const hint = protocols && !opened ? '; with bearer, the server must accept the token and answer with the sealed.v1 subprotocol' : '';
            fail(`connection closed before "connected" (${describeClose(code, reason)})${hint}`, { closeCode: code });
          }
        });
      });
    } finally {
      if (attempting === current) attempting = null;
    }
  }

  // Makes an established connection the session's: heartbeats, and the app's rooms joined again
  // before anything the app sends next.
  function adopt(current, data) {
    if (state === 'closed' || closeRequest) return false;
    link = current;
    info = data;
    state = 'open';
    if (heartbeatInterval > 0) current.heartbeatTimer = setInterval(() => send('heartbeat').catch(() => {}), heartbeatInterval);
    if (rooms.size) send('join', { rooms: [...rooms] }).catch(() => {});
    return true;
  }

  function finish(result) {
    if (state === 'closed') return;
    state = 'closed';
    link = null;
    clearTimeout(waitTimer);
    wake?.();
    resolveClosed(result);
  }

  function connectionClosed(current, code, reason) {
    clearInterval(current.heartbeatTimer);
    if (link === current) link = null;
    if (state === 'closed') return;
    if (closeRequest || !policy) return finish({ code, reason });
    backoff.sessionEnded(Date.now() - current.openedAt);
    const corrupted = current.lastErrorCode === 'decrypt_failed';
    if (stopCodes.has(code) && !corrupted) return finish({ code, reason });
    reconnectLoop({ code, reason });
  }

  async function reconnectLoop(cause) {
    state = 'reconnecting';
    let last = cause;
    for (let attempt = 1; ; attempt++) {
      if (attempt > policy.maxAttempts) {
        dispatch('error', { message: `Gave up reconnecting after ${attempt - 1} attempt(s)`, code: 'reconnect_failed' });
        return finish(last);
      }
      const delayMs = backoff.next();
      dispatch('reconnecting', { attempt, delayMs, code: last.code, reason: last.reason });
      if (state === 'closed') return;  // a listener called close()
      await new Promise((resolve) => { wake = resolve; waitTimer = setTimeout(resolve, delayMs); });
      wake = null;
      if (state === 'closed') return;
      try {
        await openConnection((current, data) => {
          if (!adopt(current, data)) return false;
          dispatch('reconnected', { attempts: attempt });
          return true;
        });
        return;
      } catch (err) {
        if (state === 'closed') return;
        // No close code: the attempt timed out, or the socket never opened.
        last = { code: err.closeCode ?? 1006, reason: err.message };
        if (err.final || stopCodes.has(err.closeCode)) {
          dispatch('error', { message: err.message, code: err.code ?? 'reconnect_refused' });
          return finish(last);
        }
      }
    }
  }

  const session = {
    get id() { return info.id; },
    get userId() { return info.userId; },
    encrypted: encrypt,
    // 'open', 'reconnecting', 'closing' (close() called, waiting for the close) or 'closed'.
    get state() { return state; },
    // The rooms the app joined and did not leave (what a reconnect joins again).
    get rooms() { return [...rooms]; },
    // Rejects while disconnected ({code: 'not_connected'}) or closed ({code: 'closed'}): nothing is queued.
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
    // Rooms are state rather than messages: join/leave update the set at once; while connected the
    // server is told now, while reconnecting the re-join after the reconnect carries it.
    join(...names) {
      if (state === 'closed' || closeRequest) return Promise.reject(notConnected());
      for (const name of names) rooms.add(name);
      return link ? send('join', { rooms: names }).catch(keptForRejoin) : Promise.resolve();
    },
    leave(...names) {
      if (state === 'closed' || closeRequest) return Promise.reject(notConnected());
      for (const name of names) rooms.delete(name);
      return link ? send('leave', { rooms: names }).catch(keptForRejoin) : Promise.resolve();
    },
    // Ends the session for good: no reconnect. Queued sends leave first. Resolves `closed`.
    close(code = 1000, reason = '') {
      if (state === 'closed' || closeRequest) return closed;
      closeRequest = { code, reason };
      clearInterval(link?.heartbeatTimer);
      if (link) {
        const current = link;
        state = 'closing';
        outbound.then(() => { if (current.socket.readyState <= 1) current.socket.close(code, reason); });
      } else {
        // Reconnecting: end the wait, abandon an attempt in progress.
        const pending = attempting;
        finish({ code, reason });
        if (pending && pending.socket.readyState <= 1) {
          try { pending.socket.close(code, reason); } catch { pending.socket.close(); }
        }
      }
      return closed;
    },
    // Resolves {code, reason} when the session has ended for good: close(), a close code in
    // stopCodes, reconnect off, or maxAttempts used up.
    closed,
  };

  // A join/leave whose connection dropped before it left is carried by the re-join.
  function keptForRejoin(err) {
    if (err?.code !== 'not_connected') throw err;
  }

  try {
    await openConnection(adopt);
  } catch (err) {
    state = 'closed';
    throw err;
  }
  return session;
}
