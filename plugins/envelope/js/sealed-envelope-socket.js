// sealed-envelope-socket.js: the envelope scheme's WebSocket client (docs/schemes/envelope.md,
// "The JS client"), beside sealed-envelope.js, whose sealing it uses. No dependencies: browsers
// and Node >= 20 (pass { WebSocket } from 'ws').
//   import { connectSocket } from './sealed-envelope-socket.js';
//   const socket = await connectSocket('wss://host/api/echo', jwks.keys[0]);
//   const { json: reply } = await socket.request({ hello: 'world' });
//   socket.on('reconnecting', ({ attempt, delayMs, code }) => …).on('reconnected', ({ attempts }) => …);
//   await socket.close();
// The socket comes back after a server restart (backoff and jitter, as sealed-stream.js); requests
// are never queued across it.
import { EnvelopeError, parseJsonBytes, pickKey, sealRequest } from './sealed-envelope.js';

// --- WebSocket -----------------------------------------------------------------------------------

// Reconnecting: the policy of sealed-stream.js (docs/schemes/ecdh_gcm.md, "Reconnecting"), i.e. the
// C++ client's reconnect_policy, in ms. Close codes in stopCodes end the socket for good: 1000 (the
// server ended it on purpose), 1002 (protocol error), 1008 (policy), 4003/4004 (kept for parity).
export const RECONNECT_DEFAULTS = Object.freeze({
  initialDelay: 100,
  factor: 2,
  maxDelay: 30000,
  jitter: 0.2,            // each wait × a random factor in [1 − jitter, 1 + jitter]
  resetAfter: 10000,      // a connection that lasted this long starts the waits over
  maxAttempts: Infinity,  // per outage
  stopCodes: Object.freeze([1000, 1002, 1008, 4003, 4004]),
});

function reconnectPolicy(option) {
  if (option === false) return null;
  if (option === true || option === undefined) return RECONNECT_DEFAULTS;
  if (!option || typeof option !== 'object' || Array.isArray(option)) throw new TypeError('sealed-envelope: reconnect must be true, false or an object');
  const unknown = Object.keys(option).filter((name) => !Object.hasOwn(RECONNECT_DEFAULTS, name));
  if (unknown.length) throw new TypeError(`sealed-envelope: unknown reconnect setting(s): ${unknown.join(', ')}`);
  const p = { ...RECONNECT_DEFAULTS, ...option };
  const num = (v, min) => typeof v === 'number' && Number.isFinite(v) && v >= min;
  const rules = {
    initialDelay: [num(p.initialDelay, 0), 'a number >= 0'],
    maxDelay: [num(p.maxDelay, p.initialDelay), 'a number >= initialDelay'],
    factor: [num(p.factor, 1), 'a number >= 1'],
    jitter: [num(p.jitter, 0) && p.jitter < 1, 'a number in [0, 1)'],
    resetAfter: [num(p.resetAfter, 0), 'a number >= 0'],
    maxAttempts: [p.maxAttempts === Infinity || (Number.isInteger(p.maxAttempts) && p.maxAttempts >= 1), 'an integer >= 1 or Infinity'],
    stopCodes: [Array.isArray(p.stopCodes) && p.stopCodes.every(Number.isInteger), 'an array of close codes'],
  };
  for (const [name, [ok, rule]] of Object.entries(rules)) {
    if (!ok) throw new RangeError(`sealed-envelope: reconnect.${name} must be ${rule} (got ${String(p[name])})`);
  }
  return Object.freeze({ ...p, stopCodes: Object.freeze([...p.stopCodes]) });
}

// The waits between attempts: initialDelay × factor^n up to maxDelay, each jittered, started over
// after a connection that lasted resetAfter. The same few lines as sealed-stream.js's on purpose:
// the two modules are served separately and share no code, so this one is duplicated (keep the
// two in step). `random` is for tests.
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

// The sealed request behind a socket_closed or timeout error (sent, never answered): resend(err).
const unanswered = new WeakMap();

const describeClose = (code, reason) => `${code}${reason ? ` "${reason}"` : ''}`;

