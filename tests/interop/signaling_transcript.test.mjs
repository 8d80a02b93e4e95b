// The scripted signaling session (signaling_transcript.mjs) against the npm `peer` 1.0.2 server
// and against sealed's peer_broker, side by side: the transcripts must be equal except for the
// documented differences. Both brokers run at once on loopback ports, with the same flags.
//   SEALED_PEER_BROKER=build/bin/peer_broker node --test tests/interop/signaling_transcript.test.mjs
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { runSession, runDiscoveryProbe, compareTranscripts } from './signaling_transcript.mjs';

// The package exports no bin path: it is found from the directory this test runs in (tests/interop).
const PEER_BIN = fileURLToPath(new URL('node_modules/peer/dist/bin/peerjs.js', new URL('./', import.meta.url)));
const SEALED_BIN = process.env.SEALED_PEER_BROKER;
const EXPIRE_MS = 2000;
const LIMIT = 4;
const children = [];
after(() => { for (const c of children) c.kill('SIGKILL'); });

// A port that was free a moment ago (the peer CLI takes --port 0 for "unset").
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Starts a broker; resolves with its port once it says it listens.
async function startBroker(kind, flags) {
  const args = kind === 'peer'
    ? [PEER_BIN, '--port', String(await freePort()), '--host', '127.0.0.1', ...flags]
    : ['--port', '0', '--host', '127.0.0.1', '--log-level', 'warn', ...flags];
  const child = kind === 'peer' ? spawn(process.execPath, args) : spawn(SEALED_BIN, args);
  children.push(child);
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { out += d; });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} broker did not start: ${out}`)), 10000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on 127\.0\.0\.1:(\d+)|Started PeerServer on [^,]+, port: (\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1] ?? m[2])); }
    });
    child.on('exit', (code) => reject(new Error(`${kind} broker exited (${code}): ${out}`)));
  });
  return { port, child, output: () => out };
}

const common = ['--path', '/myapp', '--expire_timeout', String(EXPIRE_MS), '--concurrent_limit', String(LIMIT)];

test('the scripted session gives the reference transcript, but for the documented differences', { skip: !SEALED_BIN && 'SEALED_PEER_BROKER is not set', timeout: 150000 }, async () => {
  // The oversized-frame step sends a 1 MiB SDP: sealed's default limit is 1 MiB, so allow 4.
  const [reference, sealed] = await Promise.all([
    startBroker('peer', common),
    startBroker('sealed', [...common, '--max-message-size', '4194304']),
  ]);
  const options = (port) => ({ url: `ws://127.0.0.1:${port}`, path: '/myapp', key: 'peerjs', expireTimeoutMs: EXPIRE_MS, concurrentLimit: LIMIT });
  const [want, got] = await Promise.all([runSession(options(reference.port)), runSession(options(sealed.port))]);
  assert.ok(want.length > 60, `the reference transcript is too short to mean anything (${want.length} entries)`);
  const problems = compareTranscripts(want, got);
  assert.deepEqual(problems, [], problems.join('\n'));
  assert.equal(sealed.child.exitCode, null, 'peer_broker is still running');
});

test('discovery: GET <path>/<key>/peers lists the registered ids on both', { skip: !SEALED_BIN && 'SEALED_PEER_BROKER is not set', timeout: 30000 }, async () => {
  const flags = ['--path', '/myapp', '--allow_discovery'];
  const [reference, sealed] = await Promise.all([startBroker('peer', flags), startBroker('sealed', flags)]);
  const options = (port) => ({ url: `ws://127.0.0.1:${port}`, path: '/myapp', key: 'peerjs' });
  const [want, got] = await Promise.all([runDiscoveryProbe(options(reference.port)), runDiscoveryProbe(options(sealed.port))]);
  const listing = want.find((e) => e.step === 'http-peers-discovery');
  assert.deepEqual(listing.data.body, ['A', 'B']);
  assert.deepEqual(compareTranscripts(want, got, []), []);
});
