#!/usr/bin/env bun
// ignis_node.mjs PORT REDIS_PORT [--path /stream]: a real IGNIS WebSocket node (npm @venizia/ignis
// 0.0.7, its WebSocketComponent on Bun) serving stream_chat's app, on 127.0.0.1:PORT and sharing
// the Redis on 127.0.0.1:REDIS_PORT with sealed processes. Run under Bun from npm:
//   tests/interop/node_modules/.bin/bun tests/interop/ignis_node.mjs 9301 6379
// The app parts are ours: the auth hook (any non-empty token is the user id, as stream_chat's
// default), the ECDH handshake with IGNIS's ECDH helper, the outboundTransformer, and stream_chat's
// events (join/leave → joined, chat → the room's others with from/time, echo → back).
// stdout: "listening on 127.0.0.1:PORT" once ready, then one JSON line per stdin command:
//   {"call":"send","destination":"lobby","topic":"news","data":{…}}  → the server helper's send()
//   {"call":"clients"}                                               → {"clients":[{id,userId,rooms}]}
// IGNIS's own log goes to stderr (warnings and errors; everything with IGNIS_NODE_VERBOSE=1).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const [portArg, redisPortArg] = process.argv.slice(2);
const pathIndex = process.argv.indexOf('--path');
const wsPath = pathIndex > 0 ? process.argv[pathIndex + 1] : '/stream';
const port = Number(portArg);
const redisPort = Number(redisPortArg);
if (!Number.isInteger(port) || port <= 0 || !Number.isInteger(redisPort) || redisPort <= 0) {
  console.error('usage: bun tests/interop/ignis_node.mjs PORT REDIS_PORT [--path /stream]');
  process.exit(2);
}
if (typeof Bun === 'undefined') {
  console.error('ignis_node.mjs runs under Bun (IGNIS\'s WebSocketComponent refuses Node)');
  process.exit(2);
}

// IGNIS's logger opens rotating log files in APP_ENV_LOGGER_FOLDER_PATH (default: the working
// folder) when its module loads: give it a folder of our own, removed on exit.
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ignis-node-'));
process.env.APP_ENV_LOGGER_FOLDER_PATH = logDir;
const { BaseApplication, WebSocketBindingKeys, WebSocketComponent } = await import('@venizia/ignis');
const { ECDH, RedisHelper, applicationLogger } = await import('@venizia/ignis-helpers');

// stdout is this script's protocol: IGNIS's console lines go to stderr, its files nowhere.
const verbose = process.env.IGNIS_NODE_VERBOSE === '1';
for (const transport of [...applicationLogger.transports]) {
  if (transport.name !== 'console') {
    transport.silent = true;
    continue;
  }
  transport.level = verbose ? 'debug' : 'warn';
  transport.stderrLevels = Object.fromEntries(Object.keys(applicationLogger.levels).map((l) => [l, true]));
}
const say = (value) => process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);

const ecdh = new ECDH();
const keys = new Map();           // client id → AES-GCM session key (CryptoKey)
const connectedSent = new Set();  // clients whose `connected` went out in clear
let ws = null;                    // IGNIS's WebSocketServerHelper, once the component made it

// The rule IGNIS's own join applies: non-empty strings up to 256 characters, not "ws:…".
const roomNames = (data) => (Array.isArray(data?.rooms) ? data.rooms : []).filter(
  (r) => typeof r === 'string' && r.length > 0 && r.length <= 256 && !r.startsWith('ws:'));

const appError = (clientId, message, code) =>
  ws.sendToClient({ clientId, event: 'error', data: { message, code } });

// Joins are allowed for every room; the client hears which (stream_chat's `joined`). Called by
// IGNIS for clear joins (its validateRoomFn, which joins what it returns) and by us for sealed
// ones. `joined` goes out after IGNIS has joined the rooms (a later tick).
function allowRooms({ clientId, rooms }) {
  setTimeout(() => ws.sendToClient({ clientId, event: 'joined', data: { rooms } }), 0);
  return rooms;
}

function chat(clientId, data) {
  const { room, text } = data ?? {};
  if (typeof room !== 'string' || typeof text !== 'string') {
    appError(clientId, 'chat needs room and text', 'invalid_chat');
    return;
  }
  if (!ws.getClients({ id: clientId })?.rooms.has(room)) {
    appError(clientId, 'Not in room', 'not_in_room');
    return;
  }
  const out = { ...data, from: clientId, time: new Date().toISOString() };
  // To the room's members here and on every other node but the sender. The helper's send() has
  // no exclude, so do what it does (local fan-out, one publish on ws:room:<room>) with one.
  ws.sendToRoom({ room, event: 'chat', data: out, exclude: [clientId] });
  ws.publishToRedis({ type: 'room', target: room, event: 'chat', data: out, exclude: [clientId] });
}

// One inner event of a client (opened from `encrypted`, or sent in clear: IGNIS serves both).
function dispatch(clientId, { event, data }) {
  switch (event) {
    case 'join': {
      const rooms = roomNames(data);
      if (!rooms.length) return;  // IGNIS's join: nothing left, nothing done
      for (const room of allowRooms({ clientId, rooms })) ws.joinRoom({ clientId, room });
      return;
    }
    case 'leave': {
      // IGNIS's leave: only rooms joined, so its internal topics stay.
      const client = ws.getClients({ id: clientId });
      for (const room of roomNames(data)) if (client?.rooms.has(room)) ws.leaveRoom({ clientId, room });
      return;
    }
    case 'heartbeat': return;
    case 'echo': ws.sendToClient({ clientId, event: 'echo', data }); return;
    case 'chat': chat(clientId, data); return;
    default: appError(clientId, 'Unknown event', 'unknown_event');
  }
}

