#!/usr/bin/env node
// A zero-latency fake model for `npm run bench -- --ai`: an OpenAI-compatible `POST …/chat/completions` on
// node:http that answers at once, plus counters. Plain JavaScript, no dependencies.
//
// The answer is `fake-model answer to: <the last user message's text>`, so a reply can be matched to its message.
// `stream: true` gets the whole server-sent-event stream in one write, shaped like OpenAI's (a role chunk, the
// text in two content chunks, a finish chunk, a usage chunk when `stream_options.include_usage`, `data: [DONE]`);
// otherwise one JSON completion.
//
//   GET  /stats        {"requests":N,"errors":E,"handling":{"n","p50_us","p99_us","max_us","mean_us"}}
//                      requests: chat completions answered since the start or the last reset; handling: the
//                      fake's own time per completion, from the request's arrival (headers parsed) to the
//                      response handed to the socket (`finish`), in microseconds
//   POST /stats/reset  zero the counters
//
// Usage: node bench/ai-fake-model.mjs [--port P]   (default: any free port; PORT in the environment works too)
// Prints one line `{"port":P}` on stdout once it listens on 127.0.0.1.
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({ options: { port: { type: 'string', default: process.env.PORT ?? '0' } } });

const ANSWER_PREFIX = 'fake-model answer to: ';
const MAX_SAMPLES = 2_000_000; // handling-time samples kept between resets (16 MB)

let requests = 0;
let errors = 0;
let samples = new Float64Array(1 << 16);
let count = 0;
let sequence = 0;

function record(us) {
  if (count === samples.length) {
    if (count >= MAX_SAMPLES) return;
    const bigger = new Float64Array(Math.min(MAX_SAMPLES, samples.length * 2));
    bigger.set(samples);
    samples = bigger;
  }
  samples[count++] = us;
}

function stats() {
  const s = samples.slice(0, count).sort();
  const at = (q) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : null);
  let sum = 0;
  for (const x of s) sum += x;
  return {
    requests, errors,
    handling: { n: s.length, p50_us: at(0.5), p99_us: at(0.99), max_us: s.length ? s[s.length - 1] : null,
      mean_us: s.length ? sum / s.length : null },
  };
}

/** The text of the last user message: a string, or the text parts of a content array. */
function lastUserText(messages) {
  for (let k = (messages?.length ?? 0) - 1; k >= 0; k--) {
    const m = messages[k];
    if (m?.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) return m.content.filter((p) => p?.type === 'text').map((p) => p.text).join('\n');
    return '';
  }
  return '';
}

function sendJson(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function completion(req, res, started, raw) {
  let body;
  try {
    body = JSON.parse(raw);
  } catch {
    errors++;
    return sendJson(res, 400, { error: { message: 'request body is not JSON', type: 'invalid_request_error' } });
  }
  requests++;
  res.once('finish', () => record(Number(process.hrtime.bigint() - started) / 1000));
  const text = ANSWER_PREFIX + lastUserText(body.messages);
  const id = `chatcmpl-bench-${++sequence}`;
  const created = Math.floor(Date.now() / 1000);
  const model = typeof body.model === 'string' ? body.model : 'fake';
  const usage = { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 };
  if (body.stream !== true) {
    return sendJson(res, 200, { id, object: 'chat.completion', created, model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage });
  }
  const base = `"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)}`;
  const chunk = (delta, finish = null) =>
    `data: {${base},"choices":[{"index":0,"delta":${JSON.stringify(delta)},"finish_reason":${JSON.stringify(finish)}}]}\n\n`;
  let half = Math.ceil(text.length / 2);
  if (/[\uD800-\uDBFF]/.test(text[half - 1] ?? '')) half++; // never split a surrogate pair
  let sse = chunk({ role: 'assistant', content: '' }) + chunk({ content: text.slice(0, half) }) +
    chunk({ content: text.slice(half) }) + chunk({}, 'stop');
  if (body.stream_options?.include_usage === true) sse += `data: {${base},"choices":[],"usage":${JSON.stringify(usage)}}\n\n`;
  sse += 'data: [DONE]\n\n';
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache',
    'content-length': Buffer.byteLength(sse) });
  res.end(sse);
}

const server = http.createServer((req, res) => {
  const started = process.hrtime.bigint();
  const url = req.url ?? '';
  if (req.method === 'POST' && url.split('?')[0].endsWith('/chat/completions')) {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => completion(req, res, started, Buffer.concat(parts).toString('utf8')));
    return;
  }
  req.resume();
  if (req.method === 'GET' && url === '/stats') return sendJson(res, 200, stats());
  if (req.method === 'POST' && url === '/stats/reset') {
    requests = 0;
    errors = 0;
    count = 0;
    return sendJson(res, 200, { ok: true });
  }
  errors++;
  sendJson(res, 404, { error: { message: `Unknown request URL: ${req.method} ${url}`, type: 'invalid_request_error' } });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(o.port), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
