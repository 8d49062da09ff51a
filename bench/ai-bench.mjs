// `npm run bench -- --ai`: the AI gateway's overhead per message on top of a zero-latency fake model, at
// --connections concurrent users (default 50). Started by bench/run.mjs; see bench/README.md ("--ai").
//
// A user sends a message, waits for the answer, reads it for a while (--think: exponential, mean 1 s by default)
// and sends the next one. Per round, in rotating order:
//   model-http  the raw model round trip from Node (bench/ai-model-client.mjs --client http): node:http
//               keep-alive, N users streaming a completion from the fake model
//   model-sdk   the same through the official openai SDK, as the adapter calls it (for reference)
//   gateway     wx-backend (`node dist/server.js`, EXTERNAL_SERVICE_TYPE=openai → the fake model) under wrk with
//               bench/ai-replay.lua: N threads × 1 connection, each connection one user, fresh encrypted
//               messages with distinct MsgIds; answers come back passively
//   gateway-queue only when REDIS_URL is set: the same gateway run, the server started with that REDIS_URL and a
//               REDIS_PREFIX of its own (`wxbench:<random>:`), so answers go through the BullMQ job queue (and
//               all shared state lives in Redis); every key under the prefix is deleted after the run
// Each is warmed up first at full speed (no think time), so that the measured run sees warm JIT code as a
// long-running server would. overhead = gateway end-to-end − model round trip (node:http), per percentile,
// per round; the verdict is the median over rounds of the p99 overhead against the target (< 5 ms in process,
// < 10 ms with the Redis job queue). With --think 0 the gateways' req/s is their AI messages/s (target >= 500).
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openBenchRedis } from './ai-redis-prefix.mjs';
import { cpuTimes, stealShare, STEAL_WARN_PERCENT } from './cpu-steal.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
const FAKE = path.join(here, 'ai-fake-model.mjs');
const CLIENT = path.join(here, 'ai-model-client.mjs');
const LUA = path.join(here, 'ai-replay.lua');
const FLOOR_PROXY = path.join(here, 'ai-floor-proxy.mjs');
const ANSWER_PREFIX = 'fake-model answer to: '; // what ai-fake-model.mjs answers
const TARGET_P99_MS = 5;
/** With the job queue each message makes Redis round trips (its record and order, context, checkpoint, reply). */
const TARGET_QUEUE_P99_MS = 10;
/** AI messages per second one instance must sustain back to back (--think 0). */
const TARGET_MESSAGES_PER_S = 500;
const SAFETY = 1.5; // lines per user file = expected messages × SAFETY
const CHECK_MESSAGES_PER_USER = 4;
/** Mean think time: 50 people chatting, each reading an answer about a second before sending the next message. */
const DEFAULT_THINK_MS = 1000;

/**
 * wx-backend's environment for an AI run: the shell's own, less the project's variables (so that the result does
 * not depend on them), with the test credentials, the fake model as an OpenAI-compatible service and no
 * WECHAT_APPSECRET (no WeChat API, so every answer takes the passive route). REDIS_URL/REDIS_PREFIX are the
 * caller's to add.
 */
export function aiServerEnv({ creds, mode, fakePort, tokenFile }) {
  const OWN_ENV = /^(WECHAT_|EXTERNAL_SERVICE_|REDIS_|LOG_|TOKEN_FILE_PATH$|HOST$|PORT$|DEMO|SIMULATOR|SYSTEM_PROMPT$|CUSTOM_SERVICE_MODULE$|CONTEXT_|REPLY_MODE$|PASSIVE_WINDOW_MS$|PICKUP_KEYWORD$|WELCOME_MESSAGE$|DEDUP_TTL$|MENU_FILE$|PUBLIC_BASE_URL$|ADMIN_TOKEN$|SHUTDOWN_TIMEOUT$)/;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !OWN_ENV.test(k)));
  return {
    ...env,
    HOST: '127.0.0.1',
    WECHAT_TOKEN: creds.token,
    ...(mode === 'aes' ? { WECHAT_AES_KEY: creds.aesKey } : {}),
    WECHAT_APPID: creds.appid,
    EXTERNAL_SERVICE_TYPE: 'openai',
    EXTERNAL_SERVICE_URL: `http://127.0.0.1:${fakePort}/v1`,
    EXTERNAL_SERVICE_API_KEY: 'bench',
    LOG_DIR: '',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    TOKEN_FILE_PATH: tokenFile,
  };
}

/** Runs the AI benchmark with run.mjs's parsed options; resolves to the exit code. */
export async function runAiBench(o) {
  const fail = (msg) => {
    console.error(`${msg} (see --help)`);
    return 2;
  };
  for (const name of ['only', 'peer']) {
    if (o[name] !== undefined && !(Array.isArray(o[name]) && o[name].length === 0)) return fail(`--${name} does not apply to --ai`);
  }
  const int = (name, min, fallback) => {
    if (o[name] === undefined) return fallback;
    const v = Number(o[name]);
    return Number.isInteger(v) && v >= min ? v : undefined;
  };
  const opts = {};
  for (const [name, min, fallback] of [['rounds', 1], ['duration', 1, 30], ['warmup', 0, 10], ['connections', 1],
    ['load-cpu', 0], ['min-rate', 1, 5000], ['think', 0, DEFAULT_THINK_MS]]) {
    const v = int(name, min, fallback);
    if (v === undefined) return fail(`--${name} must be an integer >= ${min}`);
    opts[name] = v;
  }
  // The server side: `all` (default) = not pinned, like a server in production, where V8's garbage collector
  // and compiler threads run beside the main thread; or a taskset list (`0`, `0,1`, `0-3`).
  const serverCpu = o['server-cpu'] ?? 'all';
  if (serverCpu !== 'all' && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(serverCpu)) return fail('--server-cpu must be all or a CPU list (0, 0,1, 0-3)');
  opts['server-cpu'] = serverCpu;
  if (o.mode !== 'aes' && o.mode !== 'plain') return fail('--mode must be aes or plain');
  if (opts.connections > 1000) return fail('--connections: at most 1000 with --ai (one wrk thread per user)');
  return new AiBench(o, opts).main();
}

