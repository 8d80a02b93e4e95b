#!/usr/bin/env node
// libp2p_node.mjs: a real js-libp2p 3 node (pnet PSK → /noise → /yamux/1.0.0, identify and ping
// services, optionally pubsub) that dials a libp2p gateway once, pings it, waits for identify and
// reports; with --pubsub it also subscribes, publishes and collects messages through the gateway.
//   node tests/interop/libp2p_node.mjs (--ws ws://HOST:PORT/swarm/<DID> | --tcp HOST:PORT)
//     --psk-file FILE [--expect-peer 12D3KooW...] [--pings N] [--timeout-ms MS] [--hold-ms MS]
//     [--pubsub gossipsub|floodsub [--subscribe TOPIC]... [--publish TOPIC=TEXT]...
//      [--expect-messages N] [--listen-ms MS] [--unsigned]] [--forge identity|pubsub]
//     [--ping-every-ms MS] [--redial-ms MS]
// Prints one JSON line: {"ok":true,"remotePeer":…,"pings":[ms,…],"identify":{…}} or
// {"ok":false,"stage":"dial|ping|identify|subscribe|publish|receive|hold","error":…}; exit 0 or 1.
// With --pubsub both also carry "received":[{"topic","data" (UTF-8),"from"}] (messages of others on
// subscribed topics, never our own), "published":[topic,…] and "pubsub":{"service","outbound" (the
// protocol of our stream to the gateway),"inbound" (of the gateway's own stream to us),
// "remoteTopics" (our topics the gateway subscribed to)}. Steps, all within --timeout-ms:
// subscribe right after the dial; after identify and pings wait until our pubsub stream to the
// gateway is open ("subscribe"); per --publish wait until the gateway has subscribed to the topic,
// then publish once, requiring the gateway among the recipients ("publish"); wait for
// --expect-messages N received ("receive"); then --listen-ms MS more (not counted in the timeout).
// The transport (libp2p_dial_transport.mjs) opens the socket and hands it to libp2p's upgrader.
// identify must end with the remote's FIN: one that only ends on js's 5 s identify timeout fails.
// Misbehaviour, for the gateway's refusals: --forge flips a bit of every signature our key makes
// over the Noise static key (identity: the dial must fail) or over pubsub messages (pubsub: they
// go out mis-signed); --unsigned publishes without signatures (StrictNoSign). During --hold-ms,
// --ping-every-ms keeps pinging (a failed ping fails "hold"; "holdPings" counts them); with
// --redial-ms a connection the gateway drops during the hold is dialled again until it answers a
// ping (or MS pass): "dropped", "redialedAfterMs", "pingsAfterRedial". A hold starts with a
// {"holding":<peer id>} line.
// DEBUG='libp2p*' logs libp2p's internals (and this dialer's connection) to stderr.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

// libp2p 3 targets Node 22 and calls Promise.withResolvers; Node 20 lacks it. Polyfilled before
// libp2p is loaded, hence the dynamic imports below.
Promise.withResolvers ??= () => {
  let resolve;
  let reject;
  return { promise: new Promise((res, rej) => { resolve = res; reject = rej; }), resolve, reject };
};

const [
  { createLibp2p }, { noise }, { yamux }, { identify }, { ping }, { preSharedKey },
  { peerIdFromString, peerIdFromPublicKey }, { publicKeyFromProtobuf, generateKeyPair },
  { GatewayDialer, toMultiaddr }, pubsubLib,
] = await Promise.all([
  import('libp2p'), import('@chainsafe/libp2p-noise'), import('@chainsafe/libp2p-yamux'),
  import('@libp2p/identify'), import('@libp2p/ping'), import('@libp2p/pnet'),
  import('@libp2p/peer-id'), import('@libp2p/crypto/keys'),
  import('./libp2p_dial_transport.mjs'), import('./libp2p_pubsub.mjs'),
]);
const { PUBSUB_KINDS, pubsubService, pubsubStream, pubsubProtocols, until, describeMessage } = pubsubLib;

