#!/usr/bin/env node
// stream_chat.mjs BASE_URL: two headless Chromium tabs (separate contexts) open the chat page,
// join "lobby", and chat both ways; every WebSocket frame is recorded to show that everything
// after `connected` is an `encrypted` event and that no chat text crosses the wire in the clear.
// Prints one JSON summary line; exit status 0 (pass) or 1 (fail). Bounded to ~30 s.
import { randomBytes } from 'node:crypto';
import { launchChromium } from './chromium.mjs';


const TOTAL_TIMEOUT_MS = 30000;
const DELIVERY_TIMEOUT_MS = 5000;

// Keeps every value #status has shown, so a quick `connected` → `joined lobby` is still seen.
function recordStatusHistory() {
  window.statusHistory = [];
  document.addEventListener('DOMContentLoaded', () => {
    const status = document.getElementById('status');
    new MutationObserver(() => window.statusHistory.push(status.textContent))
      .observe(status, { childList: true, characterData: true, subtree: true });
  });
}

async function openTab(browser, baseUrl, label) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const tab = { label, page, frames: [], pageErrors: [] };
  page.on('pageerror', (err) => tab.pageErrors.push(err.message));
  page.on('websocket', (ws) => {
    const record = (direction) => ({ payload }) =>
      tab.frames.push({ url: ws.url(), direction, text: typeof payload === 'string' ? payload : payload.toString('utf8') });
    ws.on('framesent', record('sent'));
    ws.on('framereceived', record('received'));
  });
  await page.addInitScript(recordStatusHistory);
  await page.goto(baseUrl);
  return tab;
}

async function joinLobby(tab, name) {
  await tab.page.fill('#name', name);
  await tab.page.fill('#room', 'lobby');
  await tab.page.click('#join');
  await tab.page.waitForFunction(() => document.getElementById('status').textContent === 'joined lobby', null, { timeout: 10000 });
  const history = await tab.page.evaluate(() => window.statusHistory);
  const connectedAt = history.indexOf('connected');
  if (connectedAt < 0 || history.indexOf('joined lobby') < connectedAt) {
    throw new Error(`${tab.label}: status went ${JSON.stringify(history)}, expected "connected" then "joined lobby"`);
  }
}

async function sendChat(tab, text) {
  await tab.page.fill('#message', text);
  await tab.page.click('#send');
}

function waitForLogLine(tab, line) {
  return tab.page.waitForFunction(
    (expected) => [...document.querySelectorAll('#log li')].some((li) => li.textContent === expected),
    line, { timeout: DELIVERY_TIMEOUT_MS },
  ).catch(() => { throw new Error(`${tab.label}: "${line}" not in #log within ${DELIVERY_TIMEOUT_MS} ms`); });
}

// Per tab: one sent `authenticate`, one received `connected`, every other frame `encrypted`
// with exactly {iv, ct}; and no chat text anywhere on the wire.
function checkFrames(tab, secrets) {
  const problems = [];
  const events = tab.frames.map((f) => {
    try { return JSON.parse(f.text); } catch { return null; }
  });
  const sent = tab.frames.map((f, i) => ({ ...f, message: events[i] })).filter((f) => f.direction === 'sent');
  const received = tab.frames.map((f, i) => ({ ...f, message: events[i] })).filter((f) => f.direction === 'received');
  if (sent[0]?.message?.event !== 'authenticate') problems.push(`${tab.label}: first sent frame is not authenticate`);
  if (received[0]?.message?.event !== 'connected') problems.push(`${tab.label}: first received frame is not connected`);
  for (const f of [...sent.slice(1), ...received.slice(1)]) {
    const data = f.message?.data;
    if (f.message?.event !== 'encrypted' || !data || Object.keys(data).sort().join() !== 'ct,iv') {
      problems.push(`${tab.label}: plaintext ${f.direction} frame after connected: ${f.text.slice(0, 120)}`);
    }
  }
  for (const secret of secrets) {
    if (tab.frames.some((f) => f.text.includes(secret))) problems.push(`${tab.label}: chat text "${secret}" seen on the wire`);
  }
  // join + chat out; joined + the peer's chat in (heartbeats may add more).
  if (sent.length < 3 || received.length < 3) problems.push(`${tab.label}: too few frames (${sent.length} sent, ${received.length} received)`);
  return { sent: sent.length, received: received.length, problems };
}

async function run(baseUrl) {
  const browser = await launchChromium();
  try {
    const a = await openTab(browser, baseUrl, 'A');
    const b = await openTab(browser, baseUrl, 'B');
    await joinLobby(a, 'alice');
    await joinLobby(b, 'bob');

    const nonce = randomBytes(6).toString('hex');
    const hello = `hello bob ${nonce}`;
    const reply = `hi alice — ünïcode ✓ ${nonce}`;
    let started = Date.now();
    await sendChat(a, hello);
    await waitForLogLine(b, `alice: ${hello}`);
    const aToB = Date.now() - started;
    await waitForLogLine(a, `alice: ${hello}`);  // the sender's own echo in its log
    started = Date.now();
    await sendChat(b, reply);
    await waitForLogLine(a, `bob: ${reply}`);
    const bToA = Date.now() - started;

    const wire = { A: checkFrames(a, [hello, reply, nonce]), B: checkFrames(b, [hello, reply, nonce]) };
    const problems = [...wire.A.problems, ...wire.B.problems, ...a.pageErrors, ...b.pageErrors];
    return {
      ok: problems.length === 0, delivered: 2, ms: { aToB, bToA },
      frames: { A: { sent: wire.A.sent, received: wire.A.received }, B: { sent: wire.B.sent, received: wire.B.received } },
      ...(problems.length ? { problems } : {}),
    };
  } finally {
    await browser.close();
  }
}

const [baseUrl] = process.argv.slice(2);
if (!baseUrl) {
  console.error('usage: node tests/browser/stream_chat.mjs http://HOST:PORT/');
  process.exit(2);
}
const deadline = new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${TOTAL_TIMEOUT_MS} ms`)), TOTAL_TIMEOUT_MS).unref());
let summary;
try {
  summary = await Promise.race([run(baseUrl), deadline]);
} catch (err) {
  summary = { ok: false, error: err.message.split('\n')[0] };
}
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
