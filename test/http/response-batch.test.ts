/**
 * ResponseBatch on a real node:http server: answers queued during one turn of the event loop are written together
 * right after it, a full batch at once, and an answer whose connection has gone is skipped without harm.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { ResponseBatch } from '../../src/http/callback/response-batch.js';

interface Started {
  server: Server;
  port: number;
}

async function start(handler: (response: ServerResponse, path: string) => void): Promise<Started> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => handler(response, request.url ?? ''));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function get(port: number, path: string): Promise<{ status: number; body: string; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, type: response.headers['content-type'] }));
    });
    request.on('error', reject);
    request.end();
  });
}

const servers: Server[] = [];
after(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('ResponseBatch', () => {
  it('answers a lone request at once and many concurrent ones each with its own answer', async () => {
    const errors: unknown[] = [];
    const batch = new ResponseBatch((error) => errors.push(error));
    const { server, port } = await start((response, path) => {
      const body = `answer to ${path}`;
      batch.write(response, 200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) }, body);
    });
    servers.push(server);
    const startedAt = Date.now();
    assert.deepEqual(await get(port, '/one'), { status: 200, body: 'answer to /one', type: 'text/plain; charset=utf-8' });
    assert.ok(Date.now() - startedAt < 1_000);
    const answers = await Promise.all(Array.from({ length: 200 }, (_, index) => get(port, `/many/${index}`)));
    answers.forEach((answer, index) => assert.equal(answer.body, `answer to /many/${index}`));
    assert.deepEqual(errors, []);
  });

  it('holds answers until the current turn ends, and writes a full batch at once', async () => {
    const batch = new ResponseBatch(() => {}, 3);
    const held: ServerResponse[] = [];
    const observed: string[] = [];
    const { server, port } = await start((response) => {
      held.push(response);
      if (held.length < 4) return;
      // Four answers queued in one turn with room for three: the third fills the batch and is written with the
      // first two at once; the fourth waits for the end of the turn.
      for (const [index, queued] of held.entries()) {
        batch.write(queued, 200, { 'content-length': 1 }, String(index));
        observed.push(held.map((one) => (one.writableEnded ? 'w' : '-')).join(''));
      }
      setImmediate(() => observed.push(held.map((one) => (one.writableEnded ? 'w' : '-')).join('')));
    });
    servers.push(server);
    const bodies = await Promise.all([0, 1, 2, 3].map(() => get(port, '/')));
    assert.deepEqual(bodies.map((answer) => answer.body).sort(), ['0', '1', '2', '3']);
    assert.deepEqual(observed, ['----', '----', 'www-', 'www-', 'wwww']);
  });

  it('skips an answer whose connection is gone and still writes the others', async () => {
    const errors: unknown[] = [];
    const batch = new ResponseBatch((error) => errors.push(error));
    const held: ServerResponse[] = [];
    const { server, port } = await start((response) => {
      held.push(response);
      if (held.length < 2) return;
      held[0]!.destroy(); // the first client is gone before its answer is written
      batch.write(held[0]!, 200, { 'content-length': 4 }, 'gone');
      batch.write(held[1]!, 200, { 'content-length': 4 }, 'here');
    });
    servers.push(server);
    const [first, second] = await Promise.allSettled([get(port, '/a'), get(port, '/b')]);
    const outcomes = [first, second].map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.body : 'failed'));
    assert.deepEqual(outcomes.sort(), ['failed', 'here']);
    assert.deepEqual(errors, []);
  });
});
