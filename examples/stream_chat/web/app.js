// The chat page's logic: connect with sealed-stream.js (token = name), join a room, send and show
// `chat` events. Everything after `connected` is encrypted by the module.
import { connect } from './sealed-stream.js';

const $ = (id) => document.getElementById(id);
const streamUrl = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/stream`;

let session = null;
let currentRoom = null;

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
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
  session = await connect(streamUrl, { token: name });
  setStatus('connected');
  session.on('joined', ({ rooms }) => {
    if (!rooms.length) return setStatus('room refused by the server', true);
    currentRoom = rooms.at(-1);
    setStatus(`joined ${rooms.join(', ')}`);
    $('send').disabled = false;
  });
  session.on('chat', ({ name: from, text }) => logLine(from, text, false));
  session.on('error', ({ message, code }) => setStatus(`error: ${message}${code ? ` (${code})` : ''}`, true));
  session.closed.then(({ code, reason }) => {
    session = null;
    currentRoom = null;
    $('send').disabled = true;
    setStatus(`disconnected (${code}${reason ? ` ${reason}` : ''})`, code !== 1000);
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
    setStatus(err.message, true);
  }
});
