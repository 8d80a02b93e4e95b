#!/usr/bin/env node
// The reference PeerJS broker for the signaling benchmark: npm `peer` 1.0.2 (what the `peerjs`
// CLI runs), started the way bench/run starts every peer.
//   node bench/peers/signaling/server.mjs --listen 127.0.0.1:0 [--concurrent_limit N]
// First stdout line: `listening on HOST:PORT`. SIGTERM/SIGINT exit 0.
// The default concurrent_limit (5 000) is raised to 20 000 so the 10 000-socket idle cell fits,
// as peer_broker's is in the bench; nothing else differs from `peerjs --port P`.
import { createRequire } from 'node:module';
import { parseListen } from '../listen.mjs';

// npm packages live in tests/interop/node_modules (see tests/interop/README.md).
const require = createRequire(new URL('../../../tests/interop/package.json', import.meta.url));
const { PeerServer } = require('peer');

function parseArgs(argv) {
  const opts = { host: '127.0.0.1', port: 0, concurrent_limit: 20000 };
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${argv[i]} needs a value`);
    switch (argv[i]) {
      case '--listen': Object.assign(opts, parseListen(value)); break;
      case '--concurrent_limit': opts.concurrent_limit = Number(value); break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const server = PeerServer({ host: opts.host, port: opts.port, path: '/', concurrent_limit: opts.concurrent_limit },
  (http) => {
    const { address, port } = http.address();
    console.log(`listening on ${address}:${port}`);
  });
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
export { server };
