// libp2p_pubsub.mjs: the pubsub service that libp2p_node.mjs and libp2p_test_listener.mjs run
// (--pubsub gossipsub|floodsub), configured for nodes behind one hub, plus small helpers.
// Import it only after the Promise.withResolvers polyfill (libp2p 3 targets Node 22).
import { gossipsub } from '@libp2p/gossipsub';
import { floodsub } from '@libp2p/floodsub';

export const PUBSUB_KINDS = ['gossipsub', 'floodsub'];

// The service factory for `services.pubsub`. Both keep StrictSign (the default: every message is
// signed by its author, and unsigned ones are rejected; `unsigned`: StrictNoSign, for testing a
// hub's refusal) and do not deliver their own messages.
export function pubsubService(kind, { unsigned = false } = {}) {
  const globalSignaturePolicy = unsigned ? 'StrictNoSign' : 'StrictSign';
  if (kind === 'floodsub') return floodsub({ globalSignaturePolicy, emitSelf: false });
  if (kind !== 'gossipsub') throw new Error(`--pubsub must be one of ${PUBSUB_KINDS.join('|')}, got "${kind}"`);
  return gossipsub({
    globalSignaturePolicy,
    emitSelf: false,
    // Own messages go to every peer subscribed to the topic, not only to mesh peers: a hub that
    // never GRAFTs back (a floodsub router under meshsub ids) still gets them.
    floodPublish: true,
    // /floodsub/1.0.0 is offered after /meshsub/1.2.0, 1.1.0 and 1.0.0 (the default, made explicit).
    fallbackToFloodsub: true,
    allowPublishToZeroTopicPeers: false,
    // Peer scoring counts peers per IP. Every peer of a hub on 127.0.0.1 (or behind one NAT) shares
    // one address; by default the 11th and later lose score quadratically and from ~14 on are
    // graylisted (their RPCs silently dropped). Colocation says nothing in these tests: off.
    scoreParams: { IPColocationFactorWeight: 0 },
  });
}

// The protocol ids a pubsub service registers, most preferred first.
export function pubsubProtocols(service) {
  return Array.isArray(service.protocols) ? [...service.protocols] : [service.protocol];
}

// The protocol of the pubsub stream on `conn` in `direction` ('outbound': ours, 'inbound': the
// remote's own stream to us), or null while there is none.
export function pubsubStream(service, conn, direction) {
  const protocols = pubsubProtocols(service);
  const stream = conn.streams.find((s) => s.direction === direction && protocols.includes(s.protocol) && s.status === 'open');
  return stream?.protocol ?? null;
}

// Resolves once check() is truthy (polled every 25 ms); rejects when signal aborts.
export async function until(check, signal) {
  while (!check()) {
    signal?.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// A received pubsub message as the scripts report it.
export function describeMessage(msg) {
  return { topic: msg.topic, data: new TextDecoder().decode(msg.data), from: msg.from?.toString() ?? null };
}
