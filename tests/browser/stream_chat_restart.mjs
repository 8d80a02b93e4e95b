#!/usr/bin/env node
// stream_chat_restart.mjs SERVER [SERVER_ARGS...]: the chat page survives a server restart.
// Starts SERVER SERVER_ARGS --listen 127.0.0.1:0 (stream_chat, or anything that serves the page
// and prints "listening on HOST:PORT" first), opens the page in two headless Chromium tabs
// (separate contexts), both join "lobby" and chat. Then, twice — SIGTERM (close 1001), then
// SIGKILL (no close frame: 1006) — it stops the server, lets the tabs retry against the closed
// port, starts it again on the SAME port, and checks that both tabs show `reconnecting` (attempt
// numbers and backoff delays as the policy says) then `reconnected`, are back in lobby, and
// chat both ways again, without a reload: same page, same log, a new WebSocket with a new
// handshake (new public key, new client id), and nothing but `encrypted` frames after
// `connected` on any socket. Prints one JSON line ({"ok":true,...}); exit 0 (pass) or 1 (fail);
// bounded to TOTAL_TIMEOUT_MS. Loopback only.
//   node tests/browser/stream_chat_restart.mjs build/bin/stream_chat --log-level warn
//   node tests/browser/stream_chat_restart.mjs "$(command -v node)" bench/peers/ecdh_gcm/server.mjs \
//        --static examples/stream_chat/web --static plugins/ecdh_gcm/js
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { launchChromium } from './chromium.mjs';
import { createInterface } from 'node:readline';


const TOTAL_TIMEOUT_MS = 60000;
const STEP_TIMEOUT_MS = 10000;
const DELIVERY_TIMEOUT_MS = 5000;
// sealed-stream.js's default policy (RECONNECT_DEFAULTS): what the page must show.
const POLICY = { initialDelay: 100, maxDelay: 30000, factor: 2, jitter: 0.2, resetAfter: 10000 };
// Attempts a tab must have made against the closed port before the server comes back.
const ATTEMPTS_WHILE_DOWN = 3;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- the server process ---------------------------------------------------------------------

// Whatever server process runs now: killed when this script exits, however it exits.
const running = new Set();
process.on('exit', () => { for (const proc of running) proc.kill('SIGKILL'); });

// Starts the server on `listen`; resolves { proc, port } once it prints "listening on H:P".
// A port still held by the previous process (EADDRINUSE) is retried for a while.
async function startServer(command, args, listen) {
  for (let tries = 0; ; tries++) {
    // stdout/stderr are pipes, not inherited: whoever reads this script's output to EOF must not
    // wait for the server.
    const proc = spawn(command, [...args, '--listen', listen], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    let stderr = '';
    proc.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-2000); });
    const lines = createInterface({ input: proc.stdout });
    const exited = once(proc, 'exit').then(([code, signal]) => ({ code, signal }));
    const first = await Promise.race([
      once(lines, 'line').then(([line]) => ({ line })),
      exited,
      sleep(STEP_TIMEOUT_MS).then(() => ({ timeout: true })),
    ]);
    const match = /^listening on (?:\[.*\]|[^:]+):(\d+)$/.exec(first.line ?? '');
    if (match) {
      lines.on('line', () => {});  // keep draining stdout
      return { proc, port: Number(match[1]), exited };
    }
    proc.kill('SIGKILL');
    if (first.line === undefined && !first.timeout && /address|in use|cannot listen/i.test(stderr) && tries < 50) {
      await sleep(100);
      continue;
    }
    throw new Error(`server did not start on ${listen}: ${first.timeout ? 'no "listening on" line' : JSON.stringify(first)} ${stderr.trim()}`);
  }
}

async function stopServer(server, signal) {
  if (server.proc.exitCode !== null || server.proc.signalCode !== null) return server.exited;
  server.proc.kill(signal);
  const result = await Promise.race([server.exited, sleep(STEP_TIMEOUT_MS).then(() => null)]);
  if (result) return result;
  server.proc.kill('SIGKILL');
  throw new Error(`server ignored ${signal} for ${STEP_TIMEOUT_MS} ms`);
}

// --- the tabs -------------------------------------------------------------------------------