class AiBench {
  constructor(o, opts) {
    this.o = o;
    this.MODE = o.mode;
    this.ROUNDS = opts.rounds;
    this.DURATION = opts.duration;
    this.WARMUP = opts.warmup;
    this.USERS = opts.connections;
    this.SERVER_CPU = opts['server-cpu'];
    this.LOAD_CPU = opts['load-cpu'];
    this.MIN_RATE = opts['min-rate'];
    this.THINK = opts.think;
    // The `gateway-queue` run: only with a Redis to run it on. Read here, not passed to the servers as such
    // (serverEnv removes the project's variables): only that run gets it, with a prefix of its own.
    this.REDIS_URL = process.env.REDIS_URL || undefined;
    this.PROF_DIR = o['cpu-prof'] === undefined ? undefined : path.resolve(o['cpu-prof']);
    this.procs = new Set(); // { pid, exited, group } of everything started
    this.interrupted = false;
    this.nextI = 2_000_000; // MsgId index (see run.mjs): never reused within the bench
    this.nextPort = 18200;
  }

  // ---- environment -----------------------------------------------------------------------------

  pinned(cpu, argv) {
    return this.PIN && cpu !== 'all' ? ['taskset', '-c', String(cpu), ...argv] : argv;
  }

  serverEnv(fakePort) {
    return aiServerEnv({ creds: this.creds, mode: this.MODE, fakePort, tokenFile: path.join(this.TMP, 'access_token.json') });
  }

  // ---- processes -------------------------------------------------------------------------------

