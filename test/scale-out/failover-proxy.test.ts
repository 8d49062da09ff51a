/**
 * The failover proxy the scale-out tests put in front of their instances (test/support/failover-proxy.ts): it
 * sends requests to the chosen instance or in turn, answers 502 for an instance that is gone (so WeChat delivers
 * again), and follows an instance to its new address after a restart.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { startFailoverProxy } from '../support/failover-proxy.js';

const servers: Server[] = [];
after(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));

/** A backend that answers with its name and the path it got. */
async function backend(name: string): Promise<string> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => response.end(`${name} ${request.method} ${request.url} ${body}`));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An address nothing listens at (a port that was free a moment ago). */
async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await new Promise((resolve) => server.close(resolve));
  return url;
}

async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', body });
  return { status: response.status, text: await response.text() };
}

describe('failover proxy', () => {
  it('forwards method, path, query and body to the chosen instance, then to another once switched', async () => {
    const proxy = await startFailoverProxy([await backend('a'), await backend('b')]);
    try {
      assert.deepEqual(await post(`${proxy.url}/wechat?x=1`, '<xml/>'), { status: 200, text: 'a POST /wechat?x=1 <xml/>' });
      proxy.route(1);
      assert.equal((await post(`${proxy.url}/wechat`, '')).text, 'b POST /wechat ');
      assert.deepEqual(proxy.forwarded.map((request) => [request.target, request.outcome]), [[0, 200], [1, 200]]);
      assert.throws(() => proxy.route(2), RangeError);
    } finally {
      await proxy.close();
    }
  });

  it('round-robin sends requests to the instances in turn', async () => {
    const proxy = await startFailoverProxy([await backend('a'), await backend('b')]);
    try {
      proxy.roundRobin();
      const names = [];
      for (let index = 0; index < 4; index++) names.push((await post(proxy.url, '')).text.split(' ')[0]);
      assert.deepEqual(names, ['a', 'b', 'a', 'b']);
    } finally {
      await proxy.close();
    }
  });

  it('an instance that is gone gets 502 (WeChat delivers again); after a restart at a new address it is reached again', async () => {
    const proxy = await startFailoverProxy([await deadAddress()]);
    try {
      const refused = await post(proxy.url, '');
      assert.equal(refused.status, 502);
      assert.equal(proxy.forwarded[0]?.outcome, 'refused');
      proxy.replace(0, await backend('restarted'));
      assert.equal((await post(proxy.url, '')).text, 'restarted POST / ');
    } finally {
      await proxy.close();
    }
  });
});
