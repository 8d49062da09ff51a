#!/usr/bin/env node
// `npm run bench`: wx-backend's WeChat callback hot path (POST /wechat) side by side with the reference
// peers of the reference load setup (bench/reference), as same-run ratios. See bench/README.md.
//
// Unlike the reference setup's own run-peers.sh, every server run replays its OWN freshly generated requests: a
// warm-up set and a separate measured set with disjoint MsgIds, and MsgIds never repeat within the whole
// bench. wx-backend de-duplicates by MsgId, so replaying the warm-up's requests would let it answer the
// measured run from its cache.
//
// Usage: node bench/run.mjs [options]          (npm run bench -- [options]; npm builds dist/ first)
//   --mode aes|plain       message mode (default aes)
//   --rounds N             rounds; each round runs every peer once, order rotated (default 3)
//   --duration S           measured seconds per run (default 10)
//   --warmup S             warm-up seconds before each measured run, 0 = none (default 3; 10 with --ai)
//   --connections C        wrk connections (default 50)
//   --only a,b,...         run only these peers (floor-http is always kept: it is the baseline)
//   --peer "name=command"  add a peer (repeatable); runs under bash in bench/reference with PORT and
//                          WECHAT_TOKEN / WECHAT_ENCODING_AES_KEY / WECHAT_APPID / WECHAT_ACCOUNT set, must
//                          serve POST /wechat on 127.0.0.1:$PORT; treated as de-duplicating
//   --requests N           distinct requests per run for non-de-duplicating peers, and the minimum for the
//                          others (default 20000)
//   --min-rate R           lowest req/s a de-duplicating peer's request sets are sized for (default 20000
//                          aes, 40000 plain); a faster earlier run of it or of node-crypto-minimal raises it
//   --json FILE            write the raw results (every run, the summary and the verdict) to FILE
//   --server-cpu N / --load-cpu N   CPUs to pin the server / wrk to when nproc > 1 (default 0 / 1)
//   --keep-temp            keep the temp folder (request files, server logs) and print its path
//   --ai                   instead: the AI gateway overhead benchmark (wx-backend with EXTERNAL_SERVICE_TYPE=openai
//                          on a zero-latency fake model; --connections = concurrent users, default 50; target:
//                          overhead p99 < 5 ms). Takes --mode --rounds --duration (default 30 with --ai) --warmup
//                          --connections --min-rate (default 5000 with --ai) --json --load-cpu --keep-temp,
//                          --server-cpu all|LIST (default all: wx-backend not pinned). With REDIS_URL set, a
//                          fifth run per round, gateway-queue: wx-backend on that Redis (answers through the
//                          BullMQ job queue) under a REDIS_PREFIX of its own, deleted after the run (target:
//                          overhead p99 < 10 ms); without it that run is skipped and said so. And:
//   --think MS             (with --ai) each user waits after a reply before its next message, a random time with
//                          mean MS (exponential, capped at 4 s, so users do not send in lockstep; default 1000;
//                          0 = back to back, which measures throughput rather than overhead: each gateway's
//                          AI messages/s is then checked too, target >= 500)
//   --cpu-prof DIR         write a CPU profile of each wx-backend run to DIR (with --ai: of each measured run)
//   --log-level LEVEL      wx-backend's LOG_LEVEL (default warn; info writes one line per message to stdout)
// Exit code: 0 when every peer ran (the verdict is a report, FAIL included); 1 when a peer failed to start,
// failed its correctness check, or a run produced no result; 2 on bad usage.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuTimes, stealShare, STEAL_WARN_PERCENT } from './cpu-steal.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---- options ---------------------------------------------------------------------------------------

function usage() {
  const text = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  const from = text.findIndex((l) => l.startsWith('// Usage:'));
  const to = text.findIndex((l, i) => i > from && !l.startsWith('//'));
  return text.slice(from, to).map((l) => l.replace(/^\/\/ ?/, '')).join('\n');
}

