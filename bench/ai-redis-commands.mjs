// How many Redis commands one AI answer costs with the Redis job queue, and which: starts the fake model and
// wx-backend (dist/server.js) on REDIS_URL under a prefix of its own, sends encrypted text messages the way the AI
// benchmark does (one at a time per user), and prints the Redis server's `INFO commandstats` difference per
// message (commands run inside scripts count too). A tool for finding work to cut, not a benchmark: client and
// server share the CPUs, and any other client of that Redis during the run is counted as well.
//
//   REDIS_URL=redis://127.0.0.1:6379 node bench/ai-redis-commands.mjs [--messages 500] [--users 10] [--think 50]
import { spawn } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { aiServerEnv } from './ai-bench.mjs';
import { openBenchRedis } from './ai-redis-prefix.mjs';
import { loadCreds, makeRequest } from './reference/lib/proto.mjs';

const repoRoot = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { messages: { type: 'string', default: '500' }, users: { type: 'string', default: '10' }, think: { type: 'string', default: '50' } } });
const MESSAGES = Number(values.messages);
const USERS = Number(values.users);
/** Milliseconds a user waits after a reply before the next message. */
const THINK_MS = Number(values.think);
const WARM_UP = 200;
if (!process.env.REDIS_URL) {
  console.error('set REDIS_URL (e.g. redis://127.0.0.1:6379)');
  process.exit(1);
}

const bench = await openBenchRedis(process.env.REDIS_URL);
const prefix = bench.newPrefix();
const children = [];
const stopAll = () => children.forEach((child) => child.kill('SIGTERM'));
try {
  const fake = spawn(process.execPath, [path.join(repoRoot, 'bench/ai-fake-model.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(fake);
  const fakePort = await new Promise((resolve) => readline.createInterface({ input: fake.stdout }).once('line', (line) => resolve(JSON.parse(line).port)));
  fake.stdout.resume();
  const port = await freePort();
  const creds = loadCreds();
  const server = spawn(process.execPath, ['dist/server.js'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...aiServerEnv({ creds, mode: 'aes', fakePort, tokenFile: path.join(os.tmpdir(), `wxbench-${process.pid}-token.json`) }),
      PORT: String(port),
      REDIS_URL: process.env.REDIS_URL,
      REDIS_PREFIX: prefix,
    },
  });
  children.push(server);
  await untilListening(port);

  const openids = Array.from({ length: USERS }, (_, index) => `oBenchRedis${String(index).padStart(17, '0')}`);
  let next = 3_000_000;
  const send = async (openid) => {
    const { path: target, body } = makeRequest(creds, next++, 'aes', openid);
    const startedAt = performance.now();
    const response = await fetch(`http://127.0.0.1:${port}${target}`, { method: 'POST', body });
    const text = await response.text();
    if (!text.includes('<Encrypt>')) throw new Error(`not a passive reply (HTTP ${response.status})`);
    return performance.now() - startedAt;
  };
  // Each user sends its next message when the reply to the previous one came (as in the AI benchmark).
  const run = async (count) => {
    const latencies = [];
    await Promise.all(openids.map(async (openid, user) => {
      for (let index = user; index < count; index += USERS) {
        latencies.push(await send(openid));
        await sleep(THINK_MS);
      }
    }));
    return latencies.sort((a, b) => a - b);
  };
  await run(WARM_UP);
  const before = await commandStats(bench.redis);
  const latencies = await run(MESSAGES);
  const after = await commandStats(bench.redis);

  const rows = [...after].map(([command, calls]) => [command, (calls - (before.get(command) ?? 0)) / MESSAGES]).filter(([, perMessage]) => perMessage > 0.005);
  rows.sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, perMessage]) => sum + perMessage, 0);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(2);
  console.log(`${MESSAGES} messages from ${USERS} users (after ${WARM_UP} to warm up); reply time p50 ${at(0.5)} ms, p99 ${at(0.99)} ms (unpinned, client on the same machine)`);
  console.log(`Redis commands per message: ${total.toFixed(1)} (inside scripts included)`);
  for (const [command, perMessage] of rows) console.log(`  ${command.padEnd(18)} ${perMessage.toFixed(2)}`);
} finally {
  stopAll();
  await sleep(1_500);
  console.log(`Redis keys deleted: ${await bench.deleteKeys(prefix)}`);
  await bench.close();
}

/** `INFO commandstats` as command → calls. */
async function commandStats(redis) {
  const stats = new Map();
  for (const match of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) stats.set(match[1], Number(match[2]));
  return stats;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

async function untilListening(port) {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error('wx-backend did not listen within 30 s (is dist/ built? npm run build)');
}