// Opening inbound frames is the app's job in IGNIS. Decryption is asynchronous, so each
// client's frames are opened one after another: a chat then an echo are handled in that order.
const inboxes = new Map();  // client id → the promise of its last frame
function onMessage(opts) {
  const next = (inboxes.get(opts.clientId) ?? Promise.resolve()).then(() => openAndDispatch(opts));
  inboxes.set(opts.clientId, next);
  return next;
}

async function openAndDispatch({ clientId, message }) {
  if (message.event !== 'encrypted') {
    dispatch(clientId, message);
    return;
  }
  const key = keys.get(clientId);
  let inner;
  try {
    inner = JSON.parse(await ecdh.decrypt({ secret: key, message: message.data }));
  } catch {
    inner = null;
  }
  if (!key || typeof inner?.event !== 'string') {
    appError(clientId, 'Decryption failed', 'decrypt_failed');
    ws.getClients({ id: clientId })?.socket.close(4003, 'Decryption failed');
    return;
  }
  dispatch(clientId, inner);
}

// The ECDH handshake (IGNIS's ECDH helper); the key may be named either way. null: IGNIS sends
// "Encryption handshake failed" and closes 4004.
async function handshake({ clientId, data }) {
  const clientKey = data?.clientPublicKey ?? data?.publicKey;
  if (typeof clientKey !== 'string') return null;
  try {
    const peerPublicKey = await ecdh.importPublicKey({ rawKeyB64: clientKey });
    const { keyPair, publicKeyB64 } = await ecdh.generateKeyPair();
    const { key, salt } = await ecdh.deriveAESKey({ privateKey: keyPair.privateKey, peerPublicKey });
    keys.set(clientId, key);
    return { serverPublicKey: publicKeyB64, salt };
  } catch {
    return null;
  }
}

// IGNIS's documented transformer ("encrypt if client.encrypted") would seal `connected` too (IGNIS
// enables encryption before sending it), and then no client could read serverPublicKey: the first
// `connected` goes out in clear (null: IGNIS sends it unchanged).
async function outbound({ client, event, data }) {
  if (!client.encrypted) return null;
  if (event === 'connected' && !connectedSent.has(client.id)) {
    connectedSent.add(client.id);
    return null;
  }
  const key = keys.get(client.id);
  if (!key) return null;
  return { event: 'encrypted', data: await ecdh.encrypt({ secret: key, message: JSON.stringify({ event, data }) }) };
}

class IgnisChatNode extends BaseApplication {
  getAppInfo() { return { name: 'ignis-chat-node', version: '0.0.0', description: 'interop test node' }; }
  staticConfigure() {}
  setupMiddlewares() {}
  postConfigure() {}
  preConfigure() {
    const redis = new RedisHelper({ name: 'ignis-chat-node', host: '127.0.0.1', port: redisPort, autoConnect: false });
    const bind = (key, value) => this.bind({ key }).toValue(value);
    bind(WebSocketBindingKeys.SERVER_OPTIONS, { identifier: 'ignis-chat-node', path: wsPath, requireEncryption: true });
    bind(WebSocketBindingKeys.REDIS_CONNECTION, redis);
    bind(WebSocketBindingKeys.AUTHENTICATE_HANDLER,
      ({ token }) => (typeof token === 'string' && token.length ? { userId: token } : null));
    bind(WebSocketBindingKeys.VALIDATE_ROOM_HANDLER, allowRooms);
    bind(WebSocketBindingKeys.CLIENT_DISCONNECTED_HANDLER, ({ clientId }) => {
      keys.delete(clientId);
      connectedSent.delete(clientId);
      inboxes.delete(clientId);
    });
    bind(WebSocketBindingKeys.MESSAGE_HANDLER, onMessage);
    bind(WebSocketBindingKeys.OUTBOUND_TRANSFORMER, outbound);
    bind(WebSocketBindingKeys.HANDSHAKE_HANDLER, handshake);
    this.component(WebSocketComponent);
  }
}

function command(line) {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch {
    say({ ok: false, error: 'not JSON' });
    return;
  }
  if (cmd.call === 'send') {
    ws.send({ destination: cmd.destination, payload: { topic: cmd.topic, data: cmd.data } });
    say({ ok: true, call: 'send' });
  } else if (cmd.call === 'clients') {
    const clients = [...ws.getClients().values()].map((c) => ({ id: c.id, userId: c.userId, rooms: [...c.rooms] }));
    say({ ok: true, clients });
  } else {
    say({ ok: false, error: `unknown call ${cmd.call}` });
  }
}

const cleanup = () => fs.rmSync(logDir, { recursive: true, force: true });
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));

const app = new IgnisChatNode({ scope: 'IgnisChatNode', config: { host: '127.0.0.1', port, path: { base: '/api', isStrict: true } } });
app.init();
try {
  await app.start();  // the component's post-start hook makes the helper and binds it
  ws = app.get({ key: WebSocketBindingKeys.WEBSOCKET_INSTANCE });
} catch (error) {
  console.error(`ignis_node: cannot start: ${error?.stack ?? error}`);
  process.exit(1);
}
say(`listening on 127.0.0.1:${port}`);
readline.createInterface({ input: process.stdin }).on('line', command);