let o;
try {
  ({ values: o } = parseArgs({
    options: {
      mode: { type: 'string', default: 'aes' },
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string' }, // default 10 (30 with --ai), set below
      warmup: { type: 'string' }, // default 3 (10 with --ai), set below
      connections: { type: 'string', default: '50' },
      only: { type: 'string' },
      peer: { type: 'string', multiple: true, default: [] },
      requests: { type: 'string', default: '20000' },
      'min-rate': { type: 'string' },
      json: { type: 'string' },
      'server-cpu': { type: 'string' },
      'load-cpu': { type: 'string', default: '1' },
      'keep-temp': { type: 'boolean', default: false },
      ai: { type: 'boolean', default: false },
      think: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (e) {
  console.error(`${e.message} (see --help)`);
  process.exit(2);
}
if (o.help) {
  console.log(usage());
  process.exit(0);
}
if (o.ai) {
  // A benchmark of its own (bench/ai-bench.mjs); nothing below runs.
  const { runAiBench } = await import('./ai-bench.mjs');
  process.exit(await runAiBench(o));
}
for (const name of ['think']) {
  if (o[name] !== undefined) {
    console.error(`--${name} applies to --ai only (see --help)`);
    process.exit(2);
  }
}
o.warmup ??= '3';
o.duration ??= '10';
o['server-cpu'] ??= '0';

function usageError(msg) {
  console.error(`${msg} (see --help)`);
  process.exit(2);
}
function int(name, min) {
  const v = Number(o[name]);
  if (!Number.isInteger(v) || v < min) usageError(`--${name} must be an integer >= ${min}`);
  return v;
}
const MODE = o.mode;
if (MODE !== 'aes' && MODE !== 'plain') usageError('--mode must be aes or plain');
const ROUNDS = int('rounds', 1);
const DURATION = int('duration', 1);
const WARMUP = int('warmup', 0);
const CONNS = int('connections', 1);
const NREQ = int('requests', 100);
const SERVER_CPU = int('server-cpu', 0);
const LOAD_CPU = int('load-cpu', 0);
const MIN_RATE = o['min-rate'] === undefined ? (MODE === 'aes' ? 20000 : 40000) : int('min-rate', 1);
const MAX_LINES = 3_000_000; // ~2 GB of wrk memory in aes mode; beyond that something is off
const SAFETY = 1.5; // distinct lines = expected requests x SAFETY

// ---- environment: reference bench dir, wrk, CPUs --------------------------------------------------

// The reference load setup (request builder, wrk script, checker, the two reference peers), kept in the repo.
const SHARED = path.join(repoRoot, 'bench', 'reference');
const need = ['lib/proto.mjs', 'lib/replay.lua', 'lib/check-peer.mjs', 'creds.env',
  'peers/floor-http/server.mjs', 'peers/node-crypto-minimal/server.mjs'];
for (const f of need) {
  if (!fs.existsSync(path.join(SHARED, f))) {
    console.error(`reference bench dir ${SHARED} is missing ${f}`);
    process.exit(1);
  }
}
const REPLAY_LUA = path.join(SHARED, 'lib', 'replay.lua');
const CHECK_PEER = path.join(SHARED, 'lib', 'check-peer.mjs');
const proto = await import(pathToFileURL(path.join(SHARED, 'lib', 'proto.mjs')).href);
const creds = proto.loadCreds();

const wrkVersion = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
if (wrkVersion.error) {
  console.error('install wrk: apt-get install -y wrk');
  process.exit(1);
}
const NCPU = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
let PIN = NCPU > 1;
if (PIN && spawnSync('taskset', ['-c', String(SERVER_CPU), 'true']).status !== 0) {
  console.error(`warning: cannot pin to cpu ${SERVER_CPU} with taskset; running unpinned`);
  PIN = false;
}
const pinned = (cpu, argv) => (PIN ? ['taskset', '-c', String(cpu), ...argv] : argv);

// ---- peers -------------------------------------------------------------------------------------

const credsEnv = {
  WECHAT_TOKEN: creds.token,
  WECHAT_ENCODING_AES_KEY: creds.aesKey,
  WECHAT_APPID: creds.appid,
  WECHAT_ACCOUNT: creds.account,
};
// The project's own configuration, independent of whatever the caller's shell exports.
const OWN_ENV = /^(WECHAT_|EXTERNAL_SERVICE_|REDIS_|LOG_|TOKEN_FILE_PATH$|HOST$|PORT$|DEMO|SIMULATOR)/;
function wxBackendEnv(tmp) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !OWN_ENV.test(k)));
  return {
    ...env,
    HOST: '127.0.0.1',
    WECHAT_TOKEN: creds.token,
    // plain mode benchmarks a plaintext-only account: no EncodingAESKey configured
    ...(MODE === 'aes' ? { WECHAT_AES_KEY: creds.aesKey } : {}),
    WECHAT_APPID: creds.appid,
    EXTERNAL_SERVICE_TYPE: 'echo',
    LOG_DIR: '',
    LOG_LEVEL: o['log-level'],
    NODE_ENV: 'production',
    TOKEN_FILE_PATH: path.join(tmp, 'access_token.json'),
  };
}

// --cpu-prof DIR: node's own profiler in wx-backend (one profile per server start, warm-up included).
function cpuProfArgs() {
  if (o['cpu-prof'] === undefined) return [];
  const dir = path.resolve(o['cpu-prof']);
  fs.mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', '--cpu-prof-dir', dir];
}

// { name, argv, cwd, env(tmp), dedup, floor }
const allPeers = [
  { name: 'floor-http', argv: [process.execPath, 'peers/floor-http/server.mjs'], cwd: SHARED,
    env: () => ({ ...process.env, ...credsEnv }), dedup: false, floor: true },
  { name: 'node-crypto-minimal', argv: [process.execPath, 'peers/node-crypto-minimal/server.mjs'], cwd: SHARED,
    env: () => ({ ...process.env, ...credsEnv }), dedup: false },
  { name: 'wx-backend', argv: [process.execPath, ...cpuProfArgs(), 'dist/server.js'], cwd: repoRoot, env: wxBackendEnv, dedup: true },
];
for (const spec of o.peer) {
  const eq = spec.indexOf('=');
  const name = spec.slice(0, eq);
  if (eq < 1 || !/^[A-Za-z0-9._-]+$/.test(name)) usageError(`bad --peer '${spec}' (want name=command)`);
  if (allPeers.some((p) => p.name === name)) usageError(`peer ${name} given twice`);
  allPeers.push({ name, argv: ['bash', '-c', spec.slice(eq + 1)], cwd: SHARED,
    env: () => ({ ...process.env, ...credsEnv }), dedup: true });
}
const only = o.only === undefined ? null : o.only.split(',').map((s) => s.trim()).filter(Boolean);
for (const n of only ?? []) if (!allPeers.some((p) => p.name === n)) usageError(`--only: unknown peer ${n}`);
const selected = allPeers.filter((p) => !only || p.floor || only.includes(p.name));

let exitCode = 0;
const peerStatus = new Map(); // name -> 'ok' | reason
const wx = selected.find((p) => p.name === 'wx-backend');
if (wx && !fs.existsSync(path.join(repoRoot, 'dist', 'server.js'))) {
  const why = 'dist/server.js not found (build first: npm run build; `npm run bench` does it)';
  if (only?.includes('wx-backend')) {
    peerStatus.set('wx-backend', `FAILED: ${why}`);
    exitCode = 1;
  } else {
    peerStatus.set('wx-backend', `SKIPPED: ${why}`);
  }
}

// ---- temp dir and cleanup ----------------------------------------------------------------------

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'wx-bench-'));
let current = null; // running server: { child, pid, exited }
const children = new Set(); // wrk / checker processes
let cleaned = false;
function cleanupSync() {
  if (cleaned) return;
  cleaned = true;
  if (current) try { process.kill(-current.pid, 'SIGKILL'); } catch { /* gone */ }
  for (const c of children) try { c.kill('SIGKILL'); } catch { /* gone */ }
  if (o['keep-temp']) console.error(`temp folder kept: ${TMP}`);
  else fs.rmSync(TMP, { recursive: true, force: true });
}
process.on('exit', cleanupSync);
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (interrupted) process.exit(130); // second Ctrl-C: leave now (the exit handler still kills)
    interrupted = true;
    console.error(`\n${sig}: stopping`);
    for (const c of children) try { c.kill('SIGTERM'); } catch { /* gone */ }
    stopServer().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}

