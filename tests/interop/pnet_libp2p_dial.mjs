#!/usr/bin/env node
// pnet_libp2p_dial.mjs: a dialer whose private-network layer is js-libp2p's own @libp2p/pnet
// (preSharedKey(...).protect()), to show a server speaks libp2p pnet v1 byte for byte. Over the
// protected stream it runs multistream-select 1.0.0 for /ipfs/ping/1.0.0 and pings N times.
//   node tests/interop/pnet_libp2p_dial.mjs (--tcp HOST:PORT | --ws ws://HOST:PORT/PATH)
//     --psk-file FILE [--count N] [--timeout-ms MS]
// Prints one JSON line ({"ok":true,"pings":N} or {"ok":false,"error":…}); exit status 0 or 1.
// DEBUG='pnet-libp2p-dial*' logs libp2p's internals to stderr.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { logger } from '@libp2p/logger';
import { preSharedKey } from '@libp2p/pnet';
import { byteStream, ipPortToMultiaddr } from '@libp2p/utils';
import WebSocket from 'ws';
import { TcpConnection, WsConnection } from './libp2p_dial_transport.mjs';

// @libp2p/utils 7.x calls Promise.withResolvers (Node 22+) at run time; Node 20 lacks it.
Promise.withResolvers ??= () => {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
};

const MULTISTREAM = '/multistream/1.0.0\n';
const PING = '/ipfs/ping/1.0.0\n';
const NA = 'na\n';
const PING_SIZE = 32;

const log = logger('pnet-libp2p-dial');
let transport; // torn down on failure so the peer sees a reset rather than a dangling socket

async function dialTcp(target) {
  const colon = target.lastIndexOf(':');
  const host = target.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(target.slice(colon + 1));
  if (colon < 1 || !Number.isInteger(port)) throw new Error(`--tcp wants HOST:PORT, got "${target}"`);
  const socket = net.connect({ host, port });
  transport = { abort: () => socket.destroy() };
  await once(socket, 'connect');
  return new TcpConnection(socket, ipPortToMultiaddr(socket.remoteAddress, socket.remotePort), log);
}

async function dialWs(url) {
  const ws = new WebSocket(url);
  transport = { abort: () => ws.terminate() };
  let conn;
  // Wrap on 'upgrade', before ws starts reading: the server's nonce can share a TCP segment with
  // the 101 reply, and ws would emit it before an await on 'open' could resume.
  ws.once('upgrade', (res) => {
    conn = new WsConnection(ws, ipPortToMultiaddr(res.socket.remoteAddress, res.socket.remotePort).encapsulate('/ws'), log);
  });
  await once(ws, 'open');
  return conn;
}

function frame(...messages) {
  const out = [];
  for (const message of messages) {
    const body = Buffer.from(message);
    let n = body.length;
    for (; n >= 0x80; n >>>= 7) out.push((n & 0x7f) | 0x80);
    out.push(n, ...body);
  }
  return Uint8Array.from(out);
}

// Every acceptable message is under 128 bytes and unsigned varints are minimal, so its prefix is
// one byte. Checking it before the body makes a wrong PSK (which decrypts to noise) fail at once
// instead of waiting for a noise-sized body that never comes.
async function readMessage(bytes, acceptable) {
  const wanted = acceptable.map((m) => JSON.stringify(m)).join(' or ');
  const length = (await bytes.read({ bytes: 1 })).get(0);
  if (!acceptable.some((m) => m.length === length)) throw new Error(`expected ${wanted}, got length prefix 0x${length.toString(16)}`);
  const message = Buffer.from((await bytes.read({ bytes: length })).subarray()).toString('latin1');
  if (!acceptable.includes(message)) throw new Error(`expected ${wanted}, got ${JSON.stringify(message)}`);
  return message;
}

async function run(opts, signal) {
  // Constructing the protector parses the PSK, so a bad key file fails before any dialling.
  const protector = preSharedKey({ psk: new Uint8Array(readFileSync(opts['psk-file'])) })();
  const raw = opts.tcp != null ? await dialTcp(opts.tcp) : await dialWs(opts.ws);
  transport = raw;
  // Without a signal protect() gives the nonce exchange its own 1 s limit; let --timeout-ms rule.
  const conn = await protector.protect(raw, { signal });
  const bytes = byteStream(conn);

  await bytes.write(frame(MULTISTREAM, PING));
  await readMessage(bytes, [MULTISTREAM]);
  if (await readMessage(bytes, [PING, NA]) === NA) throw new Error(`listener refused ${PING.trim()} (na)`);

  for (let i = 1; i <= opts.count; i++) {
    const sent = crypto.getRandomValues(new Uint8Array(PING_SIZE));
    await bytes.write(sent);
    const echoed = (await bytes.read({ bytes: PING_SIZE })).subarray();
    if (!Buffer.from(echoed).equals(sent)) throw new Error(`ping ${i}: echo differs from the bytes sent`);
  }
  await conn.close();
}

function finish(result) {
  if (!result.ok) transport?.abort(new Error(result.error));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.ok ? 0 : 1);
}

function options() {
  const { values } = parseArgs({
    options: {
      tcp: { type: 'string' },
      ws: { type: 'string' },
      'psk-file': { type: 'string' },
      count: { type: 'string', default: '3' },
      'timeout-ms': { type: 'string', default: '10000' },
    },
  });
  if ((values.tcp == null) === (values.ws == null)) throw new Error('give exactly one of --tcp HOST:PORT or --ws URL');
  if (values['psk-file'] == null) throw new Error('--psk-file is required');
  const count = Number(values.count);
  const timeoutMs = Number(values['timeout-ms']);
  if (!Number.isInteger(count) || count < 0) throw new Error(`--count must be a non-negative integer, got "${values.count}"`);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new Error(`--timeout-ms must be a positive integer, got "${values['timeout-ms']}"`);
  return { ...values, count, timeoutMs };
}

try {
  const opts = options();
  const controller = new AbortController();
  // The deadline ends the process, whatever is still pending. A ref'd timer, as
  // AbortSignal.timeout's is not, so it fires even once every socket has gone quiet.
  setTimeout(() => controller.abort(), opts.timeoutMs);
  controller.signal.addEventListener('abort', () => finish({ ok: false, error: 'timeout' }));
  run(opts, controller.signal).then(
    () => finish({ ok: true, pings: opts.count }),
    (err) => finish({ ok: false, error: err?.message ?? String(err) }),
  );
} catch (err) {
  finish({ ok: false, error: err.message });
}