// Keeps every text #status and #connection showed (from the mutation records, so two changes in
// one task are both seen), and marks the page so that a reload would show.
function recordHistory() {
  window.pageMark = Math.random().toString(36).slice(2);
  window.statusHistory = [];
  window.connectionHistory = [];
  document.addEventListener('DOMContentLoaded', () => {
    for (const [id, history] of [['status', window.statusHistory], ['connection', window.connectionHistory]]) {
      new MutationObserver((records) => {
        for (const r of records) for (const node of r.addedNodes) history.push({ text: node.textContent, at: Date.now() });
      }).observe(document.getElementById(id), { childList: true });
    }
  });
}

async function openTab(browser, baseUrl, label) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const tab = { label, page, sockets: [], pageErrors: [], navigations: 0 };
  page.on('pageerror', (err) => tab.pageErrors.push(err.message));
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) tab.navigations++; });
  page.on('websocket', (ws) => {
    const socket = { url: ws.url(), frames: [], closed: false };
    tab.sockets.push(socket);
    const record = (direction) => ({ payload }) =>
      socket.frames.push({ direction, text: typeof payload === 'string' ? payload : payload.toString('utf8') });
    ws.on('framesent', record('sent'));
    ws.on('framereceived', record('received'));
    ws.on('close', () => { socket.closed = true; });
  });
  await page.addInitScript(recordHistory);
  await page.goto(baseUrl);
  tab.mark = await page.evaluate(() => window.pageMark);
  return tab;
}

const connectionHistory = (tab) => tab.page.evaluate(() => window.connectionHistory);

async function joinLobby(tab, name) {
  await tab.page.fill('#name', name);
  await tab.page.fill('#room', 'lobby');
  await tab.page.click('#join');
  await waitFor(tab, 'joined lobby', () => document.getElementById('status').textContent === 'joined lobby'
    && document.getElementById('connection').dataset.state === 'connected');
}

async function waitFor(tab, what, predicate, arg, ms = STEP_TIMEOUT_MS) {
  await tab.page.waitForFunction(predicate, arg, { timeout: ms, polling: 20 }).catch(async () => {
    const state = await tab.page.evaluate(() => ({ status: document.getElementById('status').textContent,
      connection: document.getElementById('connection').textContent })).catch(() => ({}));
    throw new Error(`${tab.label}: ${what} not within ${ms} ms (now ${JSON.stringify(state)})`);
  });
}

// Sends `text` from `from`, and waits until `to` shows it (and `from` its own copy).
async function chat(from, to, name, text) {
  await waitFor(from, 'send enabled', () => !document.getElementById('send').disabled);
  const started = Date.now();
  await from.page.fill('#message', text);
  await from.page.click('#send');
  for (const tab of [to, from]) {
    await tab.page.waitForFunction(
      (expected) => [...document.querySelectorAll('#log li')].some((li) => li.textContent === expected),
      `${name}: ${text}`, { timeout: DELIVERY_TIMEOUT_MS, polling: 20 },
    ).catch(() => { throw new Error(`${tab.label}: "${name}: ${text}" not in #log within ${DELIVERY_TIMEOUT_MS} ms`); });
  }
  return Date.now() - started;
}

// --- checks ---------------------------------------------------------------------------------

const RECONNECTING = /^reconnecting \(attempt (\d+), in (\d+) ms; last close (\d+)\)$/;
const RECONNECTED = /^reconnected \(after (\d+) attempts?\)$/;

