// libp2p_dial_transport.mjs: the dial-only libp2p transport of libp2p_node.mjs. It opens the socket
// itself (the `ws` package or net.connect) and hands it to libp2p's own upgrader (protector → noise →
// yamux), because @libp2p/websockets does not dial /ws/http-path/… and Node 20 has no global
// WebSocket. Import it only after the Promise.withResolvers polyfill (libp2p 3 targets Node 22).
import { once } from 'node:events';
import net from 'node:net';
import { AbstractMultiaddrConnection } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import WebSocket from 'ws';

// libp2p 3 MultiaddrConnections are event-based message streams; these mirror what @libp2p/tcp
// and @libp2p/websockets build internally (pnet_libp2p_dial.mjs uses them too).
export class TcpConnection extends AbstractMultiaddrConnection {
  constructor(socket, remoteAddr, log) {
    super({ remoteAddr, direction: 'outbound', log });
    this.socket = socket;
    socket.on('data', (buf) => this.onData(buf));
    socket.on('drain', () => this.safeDispatchEvent('drain'));
    socket.on('error', (err) => this.abort(err));
    socket.on('close', () => this.onTransportClosed());
  }
  sendData(data) {
    let canSendMore = true;
    for (const buf of data) canSendMore = this.socket.write(buf);
    return { sentBytes: data.byteLength, canSendMore };
  }
  async sendClose() {
    await new Promise((resolve) => this.socket.end(resolve));
    this.socket.destroy();
  }
  sendReset() { this.socket.resetAndDestroy(); }
  sendPause() { this.socket.pause(); }
  sendResume() { this.socket.resume(); }
}

// One binary frame is one stream chunk; frame boundaries carry no meaning. 'outbound' for our
// dialer; the js gateway in bench/peers/libp2p wraps the sockets it accepts as 'inbound'.
export class WsConnection extends AbstractMultiaddrConnection {
  constructor(ws, remoteAddr, log, direction = 'outbound') {
    super({ remoteAddr, direction, log });
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.onData(data);
      else this.abort(new Error('unexpected WebSocket text frame'));
    });
    ws.on('error', (err) => this.abort(err));
    ws.on('close', () => this.onTransportClosed());
  }
  // ws queues without limit; the traffic here is small, so there is no backpressure to report.
  sendData(data) {
    for (const buf of data) this.ws.send(buf, { binary: true });
    return { sentBytes: data.byteLength, canSendMore: true };
  }
  async sendClose() {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await once(this.ws, 'close');
  }
  sendReset() { this.ws.terminate(); }
  sendPause() { this.ws.pause(); }
  sendResume() { this.ws.resume(); }
}

// What a multiaddr of ours means: {host, port} for raw TCP, or {url} for
// /ip4|ip6|dns/H/tcp/P/(ws|wss|tls/ws)[/http-path/<pct>]; a trailing /p2p/<id> is the upgrader's.
function dialTarget(ma) {
  const parts = ma.getComponents();
  if (parts.at(-1)?.name === 'p2p') parts.pop();
  const [h, t, ...rest] = parts;
  if (!['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(h?.name) || t?.name !== 'tcp') return null;
  const host = h.value;
  const port = Number(t.value);
  if (rest.length === 0) return { host, port };
  let scheme;
  if (rest[0].name === 'tls' && rest[1]?.name === 'ws') { rest.splice(0, 2); scheme = 'wss'; }
  else if (rest[0].name === 'ws' || rest[0].name === 'wss') scheme = rest.shift().name;
  else return null;
  let path = '/';
  if (rest[0]?.name === 'http-path') path = rest.shift().value.replace(/^(?!\/)/, '/');
  if (rest.length !== 0) return null;
  return { url: `${scheme}://${h.name === 'ip6' ? `[${host}]` : host}:${port}${path}` };
}

// The inverse, for the command line: --tcp HOST:PORT or --ws URL → a multiaddr.
export function toMultiaddr({ tcp, ws }) {
  const hostPart = (host) => (net.isIPv4(host) ? `/ip4/${host}` : net.isIPv6(host) ? `/ip6/${host}` : `/dns/${host}`);
  if (tcp != null) {
    const colon = tcp.lastIndexOf(':');
    const host = tcp.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    const port = Number(tcp.slice(colon + 1));
    if (colon < 1 || !Number.isInteger(port)) throw new Error(`--tcp wants HOST:PORT, got "${tcp}"`);
    return multiaddr(`${hostPart(host)}/tcp/${port}`);
  }
  const url = new URL(ws);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`--ws wants a ws:// or wss:// URL, got "${ws}"`);
  const port = url.port !== '' ? url.port : url.protocol === 'wss:' ? 443 : 80;
  const path = `${url.pathname}${url.search}`.slice(1);
  const httpPath = path === '' ? '' : `/http-path/${encodeURIComponent(path)}`;
  return multiaddr(`${hostPart(url.hostname.replace(/^\[(.*)\]$/, '$1'))}/tcp/${port}/${url.protocol === 'wss:' ? 'tls/ws' : 'ws'}${httpPath}`);
}

async function openSocket(target, ma, signal, log) {
  if (target.url == null) {
    const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
    await once(socket, 'connect', { signal }).catch((err) => { socket.destroy(); throw err; });
    return new TcpConnection(socket, ma, log);
  }
  const ws = new WebSocket(target.url);
  let conn;
  // Wrap on 'upgrade', before ws starts reading: the gateway's pnet nonce can share a TCP segment
  // with the 101 reply, and ws would emit it before an await on 'open' could resume.
  ws.once('upgrade', () => { conn = new WsConnection(ws, ma, log); });
  await once(ws, 'open', { signal }).catch((err) => { ws.terminate(); throw err; });
  return conn;
}

// A dial-only libp2p transport: opens the socket, then protector → noise → yamux by libp2p itself.
export class GatewayDialer {
  [Symbol.for('@libp2p/transport')] = true;
  [Symbol.toStringTag] = 'libp2p-node:gateway-dialer';
  constructor(components) { this.log = components.logger.forComponent('libp2p-node:dialer'); }

  async dial(ma, options) {
    const target = dialTarget(ma);
    this.log('dialing %s', target.url ?? `${target.host}:${target.port}`);
    const maConn = await openSocket(target, ma, options.signal, this.log);
    try {
      return await options.upgrader.upgradeOutbound(maConn, options);
    } catch (err) {
      maConn.abort(err);
      throw err;
    }
  }

  dialFilter(addrs) { return addrs.filter((ma) => dialTarget(ma) != null); }
  listenFilter() { return []; }
  createListener() { throw new Error('libp2p_node.mjs only dials'); }
}
