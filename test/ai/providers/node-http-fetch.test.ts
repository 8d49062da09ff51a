import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNodeHttpFetch, type NodeHttpFetch } from '../../../src/ai/providers/node-http-fetch.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A loopback server with a few routes for the fetch to talk to. */
async function startServer(): Promise<{ url: string; seen: Seen[]; connections: () => number; closedEarly: () => number; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  let connections = 0;
  let closedEarly = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.on('close', () => {
        if (!res.writableFinished) closedEarly++;
      });
      switch (req.url) {
        case '/json':
          res.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'req-1', 'set-cookie': ['a=1', 'b=2'] });
          res.end(JSON.stringify({ echo: body, 你好: '世界' }));
          return;
        case '/slow-headers':
          setTimeout(() => res.end('late'), 5_000).unref();
          return;
        case '/drip':
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: first\n\n');
          setTimeout(() => res.end('data: second\n\n'), 300).unref();
          return;
        case '/hang-body':
          res.writeHead(200);
          res.write('part');
          return;
        case '/redirect':
          res.writeHead(307, { location: '/json' });
          res.end();
          return;
        case '/error':
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end('{"error":{"message":"boom"}}');
          return;
        default:
          res.end(`${req.method} ${req.headers['content-type'] ?? ''}`);
      }
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    connections: () => connections,
    closedEarly: () => closedEarly,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('createNodeHttpFetch (the fetch the openai SDK is given)', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let fetchLike: NodeHttpFetch;
  before(async () => {
    server = await startServer();
    fetchLike = createNodeHttpFetch();
  });
  after(async () => {
    fetchLike.close();
    await server.close();
  });

  it('sends method, headers (from a Headers object) and a string body with its length; reads status, headers and JSON', async () => {
    const response = await fetchLike(`${server.url}/json`, {
      method: 'POST',
      headers: new Headers({ 'Content-Type': 'application/json', Authorization: 'Bearer k' }),
      body: '{"q":"问"}',
    });
    assert.equal(response.status, 201);
    assert.equal(response.ok, true);
    assert.equal(response.url, `${server.url}/json`);
    assert.equal(response.headers.get('X-Request-Id'), 'req-1');
    assert.equal(response.headers.get('set-cookie'), 'a=1, b=2');
    assert.equal(response.headers.get('absent'), null);
    assert.ok([...response.headers.entries()].some(([name, value]) => name === 'x-request-id' && value === 'req-1'));
    assert.deepEqual(await response.json(), { echo: '{"q":"问"}', 你好: '世界' });
    const request = server.seen.at(-1)!;
    assert.equal(request.method, 'POST');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers.authorization, 'Bearer k');
    assert.equal(request.headers['content-length'], String(Buffer.byteLength('{"q":"问"}')));
  });

  it('accepts headers as a record or as pairs, and a byte body', async () => {
    await (await fetchLike(`${server.url}/plain`, { method: 'POST', headers: { 'X-One': '1' }, body: new TextEncoder().encode('bytes') })).text();
    assert.equal(server.seen.at(-1)!.headers['x-one'], '1');
    assert.equal(server.seen.at(-1)!.body, 'bytes');
    await (await fetchLike(`${server.url}/plain`, { method: 'POST', headers: [['X-Two', '2']], body: 'x' })).text();
    assert.equal(server.seen.at(-1)!.headers['x-two'], '2');
  });

  it('a body can be read once; text, arrayBuffer and an error status come through', async () => {
    const response = await fetchLike(`${server.url}/error`, { method: 'POST', body: '{}' });
    assert.equal(response.status, 500);
    assert.equal(response.ok, false);
    assert.equal(await response.text(), '{"error":{"message":"boom"}}');
    await assert.rejects(response.text(), /already been read/);
    const bytes = await (await fetchLike(`${server.url}/plain`)).arrayBuffer();
    assert.equal(new TextDecoder().decode(bytes), 'GET ');
  });

  it('streams the body as it arrives: the first event is read long before the response ends', async () => {
    const started = performance.now();
    const response = await fetchLike(`${server.url}/drip`, { method: 'POST', body: '{}' });
    const times: number[] = [];
    let text = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      times.push(performance.now() - started);
      text += Buffer.from(chunk).toString('utf8');
    }
    assert.equal(text, 'data: first\n\ndata: second\n\n');
    assert.ok(times.length >= 2, `chunks: ${times.length}`);
    assert.ok(times[0]! < 200 && times.at(-1)! >= 250, `chunk times ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
  });

  it('keeps connections alive: sequential requests share one socket', async () => {
    const own = createNodeHttpFetch();
    const before = server.connections();
    for (let index = 0; index < 5; index++) await (await own(`${server.url}/plain`, { method: 'POST', body: 'x' })).text();
    assert.equal(server.connections() - before, 1);
    own.close();
  });

  it('an already aborted signal rejects at once with an AbortError and sends nothing', async () => {
    const count = server.seen.length;
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(fetchLike(`${server.url}/json`, { method: 'POST', body: '{}', signal: controller.signal }), { name: 'AbortError' });
    await sleep(50);
    assert.equal(server.seen.length, count);
  });

  it('aborting while waiting for headers rejects with an AbortError and closes the connection', async () => {
    const closedBefore = server.closedEarly();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    await assert.rejects(fetchLike(`${server.url}/slow-headers`, { method: 'POST', body: '{}', signal: controller.signal }), { name: 'AbortError' });
    assert.ok(performance.now() - started < 2_000);
    await sleep(100);
    assert.equal(server.closedEarly(), closedBefore + 1);
  });

  it('aborting mid-body ends the body with an AbortError', async () => {
    const controller = new AbortController();
    const response = await fetchLike(`${server.url}/hang-body`, { method: 'POST', body: '{}', signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(
      (async () => {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) void chunk;
      })(),
      { name: 'AbortError' },
    );
  });

  it('a refused connection rejects with the connection error (not an abort)', async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await assert.rejects(fetchLike(`http://127.0.0.1:${port}/x`, { method: 'POST', body: '{}' }), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'ECONNREFUSED');
      return true;
    });
  });

  it('FormData bodies go to the global fetch (multipart), and redirects are followed', async () => {
    const form = new FormData();
    form.append('file', new Blob(['audio']), 'a.mp3');
    const text = await (await fetchLike(`${server.url}/form`, { method: 'POST', body: form })).text();
    assert.match(text, /^POST multipart\/form-data; boundary=/);
    const redirected = await fetchLike(`${server.url}/redirect`, { method: 'POST', body: 'again', headers: { 'content-type': 'text/plain' } });
    assert.equal(redirected.status, 201);
    assert.equal(((await redirected.json()) as { echo: string }).echo, 'again');
  });
});