// The #connection texts since `since`: reconnecting × n (attempt 1..n, the first with
// `closeCode`), then reconnected (after n attempts), nothing else. The delays follow POLICY from
// step `steps` of the backoff: a session shorter than resetAfter does not start them over, so
// after a quick second restart they go on from where the first outage left them.
function checkRound(tab, history, since, closeCode, steps) {
  const problems = [];
  const entries = history.filter((e) => e.at >= since).map((e) => e.text);
  const attempts = [];
  let reconnected = null;
  for (const text of entries) {
    const r = RECONNECTING.exec(text);
    const done = RECONNECTED.exec(text);
    if (r && reconnected === null) attempts.push({ attempt: Number(r[1]), delayMs: Number(r[2]), code: Number(r[3]) });
    else if (done && reconnected === null) reconnected = Number(done[1]);
    else problems.push(`${tab.label}: unexpected #connection "${text}" in ${JSON.stringify(entries)}`);
  }
  if (attempts.length < ATTEMPTS_WHILE_DOWN) problems.push(`${tab.label}: ${attempts.length} reconnecting states, expected >= ${ATTEMPTS_WHILE_DOWN}`);
  const fits = (offset) => attempts.every((a, i) => {
    const base = Math.min(POLICY.maxDelay, POLICY.initialDelay * POLICY.factor ** (offset + i));
    return a.delayMs >= Math.floor(base * (1 - POLICY.jitter)) && a.delayMs <= Math.ceil(base * (1 + POLICY.jitter));
  });
  attempts.forEach((a, i) => {
    if (a.attempt !== i + 1) problems.push(`${tab.label}: attempt ${a.attempt} shown as number ${i + 1}`);
  });
  if (!steps.some(fits)) {
    problems.push(`${tab.label}: delays ${JSON.stringify(attempts.map((a) => a.delayMs))} are not ${POLICY.initialDelay} ms × ` +
      `${POLICY.factor}^(${steps.join(' or ')} + i) ± ${POLICY.jitter * 100} %`);
  }
  if (attempts[0] && attempts[0].code !== closeCode) problems.push(`${tab.label}: first reconnecting says close ${attempts[0].code}, expected ${closeCode}`);
  if (reconnected === null) problems.push(`${tab.label}: no "reconnected" state`);
  else if (reconnected !== attempts.length) problems.push(`${tab.label}: reconnected after ${reconnected} attempts, ${attempts.length} shown`);
  return { attempts: attempts.length, delays: attempts.map((a) => a.delayMs), problems };
}

// Every socket: authenticate out first, connected in first, then only `encrypted` {iv, ct}
// frames, no chat text in the clear; every handshake with its own key pair and client id.
function checkSockets(tab, secrets) {
  const problems = [];
  const handshakes = [];
  for (const [i, socket] of tab.sockets.entries()) {
    const parsed = socket.frames.map((f) => {
      try { return { ...f, message: JSON.parse(f.text) }; } catch { return { ...f, message: null }; }
    });
    const sent = parsed.filter((f) => f.direction === 'sent');
    const received = parsed.filter((f) => f.direction === 'received');
    if (sent.length === 0) continue;  // an attempt that never opened
    if (sent[0].message?.event !== 'authenticate') problems.push(`${tab.label} socket ${i}: first sent frame is not authenticate`);
    if (received.length && received[0].message?.event !== 'connected') problems.push(`${tab.label} socket ${i}: first received frame is not connected`);
    if (received[0]?.message?.event === 'connected') {
      handshakes.push({ publicKey: sent[0].message?.data?.clientPublicKey, id: received[0].message.data?.id });
    }
    for (const f of [...sent.slice(1), ...received.slice(1)]) {
      const data = f.message?.data;
      if (f.message?.event !== 'encrypted' || !data || Object.keys(data).sort().join() !== 'ct,iv') {
        problems.push(`${tab.label} socket ${i}: plaintext ${f.direction} frame after connected: ${f.text.slice(0, 120)}`);
      }
    }
    for (const secret of secrets) {
      if (socket.frames.some((f) => f.text.includes(secret))) problems.push(`${tab.label} socket ${i}: "${secret}" seen on the wire`);
    }
  }
  const keys = new Set(handshakes.map((h) => h.publicKey));
  const ids = new Set(handshakes.map((h) => h.id));
  if (handshakes.length < 3) problems.push(`${tab.label}: ${handshakes.length} completed handshakes, expected 3 (start + 2 restarts)`);
  if (keys.size !== handshakes.length || ids.size !== handshakes.length) problems.push(`${tab.label}: a public key or client id was reused across handshakes`);
  return { sockets: tab.sockets.length, handshakes: handshakes.length, problems };
}

// --- the run --------------------------------------------------------------------------------

