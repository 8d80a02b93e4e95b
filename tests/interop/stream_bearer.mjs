// stream_bearer.mjs WITH_URL WITHOUT_URL: sealed-stream.js's `bearer` option against two
// stream_chat servers, one with --bearer-subprotocol and one without. With it, the token sent as
// the sealed.bearer.<token> subprotocol is the user id (stream_chat's rule: the token is the
// user) and an encrypted join round trip works; without it, the upgrade answers no subprotocol
// and the client refuses the connection. A token that cannot go in a header never leaves.
// Prints one JSON line; exit 0 only when every check held.
import WebSocket from 'ws';
import { connect } from '../../plugins/ecdh_gcm/js/sealed-stream.js';

const [withUrl, withoutUrl] = process.argv.slice(2);
const checks = {};

try {
  const s = await connect(withUrl, { bearer: 'tok-abc_1.2', WebSocket, reconnect: false });
  await s.join('lobby');
  checks.bearerUser = s.userId === 'tok-abc_1.2';
  checks.joined = s.rooms.includes('lobby');
  await s.close();
} catch (e) {
  checks.bearerUser = false;
  checks.error = String(e.message || e);
}

try {
  await connect(withUrl, { bearer: 'has space', WebSocket, reconnect: false });
  checks.badTokenRefused = false;
} catch (e) {
  checks.badTokenRefused = e instanceof TypeError;
}

try {
  const s = await connect(withoutUrl, { bearer: 'tok-abc', WebSocket, reconnect: false });
  checks.withoutFlagRefused = false;
  await s.close();
} catch (e) {
  checks.withoutFlagRefused = /subprotocol/.test(String(e.message || e));
}

const ok = Object.entries(checks).every(([k, v]) => k === 'error' || v === true);
console.log(JSON.stringify({ ok, ...checks }));
process.exit(ok ? 0 : 1);