function options() {
  const { values } = parseArgs({
    options: {
      tcp: { type: 'string' }, ws: { type: 'string' }, 'psk-file': { type: 'string' }, 'expect-peer': { type: 'string' },
      pings: { type: 'string', default: '3' }, 'timeout-ms': { type: 'string', default: '15000' }, 'hold-ms': { type: 'string', default: '0' },
      pubsub: { type: 'string' }, subscribe: { type: 'string', multiple: true, default: [] },
      publish: { type: 'string', multiple: true, default: [] },
      'expect-messages': { type: 'string', default: '0' }, 'listen-ms': { type: 'string', default: '0' },
      unsigned: { type: 'boolean', default: false }, forge: { type: 'string' },
      'ping-every-ms': { type: 'string', default: '0' }, 'redial-ms': { type: 'string', default: '0' },
    },
  });
  if ((values.tcp == null) === (values.ws == null)) throw new Error('give exactly one of --tcp HOST:PORT or --ws URL');
  if (values['psk-file'] == null) throw new Error('--psk-file is required');
  const int = (name, min) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got "${values[name]}"`);
    return n;
  };
  if (values.pubsub != null && !PUBSUB_KINDS.includes(values.pubsub)) throw new Error(`--pubsub must be one of ${PUBSUB_KINDS.join('|')}, got "${values.pubsub}"`);
  const pubsubOnly = ['subscribe', 'publish', 'expect-messages', 'listen-ms'].filter((k) => values[k].length > 0 && values[k] !== '0');
  if (values.pubsub == null && pubsubOnly.length > 0) throw new Error(`--${pubsubOnly[0]} needs --pubsub gossipsub|floodsub`);
  const publish = values.publish.map((p) => {
    const eq = p.indexOf('=');
    if (eq < 1) throw new Error(`--publish wants TOPIC=TEXT, got "${p}"`);
    return { topic: p.slice(0, eq), text: p.slice(eq + 1) };
  });
  if (values.subscribe.some((t) => t === '')) throw new Error('--subscribe wants a non-empty topic');
  if (values.forge != null && !Object.hasOwn(FORGED_PREFIXES, values.forge)) throw new Error(`--forge must be identity or pubsub, got "${values.forge}"`);
  if (values.unsigned && values.pubsub == null) throw new Error('--unsigned needs --pubsub gossipsub|floodsub');
  const expectMessages = int('expect-messages', 0);
  if (expectMessages > 0 && values.subscribe.length === 0) throw new Error('--expect-messages needs --subscribe TOPIC');
  return {
    target: toMultiaddr(values),
    psk: new Uint8Array(readFileSync(values['psk-file'])),
    expectPeer: values['expect-peer'] != null ? peerIdFromString(values['expect-peer']) : undefined,
    pings: int('pings', 0),
    timeoutMs: int('timeout-ms', 1),
    holdMs: int('hold-ms', 0),
    pubsub: values.pubsub,
    subscribe: [...new Set(values.subscribe)],
    publish,
    expectMessages,
    listenMs: int('listen-ms', 0),
    unsigned: values.unsigned,
    forge: values.forge,
    pingEveryMs: int('ping-every-ms', 0),
    redialMs: int('redial-ms', 0),
  };
}

// What each --forge corrupts: signatures over data that starts with this.
const FORGED_PREFIXES = { identity: 'noise-libp2p-static-key:', pubsub: 'libp2p-pubsub:' };

// Our key, whose signatures over data starting with `prefix` come out with one bit flipped.
async function forgingKey(prefix) {
  const key = await generateKeyPair('Ed25519');
  const marker = new TextEncoder().encode(prefix);
  const flip = (sig) => { const out = Uint8Array.from(sig); out[0] ^= 1; return out; };
  return Object.create(key, {
    sign: {
      value(message, options) {
        const sig = key.sign(message, options);
        const bytes = message instanceof Uint8Array ? message : message.subarray(0);
        if (!marker.every((b, i) => bytes[i] === b)) return sig;
        return sig instanceof Promise ? sig.then(flip) : flip(sig);
      },
    },
  });
}

const IDENTIFY_TIMEOUT_MS = 5000; // @libp2p/identify's default, made explicit
let node;
let stage = 'dial';
let waitingFor = ''; // what a timeout in the current stage interrupted, for its error message
let untimed = false; // --listen-ms and --hold-ms come on top of --timeout-ms
const pending = new Set(); // identify and ping run side by side; a timeout names the first pending
const received = [];
const published = [];
let ignoredOwn = 0; // our own messages sent back to us (not counted as received)
let pubsubConn = null; // the gateway connection, once pubsub runs on it
let finished = false;

async function finish(result, timeoutMs) {
  if (finished) return;
  finished = true;
  if (opts?.pubsub != null) {
    // Which streams exist and what the gateway subscribed to, also when a stage failed.
    let pubsub = { service: opts.pubsub };
    try { if (pubsubConn != null) pubsub = snapshotPubsub(node.services.pubsub, pubsubConn); } catch { /* keep the service name */ }
    Object.assign(result, { received, published, pubsub });
    if (ignoredOwn > 0) result.ignoredOwnMessages = ignoredOwn;
  }
  // Stop the node (closing the connection) before exiting, but never wait longer than the timeout.
  if (node != null) await Promise.race([node.stop().catch(() => {}), new Promise((r) => setTimeout(r, timeoutMs))]);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.ok ? 0 : 1);
}

// Failures carry the stage they happened in; pending tracks what a timeout interrupted.
function staged(name, promise) {
  pending.add(name);
  const p = promise.then((v) => { pending.delete(name); return v; }, (err) => { throw { stage: name, err }; });
  p.catch(() => {});
  return p;
}

async function identifyRemote(conn) {
  const start = Date.now();
  // Throws if publicKey is missing or is not the noise peer's; read until the remote's FIN.
  const id = await node.services.identify.identify(conn);
  const ms = Date.now() - start;
  if (ms >= IDENTIFY_TIMEOUT_MS - 100) throw new Error(`identify ended only on js's ${IDENTIFY_TIMEOUT_MS} ms timeout: the remote did not half-close (FIN) /ipfs/id/1.0.0`);
  const publicKeyMatches = id.publicKey != null && peerIdFromPublicKey(publicKeyFromProtobuf(id.publicKey)).equals(conn.remotePeer);
  if (!publicKeyMatches) throw new Error('identify publicKey does not match the connection\'s remote peer');
  const { agentVersion, protocolVersion, protocols } = id;
  return { agentVersion, protocolVersion, protocols, publicKeyMatches, listenAddrs: id.listenAddrs.map(String), observedAddr: id.observedAddr?.toString(), ms };
}

