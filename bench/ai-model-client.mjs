#!/usr/bin/env node
// The model round trip measured directly from Node, without the gateway: N concurrent users (closed loop, each
// sends its next request when the previous answer has been read to its end) stream chat completions from an
// OpenAI-compatible server (bench/ai-fake-model.mjs), like wx-backend's openai adapter does for each message.
// `npm run bench -- --ai` runs it as the reference that the gateway's latency is compared with.
//
// Usage: node bench/ai-model-client.mjs --url http://127.0.0.1:PORT/v1 [options]
//   --client http|fetch|sdk   http: node:http with a keep-alive agent, the raw round trip (default);
//                             fetch: Node's global fetch (undici), reading the body as a web stream;
//                             sdk: the official openai SDK from the repo's node_modules, as the adapter calls it
//                             (stream: true, stream_options.include_usage, an abort signal), iterating the chunks
//   --users N                 concurrent users (default 50)
//   --duration S              measured seconds (default 10)
//   --warmup S                warm-up seconds first, not measured (default 3)
//   --think MS                each user waits before each request, a random time exponentially distributed with
//                             mean MS, capped at 4 s as in bench/ai-replay.lua (not measured; default 0)
// Prints one line "RESULT {json}": requests, seconds, rps, p50/p90/p99/p999/max/mean in ms, errors (failed
// requests, and answers without the fake model's text or the stream's end), cpu_us_per_req (this process's CPU
// time per request) and `sample` (one answer's text).
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, TextDecoder } from 'node:util';

const { AbortController } = globalThis;

const { values: o } = parseArgs({
  options: {
    url: { type: 'string' },
    client: { type: 'string', default: 'http' },
    users: { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    think: { type: 'string', default: '0' },
  },
});
if (!o.url) {
  console.error('--url is required');
  process.exit(2);
}
const USERS = Number(o.users);
const DURATION = Number(o.duration);
const WARMUP = Number(o.warmup);
const THINK = Number(o.think);
const base = o.url.replace(/\/+$/, '');
const ANSWER_PREFIX = 'fake-model answer to: ';

// The adapter's request: the configured model, the conversation, streamed with usage at the end.
const bodyOf = (user, n) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: `你好 #${n} from user ${user}` }],
  stream: true,
  stream_options: { include_usage: true },
});

// Each client: (user, n) => Promise<string>, the answer's text; throws on failure.
async function makeClient(kind) {
  if (kind === 'http') {
    const target = new URL(`${base}/chat/completions`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: USERS });
    return (user, n) => new Promise((resolve, reject) => {
      const body = JSON.stringify(bodyOf(user, n));
      const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: 'Bearer bench' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { text += d; });
        res.on('end', () => {
          if (res.statusCode !== 200 || !text.endsWith('data: [DONE]\n\n')) return reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 100)}`));
          resolve(sseText(text));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  if (kind === 'fetch') {
    const url = `${base}/chat/completions`;
    return async (user, n) => {
      const res = await fetch(url, { method: 'POST', body: JSON.stringify(bodyOf(user, n)),
        headers: { 'content-type': 'application/json', authorization: 'Bearer bench' }, signal: new AbortController().signal });
      const decoder = new TextDecoder();
      let text = '';
      for await (const chunk of res.body) text += decoder.decode(chunk, { stream: true });
      if (res.status !== 200 || !text.endsWith('data: [DONE]\n\n')) throw new Error(`HTTP ${res.status}: ${text.slice(0, 100)}`);
      return sseText(text);
    };
  }
  if (kind === 'sdk') {
    const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
    const { createRequire } = await import('node:module');
    const entry = createRequire(path.join(repoRoot, 'package.json')).resolve('openai');
    const { default: OpenAI } = await import(pathToFileURL(entry).href);
    const client = new OpenAI({ apiKey: 'bench', baseURL: base, maxRetries: 0, timeout: 600_000 });
    return async (user, n) => {
      const chunks = await client.chat.completions.create(bodyOf(user, n), { signal: new AbortController().signal });
      let text = '';
      let usage = false;
      for await (const chunk of chunks) {
        if (chunk.usage) usage = true;
        const choice = chunk.choices.find((c) => c.index === 0);
        if (choice?.delta?.content) text += choice.delta.content;
      }
      if (!usage) throw new Error('no usage chunk');
      return text;
    };
  }
  console.error(`unknown --client ${kind}`);
  process.exit(2);
}

/** The concatenated `delta.content` of an SSE body. */
function sseText(body) {
  let text = '';
  for (const line of body.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    const chunk = JSON.parse(line.slice(6));
    text += chunk.choices?.[0]?.delta?.content ?? '';
  }
  return text;
}

const call = await makeClient(o.client);

async function phase(seconds, measure, think) {
  const latencies = [];
  let errors = 0;
  let sample;
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: USERS }, async (_, user) => {
    while (performance.now() < end) {
      if (think > 0) {
        const wait = Math.min(-think * Math.log(1 - Math.random()), 4000, end - performance.now());
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (performance.now() >= end) break;
      }
      const k = n++;
      const t0 = performance.now();
      try {
        const text = await call(user, k);
        const dt = performance.now() - t0;
        if (!text.startsWith(ANSWER_PREFIX) || !text.includes(`#${k} `)) errors++;
        else if (measure) latencies.push(dt);
        sample ??= text;
      } catch (e) {
        errors++;
        if (errors <= 3) console.error(`request failed: ${e.message}`);
      }
    }
  }));
  return { latencies, errors, sample, seconds: (performance.now() - started) / 1000 };
}

if (WARMUP > 0) await phase(WARMUP, false, 0);
const cpu0 = process.cpuUsage();
const m = await phase(DURATION, true, THINK);
const cpu = process.cpuUsage(cpu0);
const s = Float64Array.from(m.latencies).sort();
const at = (q) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : NaN);
const mean = s.length ? s.reduce((a, x) => a + x, 0) / s.length : NaN;
const r3 = (x) => Math.round(x * 1000) / 1000;
console.log('RESULT ' + JSON.stringify({
  client: o.client, users: USERS, requests: s.length, seconds: r3(m.seconds), rps: Math.round((s.length / m.seconds) * 10) / 10,
  p50_ms: r3(at(0.5)), p90_ms: r3(at(0.9)), p99_ms: r3(at(0.99)), p999_ms: r3(at(0.999)), max_ms: r3(s[s.length - 1] ?? NaN),
  mean_ms: r3(mean), cpu_us_per_req: Math.round((cpu.user + cpu.system) / Math.max(1, s.length)), errors: m.errors, sample: m.sample,
}));
process.exit(0);
