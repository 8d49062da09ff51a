#!/usr/bin/env node
// The thinnest gateway Node can be, for `npm run bench -- --ai` (row `proxy-floor`): raw node:http, no crypto,
// no SDK, no framework. POST any path: the body's <Content> (or, encrypted, the ciphertext) becomes the user
// message of one streamed chat completion from the fake model over a keep-alive node:http agent; the reply is
// the concatenated text, wrapped as <xml><Encrypt>…</Encrypt></xml> so that bench/ai-replay.lua counts it as an
// answer. It checks nothing and is not checked: it shows what an extra hop in front of the model costs on this
// machine, so that the gateway's overhead can be read against it.
//
// Usage: node bench/ai-floor-proxy.mjs --model http://127.0.0.1:PORT/v1 [--port P]
// Prints one line `{"port":P}` on stdout once it listens on 127.0.0.1.
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({ options: { model: { type: 'string' }, port: { type: 'string', default: '0' } } });
if (!o.model) {
  console.error('--model is required');
  process.exit(2);
}
const target = new URL(`${o.model.replace(/\/+$/, '')}/chat/completions`);
const agent = new http.Agent({ keepAlive: true });

const between = (text, open, close) => {
  const s = text.indexOf(open);
  if (s < 0) return undefined;
  const e = text.indexOf(close, s + open.length);
  return e < 0 ? undefined : text.slice(s + open.length, e);
};

const server = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    const content = between(body, '<Content><![CDATA[', ']]>') ?? between(body, '<Encrypt><![CDATA[', ']]>') ?? body;
    const payload = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], stream: true,
      stream_options: { include_usage: true } });
    const upstream = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: 'Bearer bench' } },
    (answer) => {
      let text = '';
      answer.setEncoding('utf8');
      answer.on('data', (d) => { text += d; });
      answer.on('end', () => {
        let reply = '';
        for (const line of text.split('\n')) {
          if (line.startsWith('data: {')) reply += JSON.parse(line.slice(6)).choices?.[0]?.delta?.content ?? '';
        }
        const out = `<xml><Encrypt><![CDATA[${reply}]]></Encrypt></xml>`;
        res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8', 'content-length': Buffer.byteLength(out) }).end(out);
      });
    });
    upstream.on('error', () => res.writeHead(502).end());
    upstream.end(payload);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(Number(o.port), '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