// Records every message of others on a subscribed topic, from the moment the node starts.
function collectMessages(service) {
  service.addEventListener('message', (evt) => {
    const msg = evt.detail;
    if (!opts.subscribe.includes(msg.topic)) return;
    if (msg.from != null && msg.from.equals(node.peerId)) { ignoredOwn++; return; }
    received.push(describeMessage(msg));
  });
}

function snapshotPubsub(service, conn) {
  const topics = [...new Set([...opts.subscribe, ...opts.publish.map((p) => p.topic)])];
  return {
    service: opts.pubsub,
    outbound: pubsubStream(service, conn, 'outbound'),
    inbound: pubsubStream(service, conn, 'inbound'),
    remoteTopics: topics.filter((t) => service.getSubscribers(t).some((p) => p.equals(conn.remotePeer))),
  };
}

// js opens its pubsub stream when identify lists a pubsub protocol of the gateway, and gossipsub
// (not floodsub) also when the gateway opens its own pubsub stream first.
function noStreamReason(service, conn, remoteProtocols) {
  const ours = pubsubProtocols(service);
  const listed = ours.filter((p) => remoteProtocols.includes(p));
  const inbound = pubsubStream(service, conn, 'inbound');
  if (listed.length > 0) return `our pubsub stream to the gateway never opened although its identify lists ${listed.join(', ')} (did it answer na to ${ours.join(', ')}?)`;
  const why = inbound == null ? 'and it never opened a pubsub stream of its own'
    : opts.pubsub === 'floodsub' ? `and js floodsub does not answer the gateway's own ${inbound} stream with one: it needs /floodsub/1.0.0 in identify`
      : `and js did not answer the gateway's own ${inbound} stream with one`;
  return `our pubsub stream to the gateway never opened: its identify lists none of ${ours.join(', ')}, ${why}`;
}

