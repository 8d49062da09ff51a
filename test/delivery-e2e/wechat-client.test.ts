/**
 * The test client itself behaves like WeChat: the byte-identical request again after a closed connection, a
 * non-200 answer or a timeout, at most three deliveries, stopping at the first 200.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WeChatClient } from '../support/wechat-client.js';
import { testCredentials } from '../support/test-server.js';

describe('WeChatClient', () => {
  const credentials = testCredentials();
  const received: Array<{ url: string; body: string }> = [];
  let answers: Array<(response: ServerResponse) => void> = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ url: request.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      (answers.shift() ?? ((each) => each.end('success')))(response);
    });
  });
  let client: (timeoutMs?: number) => WeChatClient;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = (timeoutMs = 5000) => new WeChatClient({ ...credentials, callbackUrl: `http://127.0.0.1:${port}/wechat`, timeoutMs });
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('retries the identical request after a closed connection and a 500, and stops at the first 200', async () => {
    received.length = 0;
    answers = [(response) => response.destroy(), (response) => response.writeHead(500).end('oops'), (response) => response.end('success')];
    const exchange = await client().sendText('oClientUser', 'hello');
    assert.deepEqual(exchange.deliveries.map((each) => each.status), ['closed', 500, 200]);
    assert.equal(exchange.reply, 'success');
    assert.equal(received.length, 3);
    assert.ok(received.every((each) => each.url === received[0]!.url && each.body === received[0]!.body), 'byte-identical deliveries');
    assert.match(received[0]!.url, /encrypt_type=aes&msg_signature=/);
  });

  it('gives up after three deliveries that time out', async () => {
    received.length = 0;
    answers = [() => {}, () => {}, () => {}];
    const exchange = await client(200).sendText('oClientUser', 'slow');
    assert.deepEqual(exchange.deliveries.map((each) => each.status), ['timeout', 'timeout', 'timeout']);
    assert.ok(exchange.deliveries.every((each) => each.ms >= 190 && each.ms < 1000));
    assert.equal(exchange.reply, undefined);
    assert.equal(received.length, 3);
  });

  it('tells a refused connection (nothing listening: the server is not running) from a timeout, and still delivers three times', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const exchange = await new WeChatClient({ ...credentials, callbackUrl: `http://127.0.0.1:${port}/wechat` }).sendText('oClientUser', 'anyone?');
    assert.deepEqual(exchange.deliveries.map((each) => each.status), ['refused', 'refused', 'refused']);
    assert.ok(exchange.deliveries.every((each) => each.error === 'ECONNREFUSED'));
    assert.deepEqual(exchange.deliveries.map((each) => each.number), [1, 2, 3]);
    assert.equal(exchange.reply, undefined);
  });
});