// ---- servers -----------------------------------------------------------------------------------

// A free port below the ephemeral range (like run-peers.sh): waiting for a port inside that range by
// connecting to it can, rarely, connect the socket to itself.
let nextPort = 18200;
function canListen(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.unref();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
async function freePort() {
  for (let tries = 0; tries < 1000; tries++) {
    const port = nextPort++;
    if (nextPort > 28000) nextPort = 18200;
    if (await canListen(port)) return port;
  }
  throw new Error('no free port in 18200-28000');
}
function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}
const groupAlive = (pid) => { try { process.kill(-pid, 0); return true; } catch { return false; } };

// Starts a peer in its own process group (session), pinned to the server CPU; resolves to its port
// once it accepts connections. Throws if it exits or does not listen within 30 s.
async function startServer(peer, log) {
  const port = await freePort();
  const fd = fs.openSync(log, 'a');
  const [cmd, ...args] = pinned(SERVER_CPU, peer.argv);
  const child = spawn(cmd, args, { cwd: peer.cwd, env: { ...peer.env(TMP), PORT: String(port) },
    detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const srv = { child, pid: child.pid, exited: false, port };
  current = srv;
  child.on('exit', () => { srv.exited = true; });
  child.on('error', () => { srv.exited = true; });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !interrupted) {
    if (await canConnect(port)) return port;
    if (srv.exited) throw new Error(`exited with code ${child.exitCode ?? child.signalCode}`);
    await sleep(100);
  }
  throw new Error('did not listen within 30 s');
}

// SIGTERM to the whole group, SIGKILL after 5 s.
async function stopServer() {
  const srv = current;
  if (!srv) return;
  try { process.kill(-srv.pid, 'SIGTERM'); } catch { /* gone */ }
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && (groupAlive(srv.pid) || !srv.exited)) await sleep(50);
  try { process.kill(-srv.pid, 'SIGKILL'); } catch { /* gone */ }
  while (!srv.exited) await sleep(20);
  if (current === srv) current = null;
}