// The pubsub part, after identify (which tells js the gateway's protocols) and the pings.
async function runPubsub(conn, remoteProtocols, signal) {
  const service = node.services.pubsub;
  const remote = conn.remotePeer;
  stage = 'subscribe';
  await until(() => {
    waitingFor = noStreamReason(service, conn, remoteProtocols);
    return pubsubStream(service, conn, 'outbound') != null;
  }, signal);

  stage = 'publish';
  for (const { topic, text } of opts.publish) {
    await until(() => {
      const noStream = pubsubStream(service, conn, 'inbound') == null ? ', which it never opened' : '';
      waitingFor = `the gateway never subscribed to "${topic}" (it is not in getSubscribers("${topic}"): no SUBSCRIBE on its own stream to us${noStream})`;
      return service.getSubscribers(topic).some((p) => p.equals(remote));
    }, signal);
    waitingFor = `publishing on "${topic}"`;
    const { recipients } = await service.publish(topic, new TextEncoder().encode(text));
    if (!recipients.some((p) => p.equals(remote))) throw new Error(`publish on "${topic}" did not send to the gateway (recipients: [${recipients.join(', ')}])`);
    published.push(topic);
  }

  stage = 'receive';
  if (opts.expectMessages > 0) {
    waitingFor = `${received.length} of ${opts.expectMessages} expected messages received`;
    await until(() => { waitingFor = `${received.length} of ${opts.expectMessages} expected messages received`; return received.length >= opts.expectMessages; }, signal);
  }
  waitingFor = '';
  if (opts.listenMs > 0) {
    untimed = true;
    await Promise.race([once(conn, 'close'), new Promise((r) => setTimeout(r, opts.listenMs))]);
    if (conn.status !== 'open') throw new Error(`connection closed during --listen-ms (status ${conn.status})`);
  }
}

async function run(signal) {
  node = await createLibp2p({
    ...(opts.forge != null ? { privateKey: await forgingKey(FORGED_PREFIXES[opts.forge]) } : {}),
    transports: [(components) => new GatewayDialer(components)],
    connectionProtector: preSharedKey({ psk: opts.psk }),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // identify is run explicitly (as soon as the connection opens), so a failure is reported
    services: {
      identify: identify({ runOnConnectionOpen: false, timeout: IDENTIFY_TIMEOUT_MS }),
      ping: ping(),
      ...(opts.pubsub != null ? { pubsub: pubsubService(opts.pubsub, { unsigned: opts.unsigned }) } : {}),
    },
    connectionManager: { dialTimeout: opts.timeoutMs, addressDialTimeout: opts.timeoutMs },
  });
  if (opts.pubsub != null) collectMessages(node.services.pubsub);
  let opened = 0;
  node.addEventListener('connection:open', () => { opened++; });

  const conn = await node.dial(opts.expectPeer != null ? opts.target.encapsulate(`/p2p/${opts.expectPeer}`) : opts.target, { signal });
  const { remotePeer } = conn;
  if (opts.expectPeer != null && !remotePeer.equals(opts.expectPeer)) throw new Error(`remote peer is ${remotePeer}, expected ${opts.expectPeer}`);
  // Subscribed before identify: the pubsub stream js opens once identify lists a pubsub protocol
  // (or once the gateway opens its own) starts with our SUBSCRIBEs.
  if (opts.pubsub != null) pubsubConn = conn;
  for (const topic of opts.subscribe) node.services.pubsub.subscribe(topic);

  const [identifyResult, pings] = await Promise.all([
    staged('identify', identifyRemote(conn)),
    staged('ping', (async () => {
      const rtts = [];
      for (let i = 0; i < opts.pings; i++) rtts.push(await node.services.ping.ping(remotePeer, { signal }));
      return rtts;
    })()),
  ]);
  stage = 'ping';
  // ping() dials again if the connection is gone; only the first connection counts.
  if (conn.status !== 'open' || opened !== 1) throw new Error(`the connection did not stay open (status ${conn.status}, ${opened} opened)`);

  if (opts.pubsub != null) await runPubsub(conn, identifyResult.protocols, signal);
  const result = { ok: true, remotePeer: remotePeer.toString(), pings, identify: identifyResult };
  if (opts.holdMs > 0) Object.assign(result, { heldMs: opts.holdMs }, await hold(conn, remotePeer));
  return result;
}

