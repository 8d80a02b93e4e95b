#!/usr/bin/env node
// libp2p_test_listener.mjs: a js-libp2p 3 node listening on raw TCP (loopback) behind a pnet PSK,
// with noise, yamux, identify and ping: a stand-in for the C++ gateway when testing
// libp2p_node.mjs. Like the gateway, its noise handshake offers no stream muxers, so the dialer
// negotiates /yamux/1.0.0 with multistream-select (--inline-muxers: js's default, muxer in noise).
// With --pubsub gossipsub|floodsub it is also a pubsub hub: subscribed to each --subscribe TOPIC, it
// forwards the messages of one dialer on those topics to the others (libp2p_pubsub.mjs settings).
//   node tests/interop/libp2p_test_listener.mjs --psk-file FILE [--port N] [--inline-muxers]
//     [--pubsub gossipsub|floodsub [--subscribe TOPIC]...]
// Prints {"listening":"/ip4/127.0.0.1/tcp/PORT/p2p/12D3KooW…"} (plus "pubsub" and "topics" if a
// hub), then one {"message":{"topic","data","from"}} line per message it receives, and serves
// until SIGINT/SIGTERM.
// Then, e.g.: node tests/interop/libp2p_node.mjs --tcp 127.0.0.1:PORT --psk-file FILE --expect-peer 12D3KooW…
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

// libp2p 3 calls Promise.withResolvers (Node 22+); polyfilled before libp2p is loaded.
Promise.withResolvers ??= () => {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
};

const [{ createLibp2p }, { noise }, { yamux }, { identify }, { ping }, { preSharedKey }, { tcp }, pubsubLib] = await Promise.all([
  import('libp2p'), import('@chainsafe/libp2p-noise'), import('@chainsafe/libp2p-yamux'),
  import('@libp2p/identify'), import('@libp2p/ping'), import('@libp2p/pnet'), import('@libp2p/tcp'),
  import('./libp2p_pubsub.mjs'),
]);
const { PUBSUB_KINDS, pubsubService, describeMessage } = pubsubLib;

const { values } = parseArgs({
  options: {
    'psk-file': { type: 'string' },
    port: { type: 'string', default: '0' },
    'inline-muxers': { type: 'boolean', default: false },
    pubsub: { type: 'string' },
    subscribe: { type: 'string', multiple: true, default: [] },
  },
});
if (values.pubsub != null && !PUBSUB_KINDS.includes(values.pubsub)) {
  process.stderr.write(`--pubsub must be one of ${PUBSUB_KINDS.join('|')}, got "${values.pubsub}"\n`);
  process.exit(2);
}
if (values.pubsub == null && values.subscribe.length > 0) {
  process.stderr.write('--subscribe needs --pubsub gossipsub|floodsub\n');
  process.exit(2);
}
if (values['psk-file'] == null) {
  process.stderr.write('--psk-file is required\n');
  process.exit(2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`--port must be 0..65535, got "${values.port}"\n`);
  process.exit(2);
}

// Noise as responder with an empty stream_muxers extension, as the C++ gateway will send it.
function noiseWithoutInlinedMuxers() {
  const factory = noise();
  return (components) => {
    const encrypter = factory(components);
    const secureInbound = encrypter.secureInbound.bind(encrypter);
    encrypter.secureInbound = (conn, opts) => secureInbound(conn, { ...opts, skipStreamMuxerNegotiation: true });
    return encrypter;
  };
}

const node = await createLibp2p({
  addresses: { listen: [`/ip4/127.0.0.1/tcp/${port}`] },
  transports: [tcp()],
  connectionProtector: preSharedKey({ psk: new Uint8Array(readFileSync(values['psk-file'])) }),
  connectionEncrypters: [values['inline-muxers'] ? noise() : noiseWithoutInlinedMuxers()],
  streamMuxers: [yamux()],
  services: { identify: identify(), ping: ping(), ...(values.pubsub != null ? { pubsub: pubsubService(values.pubsub) } : {}) },
});
const hub = values.pubsub != null ? { pubsub: values.pubsub, topics: values.subscribe } : {};
if (values.pubsub != null) {
  for (const topic of values.subscribe) node.services.pubsub.subscribe(topic);
  node.services.pubsub.addEventListener('message', (evt) => {
    process.stdout.write(`${JSON.stringify({ message: describeMessage(evt.detail) })}\n`);
  });
}
process.stdout.write(`${JSON.stringify({ listening: node.getMultiaddrs()[0].toString(), ...hub })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.race([node.stop(), new Promise((r) => setTimeout(r, 5000))]);
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
