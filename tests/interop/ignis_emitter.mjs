#!/usr/bin/env node
// ignis_emitter.mjs REDIS_PORT PLAN: publishes events into Redis with IGNIS's own publisher,
// WebSocketEmitter from @venizia/ignis-helpers, as an IGNIS app's worker would. PLAN is a JSON
// array of calls, each {"call":"toRoom|toClient|toUser|broadcast", ...its options}, e.g.
//   [{"call":"toRoom","room":"lobby","event":"news","data":{"n":1}}]
// Prints one JSON line ({"ok":true,"published":N} or {"ok":false,"error":…}); exit 0 or 1.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
// The helpers' own files; the package's `exports` map hides them, so go via the entry's folder.
const root = path.dirname(require.resolve('@venizia/ignis-helpers'));
const { WebSocketEmitter } = require(path.join(root, 'modules/socket/websocket/emitter/helper.js'));
const { RedisHelper } = require(path.join(root, 'modules/redis/single.helper.js'));

const [port, planText] = process.argv.slice(2);
const timer = setTimeout(() => finish({ ok: false, error: 'timed out' }), 15000);

function finish(result) {
  clearTimeout(timer);
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(result.ok ? 0 : 1);
}

try {
  const plan = JSON.parse(planText);
  const redis = new RedisHelper({ name: 'sealed-emitter-test', host: '127.0.0.1', port, autoConnect: false });
  const emitter = new WebSocketEmitter({ redisConnection: redis });
  await emitter.configure();
  for (const { call, ...opts } of plan) {
    if (!['toRoom', 'toClient', 'toUser', 'broadcast'].includes(call)) throw new Error(`unknown call ${call}`);
    await emitter[call](opts);
  }
  await emitter.shutdown();
  finish({ ok: true, published: plan.length });
} catch (error) {
  finish({ ok: false, error: String(error?.stack ?? error) });
}
