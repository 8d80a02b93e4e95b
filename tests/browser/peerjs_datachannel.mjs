#!/usr/bin/env node
// peerjs_datachannel.mjs HOST PORT PATH [KEY]: the real `peerjs` client (npm, 1.5.5) in two
// headless Chromium pages (separate contexts) registers with a PeerJS broker — ours
// (peer_broker) or npm `peer` — opens a DataConnection and exchanges a message each way. Every
// WebSocket frame each page sent and received is recorded to show the signaling went through
// the broker (OPEN, OFFER, ANSWER, CANDIDATE). Prints one JSON summary line; exit status 0
// (pass) or 1 (fail). Bounded to ~40 s.
//   node tests/browser/peerjs_datachannel.mjs 127.0.0.1 9000 /myapp
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { launchChromium } from './chromium.mjs';

const PEERJS = readFileSync(new URL('../interop/node_modules/peerjs/dist/peerjs.min.js', import.meta.url));

const TOTAL_TIMEOUT_MS = 40000;
const STEP_TIMEOUT_MS = 15000;

const PAGE = `<!doctype html><meta charset="utf-8"><title>peerjs test</title>
<script src="/peerjs.min.js"></script><body>peerjs test</body>`;

// Serves the page and peerjs.min.js on 127.0.0.1 (the pages' origin).
async function serveStatic() {
  const server = createServer((req, res) => {
    if (req.url === '/peerjs.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(PEERJS);
    } else {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function openPage(browser, origin, label) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const tab = { label, page, frames: [], pageErrors: [] };
  page.on('pageerror', (err) => tab.pageErrors.push(`${label}: ${err.message}`));
  page.on('websocket', (ws) => {
    const record = (direction) => ({ payload }) => {
      const text = typeof payload === 'string' ? payload : payload.toString('utf8');
      let type = null;
      try { type = JSON.parse(text).type ?? null; } catch { /* not JSON */ }
      tab.frames.push({ direction, type });
    };
    ws.on('framesent', record('sent'));
    ws.on('framereceived', record('received'));
  });
  await page.goto(origin);
  return tab;
}

// Creates the Peer in the page and waits for 'open'; resolves with its id.
function register(tab, id, broker) {
  return tab.page.evaluate(({ id, broker, timeout }) => new Promise((resolve, reject) => {
    const peer = new window.peerjs.Peer(id, { ...broker, config: { iceServers: [] }, debug: 0 });
    window.peer = peer;
    window.received = [];
    peer.on('error', (err) => reject(new Error(`peer error ${err.type}: ${err.message}`)));
    peer.on('open', (openedId) => resolve(openedId));
    // The side that is called answers every message with "echo: <message>".
    peer.on('connection', (conn) => {
      window.conn = conn;
      conn.on('data', (data) => { window.received.push(data); conn.send(`echo: ${data}`); });
    });
    setTimeout(() => reject(new Error('no open within the time limit')), timeout);
  }), { id, broker, timeout: STEP_TIMEOUT_MS });
}

function callAndTalk(tab, otherId, text) {
  return tab.page.evaluate(({ otherId, text, timeout }) => new Promise((resolve, reject) => {
    const conn = window.peer.connect(otherId, { reliable: true });
    conn.on('error', (err) => reject(new Error(`connection error: ${err.message}`)));
    conn.on('open', () => conn.send(text));
    conn.on('data', (data) => resolve(data));
    setTimeout(() => reject(new Error('no reply over the data channel within the time limit')), timeout);
  }), { otherId, text, timeout: STEP_TIMEOUT_MS });
}

function typesSeen(tab) {
  const seen = { sent: new Set(), received: new Set() };
  for (const f of tab.frames) if (f.type) seen[f.direction].add(f.type);
  return { sent: [...seen.sent].sort(), received: [...seen.received].sort() };
}

async function run(host, port, path, key) {
  const web = await serveStatic();
  const origin = `http://127.0.0.1:${web.address().port}/`;
  const browser = await launchChromium();
  try {
    const a = await openPage(browser, origin, 'A');
    const b = await openPage(browser, origin, 'B');
    const broker = { host, port, path, key };
    const nonce = randomBytes(6).toString('hex');
    const idA = `alice-${nonce}`;
    const idB = `bob-${nonce}`;
    const started = Date.now();
    const [openedA, openedB] = await Promise.all([register(a, idA, broker), register(b, idB, broker)]);
    const registeredMs = Date.now() - started;
    const text = `hello over the data channel ${nonce} ✓`;
    const reply = await callAndTalk(a, idB, text);
    const exchangedMs = Date.now() - started - registeredMs;
    const receivedByB = await b.page.evaluate(() => window.received);

    const types = { A: typesSeen(a), B: typesSeen(b) };
    const problems = [...a.pageErrors, ...b.pageErrors];
    if (openedA !== idA || openedB !== idB) problems.push(`opened as ${openedA}, ${openedB}`);
    if (reply !== `echo: ${text}`) problems.push(`A got ${JSON.stringify(reply)}`);
    if (JSON.stringify(receivedByB) !== JSON.stringify([text])) problems.push(`B got ${JSON.stringify(receivedByB)}`);
    const expect = (cond, what) => { if (!cond) problems.push(what); };
    expect(types.A.received.includes('OPEN') && types.B.received.includes('OPEN'), 'OPEN not received by both');
    expect(types.A.sent.includes('OFFER') && types.B.received.includes('OFFER'), 'OFFER did not go A → broker → B');
    expect(types.B.sent.includes('ANSWER') && types.A.received.includes('ANSWER'), 'ANSWER did not go B → broker → A');
    expect(types.A.received.includes('CANDIDATE') || types.B.received.includes('CANDIDATE'), 'no CANDIDATE relayed');
    return {
      ok: problems.length === 0, ms: { registered: registeredMs, exchanged: exchangedMs }, types,
      ...(problems.length ? { problems } : {}),
    };
  } finally {
    await browser.close();
    web.close();
  }
}

const [host, portText, path = '/', key = 'peerjs'] = process.argv.slice(2);
if (!host || !portText) {
  console.error('usage: node tests/browser/peerjs_datachannel.mjs HOST PORT [PATH] [KEY]');
  process.exit(2);
}
const deadline = new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${TOTAL_TIMEOUT_MS} ms`)), TOTAL_TIMEOUT_MS).unref());
let summary;
try {
  summary = await Promise.race([run(host, Number(portText), path, key), deadline]);
} catch (err) {
  summary = { ok: false, error: err.message.split('\n')[0] };
}
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