const tail = (file, n = 15) => {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8').trimEnd(); } catch { /* no log */ }
  return text ? text.split('\n').slice(-n).map((l) => '    ' + l).join('\n') : '    (no output)';
};

// Runs a child to completion (tracked for cleanup); resolves { code, out }.
function run(argv, opts = {}) {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', (e) => { out += e.message; });
    child.on('close', (code) => { children.delete(child); resolve({ code, out }); });
  });
}

// ---- requests ----------------------------------------------------------------------------------

// MsgId depends on i (24000000000000000 + i*7919 + rand(7919)): distinct i give distinct MsgIds. check-peer
// uses i in [900000, 900015) and 999999; our sets start above that and never reuse an i.
let nextI = 1_000_000;
const randomOpenid = () => 'o' + crypto.randomBytes(21).toString('base64url').slice(0, 27);

// Writes `count` fresh, distinct requests (i in [nextI, nextI+count)) as "path\tbody" lines. Yields to
// the event loop between chunks so that Ctrl-C is handled promptly.
async function writeRequests(file, count) {
  const from = nextI;
  nextI += count;
  const t0 = performance.now();
  // ~1 openid per 20 messages, so users repeat like real traffic (as lib/gen-requests.mjs does)
  const openids = Array.from({ length: Math.max(1, Math.ceil(count / 20)) }, randomOpenid);
  const fd = fs.openSync(file, 'w');
  let chunk = [];
  for (let k = 0; k < count; k++) {
    const { path: p, body } = proto.makeRequest(creds, from + k, MODE, openids[k % openids.length]);
    if (/[\t\n]/.test(p) || /[\t\n]/.test(body)) throw new Error('tab/newline in a generated request');
    chunk.push(`${p}\t${body}\n`);
    if (chunk.length === 4096) {
      fs.writeSync(fd, chunk.join(''));
      chunk = [];
      await setImmediate();
      if (interrupted) break;
    }
  }
  if (chunk.length) fs.writeSync(fd, chunk.join(''));
  fs.closeSync(fd);
  return { file, count, from, to: from + count, gen_ms: Math.round(performance.now() - t0) };
}

function linesFor(peer, rate, seconds) {
  if (!peer.dedup) return NREQ;
  const want = Math.max(NREQ, Math.ceil(rate * seconds * SAFETY));
  if (want > MAX_LINES) {
    console.error(`warning: ${peer.name} would need ${want} distinct requests; capped at ${MAX_LINES}`);
    return MAX_LINES;
  }
  return want;
}

// ---- wrk ---------------------------------------------------------------------------------------

