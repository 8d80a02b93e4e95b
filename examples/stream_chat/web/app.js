// The chat page's logic: connect with sealed-stream.js (token = name), join a room, send and show
// `chat` events. Everything after `connected` is encrypted by the module. When the server goes
// away (a restart) the module reconnects with backoff, runs a new handshake and joins the room
// again; #connection shows where that stands, and sending waits until the room is joined again.
import { connect } from './sealed-stream.js';

const $ = (id) => document.getElementById(id);
const streamUrl = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/stream`;

let session = null;
let currentRoom = null;

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

// #connection: data-state is one of connecting | connected | reconnecting | reconnected | disconnected.
function setConnection(state, text) {
  $('connection').dataset.state = state;
  $('connection').textContent = text;
}

function logLine(name, text, mine) {
  const item = document.createElement('li');
  item.textContent = `${name}: ${text}`;  // textContent: messages are never parsed as HTML
  if (mine) item.className = 'mine';
  $('log').append(item);
  $('log').scrollTop = $('log').scrollHeight;
}

let connecting = null;  // a second click while connecting waits for the same connection

function ensureSession(name) {
  if (session) return Promise.resolve(session);
  connecting ??= openSession(name).finally(() => { connecting = null; });
  return connecting;
}

async function openSession(name) {
  setStatus('connecting…');
  setConnection('connecting', 'connecting…');
  try {
    session = await connect(streamUrl, { token: name });
  } catch (err) {
    setConnection('disconnected', 'not connected');
    throw err;
  }
  setStatus('connected');
  setConnection('connected', 'connected');
  session.on('joined', ({ rooms }) => {
    if (!rooms.length) return setStatus('room refused by the server', true);
    currentRoom = rooms.at(-1);
    setStatus(`joined ${rooms.join(', ')}`);
    $('send').disabled = false;
  });
  session.on('chat', ({ name: from, text }) => logLine(from, text, false));
  session.on('error', ({ message, code }) => setStatus(`error: ${message}${code ? ` (${code})` : ''}`, true));
  // The server went away: sends would be refused until the module is back, so the button waits.
  session.on('reconnecting', ({ attempt, delayMs, code }) => {
    $('send').disabled = true;
    setConnection('reconnecting', `reconnecting (attempt ${attempt}, in ${delayMs} ms; last close ${code})`);
    setStatus(currentRoom ? `offline: you will be back in ${currentRoom} when the server is` : 'offline');
  });
  // The module has joined the room again; its `joined` answer enables sending.
  session.on('reconnected', ({ attempts }) => {
    setConnection('reconnected', `reconnected (after ${attempts} attempt${attempts === 1 ? '' : 's'})`);
    setStatus(currentRoom ? `rejoining ${currentRoom}…` : 'connected');
  });
  session.closed.then(({ code, reason }) => {
    session = null;
    currentRoom = null;
    $('send').disabled = true;
    setStatus(`disconnected (${code}${reason ? ` ${reason}` : ''})`, code !== 1000);
    setConnection('disconnected', `disconnected (${code})`);
  });
  return session;
}

$('join-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = $('name').value.trim();
  const room = $('room').value.trim();
  if (!name || !room) return;
  try {
    const s = await ensureSession(name);
    if (currentRoom && currentRoom !== room) await s.leave(currentRoom);
    await s.join(room);
  } catch (err) {
    setStatus(err.message, true);
  }
});

$('send-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('message').value;
  if (!session || !currentRoom || !text) return;
  const name = $('name').value.trim();
  try {
    await session.send('chat', { room: currentRoom, name, text });
    logLine(name, text, true);
    $('message').value = '';
  } catch (err) {
    // While reconnecting the module refuses sends (nothing is queued): the text stays in the box.
    setStatus(err.message, true);
  }
});