// Opens a WebSocket to an API route (`wss://host/api/echo`); each request(json) sends one sealed
// envelope as a text frame and resolves {json} with the opened reply (replies come in request
// order), or rejects with the refusal — the socket stays usable. A reply that does not come within
// `requestTimeout` closes the connection (later replies could no longer be matched). Unless
// `reconnect: false`, a connection that ends without close() is opened again with backoff (no
// handshake: every request is self-contained); see docs/schemes/envelope.md, "The JS client".
export function connectSocket(url, jwk, {
  WebSocket: Socket = globalThis.WebSocket,
  timeout = 10000,
  requestTimeout = 30000,
  reconnect = true,
} = {}) {
  if (typeof Socket !== 'function') throw new Error('sealed-envelope: no WebSocket class (in Node 20 pass { WebSocket } from "ws")');
  const key = pickKey(jwk);
  const policy = reconnectPolicy(reconnect);
  const backoff = policy && createBackoff(policy);
  const listeners = new Map();
  let link = null;            // the open connection { socket, pending, openedAt, timedOut }
  let attempt = null;         // a connection being opened
  let state = 'connecting';   // then 'open' | 'reconnecting' | 'closing' | 'closed'
  let closeRequest = null;    // {code, reason} once the app called close()
  let outbound = Promise.resolve();  // seal+send chained, so frames leave in call order
  let waitTimer = null;
  let wake = null;            // ends a backoff wait early (close())
  let resolveClosed;
  const closed = new Promise((done) => { resolveClosed = done; });

  function emit(event, data) {
    for (const fn of [...(listeners.get(event) ?? [])]) {
      try { fn(data); } catch (err) { setTimeout(() => { throw err; }); }  // not the other listeners' problem
    }
  }

  // One socket. Resolves the connection once open; rejects (timeout, or socket_closed with
  // closeCode) if it never opens. Once open, its close goes to dropped().
  function open() {
    return new Promise((resolve, reject) => {
      const socket = new Socket(url);
      const current = { socket, pending: [], openedAt: 0, timedOut: false };
      let settled = false;
      attempt = current;
      const timer = setTimeout(() => {
        settled = true;
        reject(Object.assign(new EnvelopeError('timeout', `sealed-envelope: ${url} did not open within ${timeout} ms`), { closeCode: 1006 }));
        socket.close();
      }, timeout);
      socket.addEventListener('open', () => {
        clearTimeout(timer);
        if (attempt === current) attempt = null;
        if (settled) return socket.close();
        settled = true;
        current.openedAt = Date.now();
        resolve(current);
      });
      socket.addEventListener('message', ({ data }) => {
        const entry = current.pending.shift();
        if (!entry) return;  // nothing was asked: not a reply
        clearTimeout(entry.timer);
        if (typeof data !== 'string') {
          entry.reject(new EnvelopeError('malformed_response', 'sealed-envelope: a binary frame is not a reply'));
          return;
        }
        entry.sealed.openResponse(data).then((bytes) => entry.resolve({ json: parseJsonBytes(bytes) }), entry.reject);
      });
      // The `ws` package throws on unhandled error events; the close event that follows reports.
      socket.addEventListener('error', () => {});
      socket.addEventListener('close', ({ code, reason }) => {
        clearTimeout(timer);
        if (attempt === current) attempt = null;
        if (current.openedAt) return dropped(current, code, reason);
        if (settled) return;
        settled = true;
        reject(Object.assign(new EnvelopeError('socket_closed', `sealed-envelope: socket closed (${describeClose(code, reason)})`),
          { closeCode: code }));
      });
    });
  }

  function finish(result) {
    if (state === 'closed') return;
    state = 'closed';
    link = null;
    clearTimeout(waitTimer);
    wake?.();
    resolveClosed(result);
  }

  // An open connection ended: its unanswered requests fail (their replies can never be matched),
  // then the socket is over, or comes back.
  function dropped(current, code, reason) {
    if (link === current) link = null;
    for (const entry of current.pending.splice(0)) {
      clearTimeout(entry.timer);
      const err = new EnvelopeError('socket_closed', `sealed-envelope: socket closed (${describeClose(code, reason)})`);
      unanswered.set(err, entry.sealed);
      entry.reject(err);
    }
    if (state === 'closed') return;
    if (closeRequest || !policy) return finish({ code, reason });
    backoff.sessionEnded(Date.now() - current.openedAt);
    // Our own close after a reply timeout is 1000 but not the server's decision: come back.
    if (policy.stopCodes.includes(code) && !current.timedOut) return finish({ code, reason });
    reconnectLoop({ code, reason });
  }

  async function reconnectLoop(cause) {
    state = 'reconnecting';
    let last = cause;
    for (let n = 1; ; n++) {
      if (n > policy.maxAttempts) {
        emit('error', { code: 'reconnect_failed', message: `sealed-envelope: gave up reconnecting after ${n - 1} attempt(s)` });
        return finish(last);
      }
      const delayMs = backoff.next();
      emit('reconnecting', { attempt: n, delayMs, code: last.code, reason: last.reason });
      if (state !== 'reconnecting') return;  // a listener called close()
      await new Promise((done) => { wake = done; waitTimer = setTimeout(done, delayMs); });
      wake = null;
      if (state !== 'reconnecting') return;
      let current;
      try {
        current = await open();
      } catch (err) {
        // Before an upgrade there is no close code: a refused or timed-out attempt is 1006.
        last = { code: err.closeCode ?? 1006, reason: err.message };
        continue;
      }
      if (state !== 'reconnecting') return current.socket.close();
      link = current;
      state = 'open';
      emit('reconnected', { attempts: n });
      return;
    }
  }

  // Requests fail at once when no connection is open: nothing is queued for the next one.
  function unavailable() {
    return !policy || closeRequest || state === 'closed'
      ? new EnvelopeError('socket_closed', 'sealed-envelope: socket is not open')
      : new EnvelopeError('not_connected', 'sealed-envelope: not connected (reconnecting); the request was not sent');
  }

  function submit(seal) {
    if (closeRequest || state === 'closed') return Promise.reject(unavailable());
    let reply;
    const sent = outbound.then(async () => {
      const current = link;
      if (!current || current.socket.readyState !== 1) throw unavailable();
      const sealed = await seal();
      if (link !== current || current.socket.readyState !== 1) throw unavailable();
      reply = new Promise((resolve, reject) => {
        const entry = { sealed, resolve, reject };
        entry.timer = setTimeout(() => {
          const err = new EnvelopeError('timeout', `sealed-envelope: no reply within ${requestTimeout} ms`);
          unanswered.set(err, sealed);
          reject(err);
          for (const other of current.pending) clearTimeout(other.timer);  // they fail with the close
          current.timedOut = true;
          current.socket.close(1000, 'reply timeout');
        }, requestTimeout);
        current.pending.push(entry);
      });
      current.socket.send(sealed.body);
    });
    outbound = sent.catch(() => {});
    return sent.then(() => reply);
  }

  const socket = {
    // overrides: as sealRequest's, for tests only.
    request: (json, overrides) => submit(() => sealRequest(key, json, overrides)),
    // Sends again, byte for byte, the envelope of a request that failed socket_closed or timeout
    // after it was sent: the server runs it at most once (its nonce), see the docs for the limits.
    resend(err) {
      const sealed = unanswered.get(err);
      if (!sealed) return Promise.reject(new TypeError('sealed-envelope: resend() takes the error of a request that was sent and not answered'));
      return submit(async () => sealed);
    },
    // 'open', 'reconnecting', 'closing' (close() called) or 'closed'.
    get state() { return state; },
    on(event, fn) {
      (listeners.get(event) ?? listeners.set(event, new Set()).get(event)).add(fn);
      return socket;
    },
    off(event, fn) { listeners.get(event)?.delete(fn); return socket; },
    // Ends the socket for good. Queued requests leave first; replies still pending are rejected by
    // the close. Resolves `closed`.
    close(code = 1000, reason = '') {
      if (state === 'closed' || closeRequest) return closed;
      closeRequest = { code, reason };
      if (link) {
        const current = link;
        state = 'closing';
        outbound.then(() => { if (current.socket.readyState <= 1) current.socket.close(code, reason); });
      } else {
        const opening = attempt;  // reconnecting: end the wait, abandon an attempt in progress
        finish({ code, reason });
        if (opening) opening.socket.close();
      }
      return closed;
    },
    // Resolves {code, reason} once the socket has ended for good: close(), a stop code, reconnect
    // off, or maxAttempts used up.
    closed,
  };

  // The first connection is not retried: a wrong URL or route shows at once.
  return open().then((current) => { link = current; state = 'open'; return socket; },
    (err) => { state = 'closed'; throw err; });
}