  canListen(port) {
    return new Promise((resolve) => {
      const s = net.createServer();
      s.unref();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  }

  async freePort() {
    for (let tries = 0; tries < 1000; tries++) {
      const port = this.nextPort++;
      if (this.nextPort > 28000) this.nextPort = 18200;
      if (await this.canListen(port)) return port;
    }
    throw new Error('no free port in 18200-28000');
  }

  canConnect(port) {
    return new Promise((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => { sock.destroy(); resolve(true); });
      sock.once('error', () => resolve(false));
    });
  }

  /** Spawns argv in its own process group, output to `log`; returns a handle. */
  launch(argv, { cwd = repoRoot, env = process.env, log, stdout } = {}) {
    const fd = fs.openSync(log, 'a');
    const [cmd, ...args] = argv;
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', stdout ? 'pipe' : fd, fd] });
    fs.closeSync(fd);
    const p = { child, pid: child.pid, exited: false, log };
    this.procs.add(p);
    child.on('exit', () => { p.exited = true; });
    child.on('error', () => { p.exited = true; });
    return p;
  }

  groupAlive(pid) {
    try { process.kill(-pid, 0); return true; } catch { return false; }
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`. */
  async stop(p, graceMs = 5000) {
    if (!p) return;
    try { process.kill(-p.pid, 'SIGTERM'); } catch { /* gone */ }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && (this.groupAlive(p.pid) || !p.exited)) await sleep(50);
    try { process.kill(-p.pid, 'SIGKILL'); } catch { /* gone */ }
    while (!p.exited) await sleep(20);
    this.procs.delete(p);
  }

  killAllSync() {
    for (const p of this.procs) try { process.kill(-p.pid, 'SIGKILL'); } catch { /* gone */ }
  }

  /** Runs argv to completion (own group, tracked); resolves { code, out }. */
  run(argv, opts = {}) {
    return new Promise((resolve) => {
      const [cmd, ...args] = argv;
      const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...opts });
      const p = { child, pid: child.pid, exited: false };
      this.procs.add(p);
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { out += d; });
      child.on('error', (e) => { out += e.message; });
      child.on('close', (code) => { p.exited = true; this.procs.delete(p); resolve({ code, out }); });
    });
  }

  /** The port a launched helper prints as its first stdout line (`{"port":P}`); its stdout is drained after. */
  async announcedPort(p, what) {
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what} did not start within 10 s`)), 10_000);
      readline.createInterface({ input: p.child.stdout }).once('line', (line) => {
        clearTimeout(timer);
        try { resolve(JSON.parse(line).port); } catch { reject(new Error(`${what} said: ${line}`)); }
      });
      p.child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited (${code})`)); });
    });
    p.child.stdout.resume();
    return port;
  }

  async startFake() {
    const log = path.join(this.TMP, 'fake-model.log');
    const p = this.launch(this.pinned(this.LOAD_CPU, [process.execPath, FAKE]), { log, stdout: true });
    const port = await this.announcedPort(p, 'the fake model');
    p.port = port;
    this.fake = p;
    this.fakeUrl = `http://127.0.0.1:${port}`;
    return this.fake;
  }

  async fakeStats() {
    const r = await fetch(`${this.fakeUrl}/stats`);
    return r.json();
  }

  async fakeReset() {
    await fetch(`${this.fakeUrl}/stats/reset`, { method: 'POST' });
  }

  /**
   * Starts wx-backend; resolves once its port accepts connections. With `redisPrefix` it runs on REDIS_URL
   * under that prefix: answers go through the BullMQ job queue.
   */
  async startServer(log, { profile = false, redisPrefix } = {}) {
    const port = await this.freePort();
    const prof = profile && this.PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${this.PROF_DIR}`] : [];
    const argv = this.pinned(this.SERVER_CPU, [process.execPath, ...prof, 'dist/server.js']);
    const redis = redisPrefix ? { REDIS_URL: this.REDIS_URL, REDIS_PREFIX: redisPrefix } : {};
    const p = this.launch(argv, { env: { ...this.serverEnv(this.fake.port), ...redis, PORT: String(port) }, log });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !this.interrupted) {
      if (await this.canConnect(port)) {
        p.port = port;
        return p;
      }
      if (p.exited) throw new Error(`wx-backend exited with code ${p.child.exitCode ?? p.child.signalCode}`);
      await sleep(100);
    }
    throw new Error('wx-backend did not listen within 30 s');
  }

  /** utime + stime of a process, ms (Linux); undefined elsewhere. */
  cpuMs(pid) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(f[11]) + Number(f[12])) * 1000) / this.CLK_TCK;
    } catch {
      return undefined;
    }
  }

  // ---- requests --------------------------------------------------------------------------------

  randomOpenid() {
    return 'o' + crypto.randomBytes(21).toString('base64url').slice(0, 27);
  }

  /**
   * Writes one file per user, DIR/u<k>.tsv, `perUser` fresh messages of openids[k] each, with distinct MsgIds
   * (one counter through the whole bench). Returns { dir, perUser, from, to, gen_ms }.
   */
  async writeUserSets(dir, openids, perUser) {
    fs.mkdirSync(dir, { recursive: true });
    const from = this.nextI;
    const t0 = performance.now();
    for (let k = 0; k < openids.length; k++) {
      const lines = [];
      for (let j = 0; j < perUser; j++) {
        const { path: p, body } = this.proto.makeRequest(this.creds, this.nextI++, this.MODE, openids[k]);
        if (/[\t\n]/.test(p) || /[\t\n]/.test(body)) throw new Error('tab/newline in a generated request');
        lines.push(`${p}\t${body}\n`);
      }
      fs.writeFileSync(path.join(dir, `u${k}.tsv`), lines.join(''));
      await setImmediate();
      if (this.interrupted) break;
    }
    return { dir, perUser, from, to: this.nextI, gen_ms: Math.round(performance.now() - t0) };
  }

  perUser(seconds, think) {
    const rate = Math.max(this.MIN_RATE, this.bestRate ?? 0);
    let n = Math.ceil((rate * seconds * SAFETY) / this.USERS);
    // With think time a user sends about seconds / think messages (fewer while waiting for replies); the wait
    // is random, so allow for a generous tail (Poisson: mean + 6 sigma).
    if (think > 0) {
      const mean = (seconds * 1000) / think;
      n = Math.min(n, Math.ceil(mean + 6 * Math.sqrt(mean) + 10));
    }
    return Math.max(10, n);
  }

  async runWrk(port, seconds, dir, think) {
    const marker = this.MODE === 'aes' ? '<Encrypt>' : '<Content>';
    const argv = this.pinned(this.LOAD_CPU, ['wrk', `-t${this.USERS}`, `-c${this.USERS}`, `-d${seconds}s`,
      '--timeout', '10s', '-s', LUA, `http://127.0.0.1:${port}`, '--', dir, marker]);
    const { code, out } = await this.run(argv, { env: { ...process.env, AI_THINK_MS: String(think) } });
    const m = /^RESULT (\{.*\})\s*$/m.exec(out);
    if (!m) throw new Error(`wrk gave no result (exit ${code}): ${out.trim().slice(-400)}`);
    return JSON.parse(m[1]);
  }

  // ---- correctness -----------------------------------------------------------------------------

  /** Returns the problem with a reply to `req`, or null; `exact` tells whether Content is the exact echo. */
  replyProblem(req, status, text) {
    const { proto, creds: c } = this;
    if (status !== 200) return { problem: `HTTP ${status}: ${text.slice(0, 120)}` };
    let inner = text;
    if (this.MODE === 'aes') {
      const enc = proto.field(text, 'Encrypt'), sig = proto.field(text, 'MsgSignature');
      const ts = proto.field(text, 'TimeStamp'), nonce = proto.field(text, 'Nonce');
      if (!enc || !sig || !ts || !nonce) return { problem: `not an encrypted passive reply: ${JSON.stringify(text.slice(0, 120))}` };
      if (proto.signature(c.token, ts, nonce, enc) !== sig) return { problem: 'MsgSignature does not verify' };
      let d;
      try { d = proto.decrypt(c, enc); } catch (e) { return { problem: `decrypt failed: ${e.message}` }; }
      if (d.appid !== c.appid) return { problem: `appid in reply is ${JSON.stringify(d.appid)}` };
      inner = d.xml;
    }
    for (const [k, v] of Object.entries({ ToUserName: req.msg.openid, FromUserName: c.account, MsgType: 'text' })) {
      const got = proto.field(inner, k);
      if (got !== v) return { problem: `${k}: want ${JSON.stringify(v)}, got ${JSON.stringify(got)}` };
    }
    const content = proto.field(inner, 'Content') ?? '';
    const want = ANSWER_PREFIX + req.msg.content;
    // The message's own "#i" marks the answer as the one to this message (not another user's or turn's).
    const index = /#\d+/.exec(req.msg.content)[0];
    if (!content.startsWith(ANSWER_PREFIX) || !new RegExp(`${index}(?!\\d)`).test(content)) {
      return { problem: `Content is not the fake model's answer to this message: ${JSON.stringify(content.slice(0, 120))}` };
    }
    return { problem: null, exact: content === want, content, want };
  }

  /**
   * The gate: a fresh server; USERS users × CHECK_MESSAGES_PER_USER messages, closed loop, every reply
   * verified and matched to its message; one message with a bad signature must be refused without reaching
   * the model; the fake model must have seen exactly one request per accepted message. `queue`: the server runs
   * on REDIS_URL (the BullMQ job queue) under a prefix of its own, deleted afterwards.
   */
  async check({ queue = false } = {}) {
    const log = path.join(this.TMP, queue ? 'wx-backend-check-queue.log' : 'wx-backend-check.log');
    const redisPrefix = queue ? this.redis.newPrefix() : undefined;
    const srv = await this.startServer(log, { redisPrefix });
    const url = `http://127.0.0.1:${srv.port}`;
    const problems = [];
    const inexact = [];
    let sent = 0;
    try {
      await this.fakeReset();
      const post = async (req) => {
        const r = await fetch(url + req.path, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: req.body });
        return { status: r.status, text: await r.text() };
      };
      const openids = Array.from({ length: this.USERS }, () => this.randomOpenid());
      const from = this.nextI;
      this.nextI += this.USERS * CHECK_MESSAGES_PER_USER;
      await Promise.all(openids.map(async (openid, k) => {
        for (let j = 0; j < CHECK_MESSAGES_PER_USER; j++) {
          const req = this.proto.makeRequest(this.creds, from + k * CHECK_MESSAGES_PER_USER + j, this.MODE, openid);
          sent++;
          let res;
          try { res = await post(req); } catch (e) { problems.push(`request error: ${e.message}`); continue; }
          const r = this.replyProblem(req, res.status, res.text);
          if (r.problem) problems.push(r.problem);
          else if (!r.exact) inexact.push(r);
        }
      }));
      const warningsBefore = this.serverWarnings(log).length;
      // A message with a bad signature: refused (with one warning logged), and the model never asked.
      const bad = this.proto.makeRequest(this.creds, this.nextI++, this.MODE, openids[0]);
      const param = this.MODE === 'aes' ? 'msg_signature' : 'signature';
      bad.path = bad.path.replace(new RegExp(`${param}=([0-9a-f])`), (_, ch) => `${param}=${ch === '0' ? '1' : '0'}`);
      const badRes = await post(bad);
      if (badRes.status === 200) problems.push(`a message with a bad ${param} was answered (HTTP 200)`);
      await sleep(200);
      const stats = await this.fakeStats();
      if (stats.requests !== sent) problems.push(`the fake model saw ${stats.requests} chat requests for ${sent} messages (want exactly one each)`);
      if (stats.errors) problems.push(`the fake model counted ${stats.errors} bad requests`);
      const warnings = this.serverWarnings(log);
      const rejected = warnings.slice(warningsBefore).filter((l) => l.includes('wechat callback rejected'));
      if (rejected.length === 1) warnings.splice(warnings.indexOf(rejected[0]), 1);
      if (warnings.length) problems.push(`wx-backend logged ${warnings.length} warnings/errors, first: ${warnings[0].slice(0, 200)}`);
      return { sent, problems, inexact, model_requests: stats.requests, bad_signature_status: badRes.status };
    } finally {
      await this.stop(srv);
      if (redisPrefix) await this.redis.deleteKeys(redisPrefix);
    }
  }

  /** What the server printed: with LOG_LEVEL=warn, every line is a warning or an error (or a crash). */
  serverWarnings(log) {
    let text;
    try { text = fs.readFileSync(log, 'utf8'); } catch { return []; }
    return text.split('\n').filter((l) => l.trim() !== '');
  }

  // ---- runs ------------------------------------------------------------------------------------

  async runModel(client) {
    const argv = this.pinned(this.SERVER_CPU, [process.execPath, CLIENT, '--url', `${this.fakeUrl}/v1`, '--client', client,
      '--users', String(this.USERS), '--duration', String(this.DURATION), '--warmup', String(this.WARMUP), '--think', String(this.THINK)]);
    await this.fakeReset();
    const cpu0 = cpuTimes(); // around warm-up and measured run: the client measures both in one process
    const { code, out } = await this.run(argv, { cwd: repoRoot });
    const steal = stealShare(cpu0, cpuTimes());
    const m = /^RESULT (\{.*\})\s*$/m.exec(out);
    if (!m) throw new Error(`model client gave no result (exit ${code}): ${out.trim().slice(-400)}`);
    const r = JSON.parse(m[1]);
    r.steal_pct = steal;
    r.fake = (await this.fakeStats()).handling;
    return r;
  }

  /** The `gateway` run, or with `queue` the `gateway-queue` run (see check()). */
  async runGateway(round, { queue = false } = {}) {
    const openids = Array.from({ length: this.USERS }, () => this.randomOpenid());
    const wset = this.WARMUP > 0 ? await this.writeUserSets(path.join(this.TMP, 'warmup'), openids, this.perUser(this.WARMUP, 0)) : null;
    const mset = await this.writeUserSets(path.join(this.TMP, 'measured'), openids, this.perUser(this.DURATION, this.THINK));
    const log = this.gatewayLog(round, queue);
    const profilesBefore = this.PROF_DIR ? new Set(fs.readdirSync(this.PROF_DIR)) : null;
    const redisPrefix = queue ? this.redis.newPrefix() : undefined;
    const srv = await this.startServer(log, { profile: true, redisPrefix });
    const rec = {};
    try {
      if (wset) {
        const w = await this.runWrk(srv.port, this.WARMUP, wset.dir, 0);
        rec.warmup = { requests: w.requests, issued: w.issued, rps: w.rps, p99_ms: w.p99_ms, errors: errorsOf(w), non2xx: w.non2xx,
          socket_errors: w.socket_errors, timeouts: w.timeouts, other: w.other, wrapped: w.wrapped };
        await sleep(300); // let the warm-up's last answers finish before counting
      }
      await this.fakeReset();
      const cpu0 = this.cpuMs(srv.pid);
      const host0 = cpuTimes();
      const m = await this.runWrk(srv.port, this.DURATION, mset.dir, this.THINK);
      const cpu1 = this.cpuMs(srv.pid);
      rec.steal_pct = stealShare(host0, cpuTimes());
      await sleep(300);
      const fake = await this.fakeStats();
      Object.assign(rec, m, { per_user: mset.perUser, i_range: [mset.from, mset.to], gen_ms: mset.gen_ms, fake_requests: fake.requests,
        fake_errors: fake.errors, fake: fake.handling,
        cpu_us_per_msg: cpu0 === undefined || cpu1 === undefined ? null : ((cpu1 - cpu0) * 1000) / Math.max(1, m.requests) });
      // Every completed message asked the model once; requests still in flight at the end may or may not have.
      rec.model_requests_ok = fake.requests >= m.requests && fake.requests <= m.issued && fake.errors === 0;
    } finally {
      await this.stop(srv, this.PROF_DIR ? 20_000 : 5000);
      if (redisPrefix) rec.redis_keys_deleted = await this.redis.deleteKeys(redisPrefix);
    }
    if (profilesBefore) {
      const made = fs.readdirSync(this.PROF_DIR).filter((f) => !profilesBefore.has(f) && f.endsWith('.cpuprofile'));
      if (made.length === 1) {
        rec.cpu_profile = path.join(this.PROF_DIR, made[0]);
        rec.profiled_messages = (rec.warmup?.issued ?? 0) + (rec.issued ?? 0); // warm-up + measured, as sent (at most one per user more than answered)
      }
    }
    rec.server_warnings = this.serverWarnings(log).length;
    if (rec.server_warnings) rec.first_warning = this.serverWarnings(log)[0].slice(0, 300);
    this.bestRate = Math.max(this.bestRate ?? 0, rec.rps);
    return rec;
  }

  /** Runs the correctness gate and prints its outcome; resolves to its result, or null when it failed. */
  async gate({ queue }) {
    let gate;
    try {
      gate = await this.check({ queue });
    } catch (e) {
      gate = { problems: [`wx-backend did not start or the check broke: ${e.message}`], inexact: [], sent: 0 };
    }
    if (this.interrupted) return gate;
    const gateOk = gate.problems.length === 0;
    console.log(`correctness${queue ? ' with the Redis job queue' : ''} ${gateOk ? 'ok' : 'FAILED'}: ${gate.sent} messages from ` +
      `${this.USERS} users, every reply ${this.MODE === 'aes' ? 'verified, decrypted and ' : ''}matched to its message; ` +
      `fake model requests ${gate.model_requests ?? '?'} (want ${gate.sent}); bad signature → HTTP ${gate.bad_signature_status ?? '?'}`);
    if (gate.inexact.length) {
      const x = gate.inexact[0];
      console.log(`  note: ${gate.inexact.length} of ${gate.sent} answers differ from the model's text (text conversion in wx-backend), ` +
        `e.g. model ${JSON.stringify(x.want)} → reply ${JSON.stringify(x.content)}`);
    }
    for (const p of gate.problems.slice(0, 5)) console.log(`  problem: ${p}`);
    if (gateOk) return { ...gate, inexact: gate.inexact.length };
    console.log(tail(path.join(this.TMP, queue ? 'wx-backend-check-queue.log' : 'wx-backend-check.log')));
    return null;
  }

  gatewayLog(round, queue) {
    return path.join(this.TMP, queue ? `wx-backend-queue-r${round}.log` : `wx-backend-r${round}.log`);
  }

  /** The `proxy-floor` row: the thinnest Node gateway (bench/ai-floor-proxy.mjs) under the same wrk load. */
  async runFloor(round) {
    const openids = Array.from({ length: this.USERS }, () => this.randomOpenid());
    const wset = this.WARMUP > 0 ? await this.writeUserSets(path.join(this.TMP, 'warmup'), openids, this.perUser(this.WARMUP, 0)) : null;
    const mset = await this.writeUserSets(path.join(this.TMP, 'measured'), openids, this.perUser(this.DURATION, this.THINK));
    const log = path.join(this.TMP, `proxy-floor-r${round}.log`);
    const p = this.launch(this.pinned(this.SERVER_CPU, [process.execPath, FLOOR_PROXY, '--model', `${this.fakeUrl}/v1`]), { log, stdout: true });
    const rec = {};
    try {
      const port = await this.announcedPort(p, 'the floor proxy');
      if (wset) await this.runWrk(port, this.WARMUP, wset.dir, 0);
      await this.fakeReset();
      const cpu0 = this.cpuMs(p.pid);
      const host0 = cpuTimes();
      const m = await this.runWrk(port, this.DURATION, mset.dir, this.THINK);
      const cpu1 = this.cpuMs(p.pid);
      rec.steal_pct = stealShare(host0, cpuTimes());
      Object.assign(rec, m, { fake: (await this.fakeStats()).handling,
        cpu_us_per_msg: cpu0 === undefined || cpu1 === undefined ? null : ((cpu1 - cpu0) * 1000) / Math.max(1, m.requests) });
    } finally {
      await this.stop(p);
    }
    return rec;
  }

  // ---- summary ---------------------------------------------------------------------------------

  /** Medians per kind over rounds, and the same-round differences against the model round trip. */
  summarize(runs) {
    const good = runs.filter((x) => !x.error);
    const of = (kind) => good.filter((x) => x.kind === kind);
    const byRound = (kind) => new Map(of(kind).map((x) => [x.round, x]));
    const gw = byRound('gateway'), gq = byRound('gateway-queue'), mh = byRound('model-http'), ms = byRound('model-sdk');
    const fl = byRound('proxy-floor');
    const diffs = (base, key, from) => [...from.keys()].filter((r) => base.has(r)).map((r) => from.get(r)[key] - base.get(r)[key]);
    const overhead = (from) => ({
      p50_ms: median(diffs(mh, 'p50_ms', from)), p99_ms: median(diffs(mh, 'p99_ms', from)),
      p99_worst_ms: Math.max(...diffs(mh, 'p99_ms', from)), rounds: diffs(mh, 'p99_ms', from).length,
    });
    const row = (kind) => {
      const rs = of(kind);
      if (!rs.length) return null;
      const gateway = kind === 'gateway' || kind === 'gateway-queue';
      return {
        rounds: rs.length, rps: median(rs.map((x) => x.rps)), p50_ms: median(rs.map((x) => x.p50_ms)),
        p99_ms: median(rs.map((x) => x.p99_ms)), p99_max_ms: Math.max(...rs.map((x) => x.p99_ms)),
        cpu_us: median(rs.map((x) => x.cpu_us_per_msg ?? x.cpu_us_per_req)),
        errors: rs.reduce((a, x) => a + (gateway ? errorsOf(x) + (x.warmup?.errors ?? 0) + (x.warmup?.other ?? 0) + x.server_warnings
          : kind === 'proxy-floor' ? errorsOf(x) : x.errors), 0),
        fake_p50_us: median(rs.map((x) => x.fake?.p50_us)), fake_p99_us: median(rs.map((x) => x.fake?.p99_us)),
        ...(gateway ? { model_requests_ok: rs.every((x) => x.model_requests_ok), wrapped: rs.filter((x) => x.wrapped).length } : {}),
      };
    };
    const summary = {
      model_http: row('model-http'), model_sdk: row('model-sdk'), proxy_floor: row('proxy-floor'), gateway: row('gateway'),
      overhead: overhead(gw),
      overhead_vs_sdk: { p50_ms: median(diffs(ms, 'p50_ms', gw)), p99_ms: median(diffs(ms, 'p99_ms', gw)) },
      floor_overhead: { p50_ms: median(diffs(mh, 'p50_ms', fl)), p99_ms: median(diffs(mh, 'p99_ms', fl)) },
      ...(this.redis ? { gateway_queue: row('gateway-queue'), overhead_queue: overhead(gq) } : {}),
    };
    return { summary, good };
  }

  printTable(summary, good) {
    console.log('');
    console.log(`| ${this.USERS} users, closed loop${this.THINK ? `, ${this.THINK} ms think` : ''} | req/s (median) | p50 ms | p99 ms | CPU µs per message | errors | fake model's own time p50 / p99 µs | rounds |`);
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    const line = (label, s, cpuWhat) => {
      if (!s) return console.log(`| ${label} | no result | | | | | | |`);
      console.log(`| ${label} | ${fmt(s.rps)} | ${fmt(s.p50_ms, 2)} | ${fmt(s.p99_ms, 2)} | ${fmt(s.cpu_us)} ${cpuWhat} | ${s.errors} | ` +
        `${fmt(s.fake_p50_us)} / ${fmt(s.fake_p99_us)} | ${s.rounds} |`);
    };
    const overheadLine = (label, o) => console.log(`| ${label} | | ${fmt(o.p50_ms, 2)} | ${fmt(o.p99_ms, 2)} | | | | ${o.rounds ?? ''} |`);
    line('model round trip, direct (node:http)', summary.model_http, '(client)');
    line('model round trip, direct (openai SDK)', summary.model_sdk, '(client)');
    line('floor: wrk → raw node:http proxy → model', summary.proxy_floor, '(proxy)');
    line('gateway end-to-end (wrk → wx-backend → model)', summary.gateway, '(server)');
    if (this.redis) line('gateway with Redis job queue (BullMQ)', summary.gateway_queue, '(server)');
    overheadLine('**overhead = gateway − model round trip (node:http)**', summary.overhead);
    if (this.redis) overheadLine('**overhead with the queue = gateway-queue − model round trip (node:http)**', summary.overhead_queue);
    overheadLine('(gateway − model round trip via openai SDK)', summary.overhead_vs_sdk);
    overheadLine('(floor − model round trip (node:http): the extra hop itself, on this machine)', summary.floor_overhead);
    console.log('req/s, p50, p99, CPU: median over rounds; overhead: median over rounds of the same-round difference of the ' +
      'percentiles; CPU: the measuring client\'s (model rows), the proxy\'s or the server process\'s CPU time per request; ' +
      'errors: failed or wrong answers (model rows), non-2xx + socket errors + timeouts (+ non-passive replies + ' +
      'wx-backend warnings, warm-ups included, for the gateways)');
    const stolen = good.filter((x) => x.steal_pct !== null && x.steal_pct > STEAL_WARN_PERCENT);
    if (stolen.length) {
      console.log(`warning: ${stolen.length} of ${good.length} runs lost more than ${STEAL_WARN_PERCENT}% of the machine's CPU time to ` +
        `other guests (steal up to ${fmt(Math.max(...stolen.map((x) => x.steal_pct)), 1)}%): latency in those runs is unreliable`);
    }
  }

  /**
   * Prints the verdict lines: the in-process gateway's (as before), the job queue's beside it when REDIS_URL is
   * set, and with --think 0 each gateway's AI messages/s. Returns the in-process figures at the top (as before the
   * queue variant) and the queue's under `queue`; `complete` is false when a gateway gave no result.
   */
  printVerdict(summary, good) {
    const pf = (ok) => (ok ? 'PASS' : 'FAIL');
    const verdict = { mode: this.MODE, users: this.USERS, think_ms: this.THINK, complete: true };
    const measured = {}; // in_process, queue
    console.log('');
    console.log(`wx-backend with EXTERNAL_SERVICE_TYPE=openai, ${this.MODE} mode, ${this.USERS} concurrent users` +
      `${this.THINK ? ` (${this.THINK} ms think time)` : ''}:`);
    const unreliable = good.filter((x) => x.steal_pct !== null && x.steal_pct > STEAL_WARN_PERCENT).length;
    verdict.runs_with_steal = unreliable;
    if (unreliable) console.log(`(unreliable: ${unreliable} runs with steal > ${STEAL_WARN_PERCENT}%; rerun on a quiet machine)`);

    const variants = [{ key: 'in_process', what: '', s: summary.gateway, ov: summary.overhead, target: TARGET_P99_MS }];
    if (this.redis) {
      variants.push({ key: 'queue', what: ' with the Redis job queue', s: summary.gateway_queue, ov: summary.overhead_queue,
        target: TARGET_QUEUE_P99_MS });
    }
    for (const { key, what, s, ov, target } of variants) {
      if (!s || !Number.isFinite(ov.p99_ms)) {
        console.log(`AI gateway overhead${what}: not measured; no verdict`);
        verdict.complete = false;
        continue;
      }
      const p99Ok = ov.p99_ms < target;
      measured[key] = { overhead_p99_ms: ov.p99_ms, overhead_p99_worst_ms: ov.p99_worst_ms, overhead_p50_ms: ov.p50_ms,
        target_p99_ms: target, p99_pass: p99Ok, errors: s.errors, errors_pass: s.errors === 0,
        model_requests_pass: s.model_requests_ok, wrapped: s.wrapped, messages_per_s: s.rps };
      console.log(`AI gateway overhead p99${what}: ${ov.p99_ms.toFixed(2)} ms (target < ${target} ms) ${pf(p99Ok)}` +
        (ov.rounds > 1 ? `   [median of ${ov.rounds} rounds; worst ${ov.p99_worst_ms.toFixed(2)} ms; p50 ${ov.p50_ms.toFixed(2)} ms]` : ''));
    }
    if (!this.redis) console.log('AI gateway overhead with the Redis job queue: not measured (set REDIS_URL to measure it)');
    if (this.THINK === 0) {
      // Back to back, every gateway run is saturated: its req/s is the AI messages one instance answers per second.
      for (const { key, what } of variants.filter((v) => measured[v.key])) {
        const rate = measured[key].messages_per_s;
        measured[key].messages_per_s_pass = rate >= TARGET_MESSAGES_PER_S;
        console.log(`AI messages/s ${what ? what.trim() : 'in process'} (no think time): ${fmt(rate)} ` +
          `(target >= ${TARGET_MESSAGES_PER_S}) ${pf(rate >= TARGET_MESSAGES_PER_S)}`);
      }
    }
    for (const { key, what } of variants.filter((v) => measured[v.key])) {
      const v = measured[key];
      console.log(`errors${what}: ${v.errors} ${pf(v.errors_pass)}`);
      console.log(`one model request per message${what}: ${v.model_requests_pass ? 'yes' : 'no'} ${pf(v.model_requests_pass)}   ` +
        '[exact in the correctness gate; measured runs: between the replies and the requests sent]');
      if (v.wrapped) console.log(`note: ${v.wrapped} measured run(s)${what} repeated MsgIds (see warnings above)`);
    }
    return { ...verdict, ...measured.in_process, ...(measured.queue ? { queue: measured.queue } : {}) };
  }

  // ---- main ------------------------------------------------------------------------------------

  async main() {
    try {
      return await this.measure();
    } finally {
      await this.redis?.close();
    }
  }

  async measure() {
    this.SHARED = path.join(repoRoot, 'bench', 'reference');
    for (const f of ['lib/proto.mjs', 'creds.env']) {
      if (!fs.existsSync(path.join(this.SHARED, f))) {
        console.error(`reference bench dir ${this.SHARED} is missing ${f}`);
        return 1;
      }
    }
    if (!fs.existsSync(path.join(repoRoot, 'dist', 'server.js'))) {
      console.error('dist/server.js not found (build first: npm run build; `npm run bench` does it)');
      return 1;
    }
    this.proto = await import(pathToFileURL(path.join(this.SHARED, 'lib', 'proto.mjs')).href);
    this.creds = this.proto.loadCreds();
    const wrkVersion = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
    if (wrkVersion.error) {
      console.error('install wrk: apt-get install -y wrk');
      return 1;
    }
    const clk = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    this.CLK_TCK = Number(clk.stdout) || 100;
    const NCPU = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
    this.PIN = NCPU > 1;
    if (this.PIN && spawnSync('taskset', ['-c', String(this.LOAD_CPU), 'true']).status !== 0) {
      console.error(`warning: cannot pin to cpu ${this.LOAD_CPU} with taskset; running unpinned`);
      this.PIN = false;
    }
    if (this.PROF_DIR) fs.mkdirSync(this.PROF_DIR, { recursive: true });
    if (this.REDIS_URL) {
      try {
        this.redis = await openBenchRedis(this.REDIS_URL);
      } catch (e) {
        console.error(`${e.message}: unset REDIS_URL to run without the gateway-queue run`);
        return 1;
      }
    }

    this.TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'wx-bench-ai-'));
    let cleaned = false;
    const cleanupSync = () => {
      if (cleaned) return;
      cleaned = true;
      this.killAllSync();
      if (this.o['keep-temp']) console.error(`temp folder kept: ${this.TMP}`);
      else fs.rmSync(this.TMP, { recursive: true, force: true });
    };
    process.on('exit', cleanupSync);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      process.on(sig, () => {
        if (this.interrupted) process.exit(130);
        this.interrupted = true;
        console.error(`\n${sig}: stopping`);
        Promise.all([...this.procs].map((p) => this.stop(p, 2000)))
          .then(() => this.redis?.close()) // the interrupted run's keys
          .finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
      });
    }

    const loadavg = os.loadavg().map((x) => x.toFixed(2)).join(' ');
    const meta = {
      date: new Date().toISOString(), cpus: NCPU, loadavg, node: process.version,
      wrk: (wrkVersion.stdout || wrkVersion.stderr).split('\n')[0].split(' ').slice(0, 2).join(' '),
      mode: this.MODE, rounds: this.ROUNDS, duration: this.DURATION, warmup: this.WARMUP, users: this.USERS, think_ms: this.THINK,
      queue_variant: Boolean(this.redis),
      pinned: this.PIN ? { server: this.SERVER_CPU, load: this.LOAD_CPU } : null, reference: this.SHARED,
    };
    console.log(`date: ${meta.date}  host: ${NCPU} cpus, load avg ${loadavg}`);
    console.log(`node ${meta.node}, ${meta.wrk}, reference bench: ${this.SHARED}`);
    console.log(`AI gateway overhead: ${this.MODE} mode, ${this.USERS} concurrent users (closed loop` +
      `${this.THINK ? `, ${this.THINK} ms think time` : ', no think time'}), ` +
      `${this.ROUNDS} rounds x ${this.DURATION}s (+${this.WARMUP}s warm-up); zero-latency fake model (openai-compatible, streamed)`);
    if (os.loadavg()[0] > 0.5) console.log(`warning: load avg ${loadavg} before starting: other work on this machine skews the figures`);
    console.log(this.PIN
      ? `wx-backend and the direct model client ${this.SERVER_CPU === 'all' ? 'on any cpu (not pinned)' : `pinned to cpu ${this.SERVER_CPU}`}; ` +
        `wrk (${this.USERS} threads) and the fake model pinned to cpu ${this.LOAD_CPU}`
      : 'no CPU pinning (1 cpu)');
    if (this.PROF_DIR) console.log(`CPU profiles of the measured wx-backend runs go to ${this.PROF_DIR} (profiling slows the server)`);
    if (this.redis) {
      console.log('gateway-queue: wx-backend with REDIS_URL (answers through the BullMQ job queue, shared state in Redis), ' +
        'its own REDIS_PREFIX wxbench:<random>: per run, every key under it deleted after the run');
    }
    console.log('');

    let exitCode = 0;
    try {
      await this.startFake();
    } catch (e) {
      console.log(`fake model: FAILED to start (${e.message})`);
      return 1;
    }

    // 1. Correctness gate: in process, and on the job queue when there is a Redis.
    const gates = {};
    for (const queue of this.redis ? [false, true] : [false]) {
      const gate = await this.gate({ queue });
      if (this.interrupted) return new Promise(() => {});
      if (!gate) {
        await this.stop(this.fake);
        return 1;
      }
      gates[queue ? 'queue' : 'in_process'] = gate;
    }
    console.log('');

    // 2. Rounds.
    const runs = [];
    const kinds = ['model-http', 'model-sdk', 'proxy-floor', 'gateway', ...(this.redis ? ['gateway-queue'] : [])];
    for (let r = 1; r <= this.ROUNDS && !this.interrupted; r++) {
      for (let k = 0; k < kinds.length && !this.interrupted; k++) {
        const kind = kinds[(k + r - 1) % kinds.length];
        const rec = { kind, round: r, order: k + 1 };
        try {
          if (kind === 'gateway' || kind === 'gateway-queue') Object.assign(rec, await this.runGateway(r, { queue: kind === 'gateway-queue' }));
          else if (kind === 'proxy-floor') Object.assign(rec, await this.runFloor(r));
          else Object.assign(rec, await this.runModel(kind.slice(6)));
        } catch (e) {
          rec.error = e.message;
          exitCode = 1;
        }
        if (this.interrupted) break;
        runs.push(rec);
        const isGateway = kind === 'gateway' || kind === 'gateway-queue';
        if (rec.error) {
          console.log(`round ${r}/${this.ROUNDS} ${kind.padEnd(13)} FAILED: ${rec.error}`);
          if (isGateway) console.log(tail(this.gatewayLog(r, kind === 'gateway-queue')));
          continue;
        }
        const viaWrk = isGateway || kind === 'proxy-floor';
        const errs = viaWrk ? errorsOf(rec) : rec.errors;
        const line = `round ${r}/${this.ROUNDS} ${kind.padEnd(13)} ${fmt(rec.rps).padStart(6)} req/s  p50 ${fmt(rec.p50_ms, 2)} ms  ` +
          `p99 ${fmt(rec.p99_ms, 2)} ms  errors ${errs}` + (rec.steal_pct === null ? '' : `  steal ${fmt(rec.steal_pct, 1)}%`);
        if (kind === 'proxy-floor') {
          console.log(`${line}  proxy CPU ${fmt(rec.cpu_us_per_msg)} µs/msg`);
          continue;
        }
        if (!isGateway) {
          console.log(`${line}  client CPU ${fmt(rec.cpu_us_per_req)} µs/req`);
          continue;
        }
        console.log(`${line}  server CPU ${fmt(rec.cpu_us_per_msg)} µs/msg  model requests ${rec.fake_requests} for ` +
          `${rec.requests} replies (${rec.issued - rec.requests} in flight at the end)` +
          (rec.warmup ? `  (warm-up ${fmt(rec.warmup.rps)} req/s)` : '') +
          (rec.redis_keys_deleted === undefined ? '' : `  Redis keys deleted ${rec.redis_keys_deleted}`));
        if (rec.wrapped) console.log(`warning: round ${r}: ${rec.wrapped} users ran out of fresh messages and repeated MsgIds (raise --min-rate)`);
        if (rec.server_warnings) console.log(`warning: round ${r}: wx-backend logged ${rec.server_warnings} warnings/errors, first: ${rec.first_warning}`);
        if (rec.cpu_profile) console.log(`  CPU profile: node bench/cpu-profile-summary.mjs ${rec.cpu_profile} --messages ${rec.profiled_messages}`);
      }
    }
    if (this.interrupted) return new Promise(() => {});
    await this.stop(this.fake);

    // 3. Summary.
    const { summary, good } = this.summarize(runs);
    meta.loadavg_end = os.loadavg().map((x) => x.toFixed(2)).join(' ');
    this.printTable(summary, good);
    const verdict = this.printVerdict(summary, good);
    if (!verdict.complete) exitCode = 1;

    if (this.o.json) {
      fs.mkdirSync(path.dirname(path.resolve(this.o.json)), { recursive: true });
      fs.writeFileSync(this.o.json, JSON.stringify({ meta, gate: gates.in_process, gate_queue: gates.queue, runs, summary, verdict }, null, 2) + '\n');
      console.log(`raw results in ${this.o.json}`);
    }
    return exitCode;
  }
}

const errorsOf = (r) => r.non2xx + r.socket_errors + r.timeouts + r.other;
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b), m = s.length >> 1;
  if (!s.length) return NaN;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const tail = (file, n = 15) => {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8').trimEnd(); } catch { /* no log */ }
  return text ? text.split('\n').slice(-n).map((l) => '    ' + l).join('\n') : '    (no output)';
};