// --hold-ms: the connection stays open (pinged every --ping-every-ms), or with --redial-ms, once
// dropped, is dialled again until a ping answers.
async function hold(conn, remotePeer) {
  stage = 'hold';
  untimed = true;
  process.stdout.write(`${JSON.stringify({ holding: remotePeer.toString() })}\n`);
  const ends = Date.now() + opts.holdMs;
  let holdPings = 0;
  const closed = once(conn, 'close');
  while (Date.now() < ends && conn.status === 'open') {
    const wait = opts.pingEveryMs > 0 ? Math.min(opts.pingEveryMs, ends - Date.now()) : ends - Date.now();
    await Promise.race([closed, new Promise((r) => setTimeout(r, wait))]);
    if (opts.pingEveryMs > 0 && conn.status === 'open' && Date.now() < ends) {
      await node.services.ping.ping(remotePeer, { signal: AbortSignal.timeout(5000) });
      holdPings++;
    }
  }
  if (conn.status === 'open') return { holdPings };
  if (opts.redialMs === 0) throw new Error(`connection closed during --hold-ms (status ${conn.status})`);
  stage = 'redial';
  const dropped = Date.now();
  let lastError = 'never tried';
  while (Date.now() - dropped < opts.redialMs) {
    try {
      const again = await node.dial(opts.target, { signal: AbortSignal.timeout(2000) });
      const rtt = await node.services.ping.ping(again.remotePeer, { signal: AbortSignal.timeout(2000) });
      return { holdPings, dropped: true, redialedAfterMs: Date.now() - dropped, pingsAfterRedial: [rtt] };
    } catch (err) {
      lastError = err?.message ?? String(err);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`dropped, and no dial within --redial-ms ${opts.redialMs}: ${lastError}`);
}

let opts;
try {
  opts = options();
} catch (err) {
  await finish({ ok: false, stage: 'args', error: err.message }, 1000);
}
const controller = new AbortController();
// The checks get --timeout-ms; --listen-ms and --hold-ms come on top. A ref'd timer fires even on
// a silent socket.
const deadline = setTimeout(() => {
  if (untimed) return;
  controller.abort();
  const what = pending.size > 0 ? '' : waitingFor;
  finish({ ok: false, stage: [...pending][0] ?? stage, error: `timeout after ${opts.timeoutMs} ms${what !== '' ? `: ${what}` : ''}` }, opts.timeoutMs);
}, opts.timeoutMs);
run(controller.signal).then(
  (result) => { clearTimeout(deadline); return finish(result, opts.timeoutMs); },
  (failure) => {
    const err = failure?.err ?? failure;
    const message = err?.message || String(err);
    const error = err?.name != null && err.name !== 'Error' ? `${err.name}: ${message}` : message;
    return finish({ ok: false, stage: failure?.stage ?? stage, error }, opts.timeoutMs);
  },
);