async function runWrk(port, seconds, file) {
  const argv = pinned(LOAD_CPU, ['wrk', '-t1', `-c${CONNS}`, `-d${seconds}s`, '--timeout', '10s',
    '-s', REPLAY_LUA, `http://127.0.0.1:${port}`, '--', file]);
  const { code, out } = await run(argv);
  const m = /^RESULT (\{.*\})\s*$/m.exec(out);
  if (!m) throw new Error(`wrk gave no result (exit ${code}): ${out.trim().slice(-400)}`);
  return JSON.parse(m[1]);
}
const errorsOf = (r) => r.non2xx + r.socket_errors + r.timeouts;

// ---- main --------------------------------------------------------------------------------------

const median = (xs) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const loadavg = os.loadavg().map((x) => x.toFixed(2)).join(' ');

const meta = {
  date: new Date().toISOString(), cpus: NCPU, loadavg, node: process.version,
  wrk: (wrkVersion.stdout || wrkVersion.stderr).split('\n')[0].split(' ').slice(0, 2).join(' '),
  mode: MODE, rounds: ROUNDS, duration: DURATION, warmup: WARMUP, connections: CONNS,
  requests_min: NREQ, pinned: PIN ? { server: SERVER_CPU, load: LOAD_CPU } : null, reference: SHARED,
};
console.log(`date: ${meta.date}  host: ${NCPU} cpus, load avg ${loadavg}`);
console.log(`node ${meta.node}, ${meta.wrk}, reference bench: ${SHARED}`);
console.log(`mode ${MODE}, ${ROUNDS} rounds x ${DURATION}s (+${WARMUP}s warm-up), ${CONNS} connections; ` +
  `fresh distinct requests per run (${NREQ} for non-de-duplicating peers, sized from the rate for the others)`);
if (os.loadavg()[0] > 0.5) console.log(`warning: load avg ${loadavg} before starting: other work on this machine skews the figures`);
console.log(PIN ? `server pinned to cpu ${SERVER_CPU}, wrk (1 thread) to cpu ${LOAD_CPU}` : 'no CPU pinning (1 cpu)');
console.log('');

// 1. Correctness gate: check-peer against a fresh server, then a 1 s replay of a fresh set must be
//    accepted without errors. A failing peer is reported and not benchmarked.
const okPeers = [];
for (const peer of selected) {
  if (interrupted) break;
  if (peerStatus.has(peer.name)) { console.log(`${peer.name.padEnd(22)} ${peerStatus.get(peer.name)}`); continue; }
  const log = path.join(TMP, `${peer.name}-check.log`);
  let status = 'ok';
  try {
    const port = await startServer(peer, log);
    const flags = peer.floor ? ['--floor'] : ['--mode', MODE];
    const chk = await run([process.execPath, CHECK_PEER, '--url', `http://127.0.0.1:${port}`, ...flags],
      { cwd: SHARED, env: { ...process.env, ...credsEnv } });
    fs.appendFileSync(log, `--- check-peer (exit ${chk.code})\n${chk.out}`);
    if (chk.code !== 0) {
      status = 'FAILED: correctness check';
    } else {
      const set = await writeRequests(path.join(TMP, 'check.tsv'), 2000);
      const r = await runWrk(port, 1, set.file);
      fs.appendFileSync(log, `--- 1 s replay\n${JSON.stringify(r)}\n`);
      if (errorsOf(r) > 0) status = `FAILED: replay of generated requests had ${errorsOf(r)} errors`;
    }
  } catch (e) {
    status = `FAILED: server did not start (${e.message})`;
  }
  await stopServer();
  if (interrupted) break;
  peerStatus.set(peer.name, status);
  console.log(`${peer.name.padEnd(22)} ${status}`);
  if (status === 'ok') okPeers.push(peer);
  else {
    exitCode = 1;
    console.log(tail(log));
  }
}
if (interrupted) await new Promise(() => {});
console.log('');