async function run(command, args) {
  const started = Date.now();
  let server = await startServer(command, args, '127.0.0.1:0');
  const { port } = server;
  const baseUrl = `http://127.0.0.1:${port}/`;
  const browser = await launchChromium();
  try {
    const a = await openTab(browser, baseUrl, 'A');
    const b = await openTab(browser, baseUrl, 'B');
    await joinLobby(a, 'alice');
    await joinLobby(b, 'bob');
    const nonce = randomBytes(6).toString('hex');
    const secrets = [nonce];
    await chat(a, b, 'alice', `before the restart ${nonce}`);
    await chat(b, a, 'bob', `before the restart too ${nonce}`);

    const rounds = [];
    const problems = [];
    const steps = { A: 0, B: 0 };        // backoff steps taken since the delays last started over
    const reconnectedAt = { A: 0, B: 0 };
    for (const [signal, closeCode] of [['SIGTERM', 1001], ['SIGKILL', 1006]]) {
      const since = Date.now();
      // Which backoff step each tab is on: a session that lasted resetAfter starts over (within a
      // second of the boundary either is right).
      const expectedSteps = {};
      for (const label of ['A', 'B']) {
        const lasted = since - reconnectedAt[label];
        expectedSteps[label] = steps[label] === 0 || lasted > POLICY.resetAfter + 1000 ? [0]
          : lasted < POLICY.resetAfter - 1000 ? [steps[label]] : [0, steps[label]];
      }
      const exit = await stopServer(server, signal);
      const stoppedAt = Date.now();
      // Both tabs notice, and keep trying against the closed port (the server is really gone).
      for (const tab of [a, b]) {
        await waitFor(tab, `attempt ${ATTEMPTS_WHILE_DOWN} while the server is down`, (n) => {
          const m = /^reconnecting \(attempt (\d+),/.exec(document.getElementById('connection').textContent);
          return m && Number(m[1]) >= n;
        }, ATTEMPTS_WHILE_DOWN);
        if (await tab.page.evaluate(() => !document.getElementById('send').disabled)) problems.push(`${tab.label}: send enabled while reconnecting`);
      }
      server = await startServer(command, args, `127.0.0.1:${port}`);
      const restartedAt = Date.now();
      const recoverMs = {};
      for (const tab of [a, b]) {
        // Up to one backoff wait (≤ 3.84 s in the second round; 7.68 s if the restart was slow) and a handshake.
        await waitFor(tab, 'reconnected and back in lobby', () =>
          document.getElementById('connection').dataset.state === 'reconnected'
          && document.getElementById('status').textContent === 'joined lobby'
          && !document.getElementById('send').disabled, undefined, 2 * STEP_TIMEOUT_MS);
        recoverMs[tab.label] = Date.now() - restartedAt;
      }
      const text = `after ${signal} ${nonce}`;
      const chatMs = { aToB: await chat(a, b, 'alice', `${text} from alice`), bToA: await chat(b, a, 'bob', `${text} from bob`) };
      const checks = {
        A: checkRound(a, await connectionHistory(a), since, closeCode, expectedSteps.A),
        B: checkRound(b, await connectionHistory(b), since, closeCode, expectedSteps.B),
      };
      problems.push(...checks.A.problems, ...checks.B.problems);
      for (const label of ['A', 'B']) {
        steps[label] = expectedSteps[label].at(-1) + checks[label].attempts;
        reconnectedAt[label] = restartedAt + recoverMs[label];
      }
      rounds.push({
        signal, exit, downMs: restartedAt - stoppedAt, recoverMs, chatMs,
        attempts: { A: checks.A.attempts, B: checks.B.attempts }, delays: { A: checks.A.delays, B: checks.B.delays },
      });
    }

    // No reload: the same document (its mark), one navigation, the whole log still there.
    for (const tab of [a, b]) {
      const page = await tab.page.evaluate(() => ({ mark: window.pageMark, lines: document.querySelectorAll('#log li').length }));
      if (page.mark !== tab.mark || tab.navigations !== 1) problems.push(`${tab.label}: the page was reloaded`);
      if (page.lines !== 6) problems.push(`${tab.label}: ${page.lines} lines in #log, expected 6`);
    }
    const wire = { A: checkSockets(a, secrets), B: checkSockets(b, secrets) };
    problems.push(...wire.A.problems, ...wire.B.problems, ...a.pageErrors, ...b.pageErrors);
    return {
      ok: problems.length === 0, port, rounds,
      sockets: { A: wire.A.sockets, B: wire.B.sockets }, handshakes: { A: wire.A.handshakes, B: wire.B.handshakes },
      ms: Date.now() - started,
      ...(problems.length ? { problems } : {}),
    };
  } finally {
    await browser.close().catch(() => {});
    server.proc.kill('SIGKILL');
  }
}

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node tests/browser/stream_chat_restart.mjs SERVER [SERVER_ARGS...]  (SERVER gets --listen HOST:PORT)');
  process.exit(2);
}
const deadline = new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${TOTAL_TIMEOUT_MS} ms`)), TOTAL_TIMEOUT_MS).unref());
let summary;
try {
  summary = await Promise.race([run(command, args), deadline]);
} catch (err) {
  summary = { ok: false, error: err.message.split('\n')[0] };
}
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
