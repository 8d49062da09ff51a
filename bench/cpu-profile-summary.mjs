#!/usr/bin/env node
// Summarises a V8 CPU profile (node --cpu-prof; `npm run bench -- --ai --cpu-prof DIR` writes one per measured
// wx-backend run): where the busy time went, by stage of the AI path and by function.
//
// Usage: node bench/cpu-profile-summary.mjs FILE.cpuprofile [--messages N] [--top K]
//   --messages N   also show µs per message (N = messages answered while profiling, e.g. warm-up + measured
//                  replies of that run; the profile covers the server's whole life)
//   --top K        functions listed (default 25)
//
// Stages: each sample is charged to the stage of the frame nearest to the leaf that belongs to one (so native
// work such as JSON.parse or a cipher counts for the JavaScript that called it, and fetch's work for fetch even
// when the SDK called it); samples of GC and of the idle loop are their own stages. Self time by function is
// exact (no attribution).
import fs from 'node:fs';
import { parseArgs } from 'node:util';

const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: { messages: { type: 'string' }, top: { type: 'string', default: '25' } },
});
if (positionals.length !== 1) {
  console.error('usage: node bench/cpu-profile-summary.mjs FILE.cpuprofile [--messages N] [--top K]');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(positionals[0], 'utf8'));
const MESSAGES = o.messages === undefined ? undefined : Number(o.messages);

// [stage, test(url, functionName)]; for one frame, the first matching stage wins.
const STAGES = [
  ['context store (load/append, structuredClone, JSON sizing)', (u) => /\/conversation\/context\//.test(u)],
  ['openai SDK (request building, SSE decoding, chunk iteration)', (u) => /node_modules\/openai\//.test(u)],
  ['fetch (undici: Request/Response, headers, llhttp, pool)', (u) => u.startsWith('node:internal/deps/undici') || u.startsWith('wasm://')],
  ['web streams (ReadableStream, TextDecoderStream)', (u) => u.startsWith('node:internal/webstreams')],
  ['resilience policy (cockatiel, abortable stream, handoff)', (u) => /\/ai\/(resilience|abortable-stream|handoff)\.js$/.test(u) || /node_modules\/cockatiel\//.test(u)],
  ['agent loop (runAgent, openai adapter, tools)', (u) => /\/ai\/(run-agent|providers\/|tools\/)/.test(u)],
  ['answer (agent handler, live answer, coordinator, text conversion)', (u) => /\/(conversation\/(handlers|answer-coordinator|user-queue)|delivery\/)/.test(u)],
  ['WeChat callback (signature, AES, XML, dispatch, dedup, reply)', (u) => /\/(http\/callback|wechat\/|conversation\/(message-dispatcher|router|dedup))/.test(u)],
  ['logging (pino)', (u) => /node_modules\/(pino|@pinojs)/.test(u) || /\/logging\//.test(u)],
  ['sockets and node:http (server and client I/O)', (u) => /^node:(_http_|net$|internal\/stream_base_commons|internal\/streams)/.test(u)],
  ['abort signals and events', (u) => /^node:(internal\/abort_controller|internal\/event_target|events$|internal\/worker\/js_transferable)/.test(u)],
  ['promises and microtasks (runtime)', (u, f) => f === 'runMicrotasks' || u === 'node:internal/process/task_queues'],
];

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map();
let total = 0;
for (let k = 0; k < profile.samples.length; k++) {
  const dt = profile.timeDeltas[k] ?? 0;
  self.set(profile.samples[k], (self.get(profile.samples[k]) ?? 0) + dt);
  total += dt;
}

const stageOf = new Map();
function stage(id) {
  if (stageOf.has(id)) return stageOf.get(id);
  const leaf = nodes.get(id).callFrame.functionName;
  let result;
  if (leaf === '(garbage collector)') result = 'garbage collector';
  else if (leaf === '(idle)') result = '(idle)';
  else {
    for (let cur = id; cur !== undefined && result === undefined; cur = parent.get(cur)) {
      const f = nodes.get(cur).callFrame;
      result = STAGES.find(([, test]) => test(f.url, f.functionName))?.[0];
    }
    result ??= leaf === '(program)' ? '(program: V8 outside JS)' : 'other (native, runtime, module loading)';
  }
  stageOf.set(id, result);
  return result;
}

const byStage = new Map();
const byFn = new Map();
for (const [id, t] of self) {
  const s = stage(id);
  byStage.set(s, (byStage.get(s) ?? 0) + t);
  const f = nodes.get(id).callFrame;
  const where = f.url ? ` ${f.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/')}:${f.lineNumber + 1}` : '';
  const label = `${f.functionName || '(anonymous)'}${where}`;
  byFn.set(label, (byFn.get(label) ?? 0) + t);
}
const idle = byStage.get('(idle)') ?? 0;
const busy = total - idle;
const perMsg = (t) => (MESSAGES ? `${(t / MESSAGES).toFixed(1).padStart(7)} µs/msg  ` : '');
const show = (entries) => {
  for (const [label, t] of entries) {
    console.log(`${(t / 1000).toFixed(0).padStart(7)} ms  ${((100 * t) / busy).toFixed(1).padStart(5)}%  ${perMsg(t)}${label}`);
  }
};
console.log(`profile: ${(total / 1e6).toFixed(2)} s, busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s` +
  (MESSAGES ? `; ${MESSAGES} messages → ${(busy / MESSAGES).toFixed(0)} µs busy per message` : '') + '   (% of busy time)');
console.log('\nby stage (each sample charged to its nearest frame that belongs to a stage; see the header of this script):');
show([...byStage].filter(([s]) => s !== '(idle)').sort((a, b) => b[1] - a[1]));
console.log(`\ntop ${o.top} functions by self time:`);
show([...byFn].filter(([l]) => !l.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, Number(o.top)));