// 2. Rounds: every passing peer once per round, order rotated each round. Each run: a fresh warm-up set and a
//    fresh measured set are generated (before the server starts, so it never idles between the two), then
//    server start, warm-up, measured run, stop.
const runs = [];
const bestRate = new Map(); // peer -> fastest measured req/s so far
const wrapped = [];
for (let r = 1; r <= ROUNDS && !interrupted; r++) {
  for (let k = 0; k < okPeers.length && !interrupted; k++) {
    const peer = okPeers[(k + r - 1) % okPeers.length];
    const log = path.join(TMP, `${peer.name}-r${r}.log`);
    const rec = { peer: peer.name, round: r, order: k + 1, dedup: peer.dedup };
    try {
      // Rate a de-duplicating peer's sets are sized for: at least --min-rate, its own fastest run so far, and
      // node-crypto-minimal's fastest run (the practical upper bound for a Node server).
      const rate = Math.max(MIN_RATE, bestRate.get(peer.name) ?? 0, bestRate.get('node-crypto-minimal') ?? 0);
      const wset = WARMUP > 0 ? await writeRequests(path.join(TMP, 'warmup.tsv'), linesFor(peer, rate, WARMUP)) : null;
      const mset = await writeRequests(path.join(TMP, 'measured.tsv'), linesFor(peer, rate, DURATION));
      const port = await startServer(peer, log);
      if (wset) {
        const w = await runWrk(port, WARMUP, wset.file);
        rec.warmup = { ...w, distinct: wset.count, i_range: [wset.from, wset.to], gen_ms: wset.gen_ms };
      }
      const cpu0 = cpuTimes();
      const m = await runWrk(port, DURATION, mset.file);
      const steal = stealShare(cpu0, cpuTimes());
      Object.assign(rec, m, { distinct: mset.count, i_range: [mset.from, mset.to], gen_ms: mset.gen_ms, steal_pct: steal });
      bestRate.set(peer.name, Math.max(m.rps, bestRate.get(peer.name) ?? 0));
      // requests issued = completed + at most one in flight per connection
      if (peer.dedup && m.requests + CONNS > mset.count) {
        const msg = `warning: round ${r} ${peer.name}: ~${m.requests + CONNS} requests sent but only ${mset.count} distinct ` +
          'in the file: repeats may have been answered from the de-duplication cache (raise --min-rate)';
        console.log(msg);
        wrapped.push(msg);
      }
    } catch (e) {
      rec.error = e.message;
      exitCode = 1;
    }
    await stopServer();
    if (interrupted) break;
    runs.push(rec);
    if (rec.error) {
      console.log(`round ${r}/${ROUNDS} ${peer.name.padEnd(22)} FAILED: ${rec.error}`);
      console.log(tail(log));
    } else {
      const warm = rec.warmup ? `  (warm-up ${fmt(rec.warmup.rps)} req/s${errorsOf(rec.warmup) ? `, ${errorsOf(rec.warmup)} errors` : ''})` : '';
      console.log(`round ${r}/${ROUNDS} ${peer.name.padEnd(22)} ${fmt(rec.rps).padStart(7)} req/s  p50 ${fmt(rec.p50_ms, 2)} ms` +
        `  p99 ${fmt(rec.p99_ms, 2)} ms  errors ${errorsOf(rec)}  distinct ${rec.distinct}${warm}` +
        (rec.steal_pct === null ? '' : `  steal ${fmt(rec.steal_pct, 1)}%`));
    }
  }
}

// Interrupted: the signal handler stops the server and exits; print no partial table meanwhile.
if (interrupted) await new Promise(() => {});

// 3. Summary table and verdict.
const good = runs.filter((x) => !x.error);
const rpsIn = (peer) => new Map(good.filter((x) => x.peer === peer).map((x) => [x.round, x.rps]));
const floorRps = rpsIn('floor-http');
const minRps = rpsIn('node-crypto-minimal');
const ratioMedian = (rs, base) => median(rs.filter((x) => base.has(x.round)).map((x) => x.rps / base.get(x.round)));
const summary = [];
for (const peer of selected) {
  const rs = good.filter((x) => x.peer === peer.name);
  const status = peerStatus.get(peer.name) ?? 'not run';
  if (!rs.length) { summary.push({ peer: peer.name, status: status === 'ok' ? 'no results' : status }); continue; }
  const rps = rs.map((x) => x.rps);
  summary.push({
    peer: peer.name, status, rounds: rs.length,
    rps_median: median(rps), rps_min: Math.min(...rps), rps_max: Math.max(...rps),
    p50_ms: median(rs.map((x) => x.p50_ms)), p99_ms: median(rs.map((x) => x.p99_ms)),
    p99_max_ms: Math.max(...rs.map((x) => x.p99_ms)),
    errors: rs.reduce((a, x) => a + errorsOf(x), 0),
    warmup_errors: rs.reduce((a, x) => a + (x.warmup ? errorsOf(x.warmup) : 0), 0),
    distinct_min: Math.min(...rs.map((x) => x.distinct)),
    steal_max_pct: Math.max(...rs.map((x) => x.steal_pct ?? 0)),
    vs_floor: ratioMedian(rs, floorRps), vs_minimal: ratioMedian(rs, minRps),
  });
}
meta.loadavg_end = os.loadavg().map((x) => x.toFixed(2)).join(' ');
console.log('');
console.log(`| peer | req/s (median) | req/s min–max | p50 ms | p99 ms | errors | vs floor-http | vs node-crypto-minimal | rounds |`);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const s of summary) {
  if (s.rps_median === undefined) { console.log(`| ${s.peer} | ${s.status} | | | | | | | |`); continue; }
  console.log(`| ${s.peer} | ${fmt(s.rps_median)} | ${fmt(s.rps_min)}–${fmt(s.rps_max)} | ${fmt(s.p50_ms, 2)} | ` +
    `${fmt(s.p99_ms, 2)} | ${s.errors} | ${fmt(s.vs_floor, 3)} | ${fmt(s.vs_minimal, 3)} | ${s.rounds} |`);
}
console.log('req/s, p50, p99: median over rounds; ratios: median over rounds of same-round ratios; ' +
  'errors: non-2xx + socket errors + timeouts in the measured runs');
const stolen = good.filter((x) => x.steal_pct !== null && x.steal_pct > STEAL_WARN_PERCENT);
if (stolen.length) {
  console.log(`warning: ${stolen.length} of ${good.length} runs lost more than ${STEAL_WARN_PERCENT}% of the machine's CPU time to ` +
    `other guests (steal up to ${fmt(Math.max(...stolen.map((x) => x.steal_pct)), 1)}%): latency and rates in those runs are unreliable`);
}

let verdict = null;
const ws = summary.find((s) => s.peer === 'wx-backend');
console.log('');
if (!ws || ws.rps_median === undefined) {
  console.log(`wx-backend: not measured${ws ? ` (${ws.status})` : ' (not selected)'}; no verdict`);
} else {
  const ratioOk = ws.vs_minimal >= 0.8, p99Ok = ws.p99_ms <= 8, errs = ws.errors + ws.warmup_errors;
  verdict = { ratio_vs_minimal: ws.vs_minimal, ratio_pass: ratioOk, p99_ms: ws.p99_ms, p99_pass: p99Ok,
    errors: errs, errors_pass: errs === 0, wrapped: wrapped.length, mode: MODE, connections: CONNS };
  const pf = (ok) => (ok ? 'PASS' : 'FAIL');
  const unreliable = good.filter((x) => x.steal_pct !== null && x.steal_pct > STEAL_WARN_PERCENT).length;
  verdict.runs_with_steal = unreliable;
  console.log(`wx-backend, ${MODE} mode, ${CONNS} connections:` +
    (unreliable ? ` (unreliable: ${unreliable} runs with steal > ${STEAL_WARN_PERCENT}%; rerun on a quiet machine)` : ''));
  console.log(Number.isFinite(ws.vs_minimal)
    ? `req/s ratio vs node-crypto-minimal: ${ws.vs_minimal.toFixed(2)} (target >= 0.80) ${pf(ratioOk)}`
    : 'req/s ratio vs node-crypto-minimal: n/a (node-crypto-minimal not measured) FAIL');
  console.log(`p99: ${ws.p99_ms.toFixed(2)} ms (target <= 8 ms) ${pf(p99Ok)}` +
    (ws.rounds > 1 ? `   [median of ${ws.rounds} rounds; worst ${ws.p99_max_ms.toFixed(2)} ms]` : ''));
  console.log(`errors: ${errs} ${pf(errs === 0)}` + (ws.warmup_errors ? `   [${ws.warmup_errors} of them in warm-ups]` : ''));
  if (wrapped.length) console.log(`note: ${wrapped.length} measured run(s) may have replayed requests (see warnings above)`);
}

if (o.json) {
  fs.mkdirSync(path.dirname(path.resolve(o.json)), { recursive: true });
  fs.writeFileSync(o.json, JSON.stringify({ meta, peers: selected.map((p) => ({ name: p.name, dedup: p.dedup,
    status: peerStatus.get(p.name) ?? 'not run' })), runs, summary, verdict }, null, 2) + '\n');
  console.log(`raw results in ${o.json}`);
}
process.exitCode = exitCode;
