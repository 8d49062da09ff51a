/**
 * WeChat's retries: one message delivered three times (one after another, and all at once) reaches the handler
 * once and every delivery gets the same reply — in one instance, and across two instances sharing Redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisDedupStore } from '../../src/conversation/dedup/redis-dedup-store.js';
import { Router } from '../../src/conversation/router.js';
import { textMessageXml } from '../../src/simulator/wechat-emulator.js';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { startTestApp, testCredentials, testEnv, type TestApp } from '../support/test-server.js';

/** A router that counts calls per content and answers after `delayMs` with a reply unique to the call. */
function countingRouter(delayMs: number) {
  const calls = new Map<string, number>();
  let sequence = 0;
  const router = new Router().text(undefined, async (context) => {
    const content = context.message.kind === 'text' ? context.message.content : '';
    calls.set(content, (calls.get(content) ?? 0) + 1);
    const call = ++sequence;
    await sleep(delayMs);
    return { type: 'text', content: `${content} #${call}` };
  });
  return { router, calls };
}

const USER = 'oDedupUser0000000000000000001';
const message = (content: string) => textMessageXml({ from: USER, to: 'gh_dedup', content });

describe('dedup across deliveries (memory store)', () => {
  const credentials = testCredentials();
  const { router, calls } = countingRouter(150);
  let server: TestApp;
  before(async () => {
    server = await startTestApp(testEnv(credentials), { router });
  });
  after(() => server?.close());

  it('three sequential deliveries: handler once, identical replies', async () => {
    const delivery = server.emulator.sign(message('sequential'), 'safe');
    const answers = [];
    for (let index = 0; index < 3; index++) answers.push(await server.emulator.deliver(delivery));
    assert.equal(calls.get('sequential'), 1);
    const contents = answers.map((answer) => answer.reply?.Content);
    assert.equal(new Set(contents).size, 1);
    assert.match(String(contents[0]), /^sequential #\d+$/);
    assert.ok(answers.every((answer) => answer.signatureValid === true));
  });

  it('three concurrent deliveries: the retries wait for the first and return the same reply', async () => {
    for (const mode of ['safe', 'compat'] as const) {
      const content = `concurrent ${mode}`;
      const delivery = server.emulator.sign(message(content), mode);
      const answers = await Promise.all([0, 1, 2].map(() => server.emulator.deliver(delivery)));
      assert.equal(calls.get(content), 1, mode);
      assert.deepEqual(answers.map((answer) => answer.status), [200, 200, 200]);
      assert.equal(new Set(answers.map((answer) => answer.reply?.Content)).size, 1);
      assert.match(String(answers[0]?.reply?.Content), new RegExp(`^${content} #\\d+$`));
    }
  });

  it('a retry that arrives later than the dedup window of the first still gets the same answer', async () => {
    const delivery = server.emulator.sign(message('late retry'), 'safe');
    const first = server.emulator.deliver(delivery);
    await sleep(50);
    const second = server.emulator.deliver(delivery);
    const [a, b] = await Promise.all([first, second]);
    await sleep(200);
    const c = await server.emulator.deliver(delivery);
    assert.equal(calls.get('late retry'), 1);
    assert.equal(a.reply?.Content, b.reply?.Content);
    assert.equal(a.reply?.Content, c.reply?.Content);
  });

  it('different messages with the same content are different messages', async () => {
    await server.emulator.deliver(server.emulator.sign(message('same words'), 'safe'));
    await server.emulator.deliver(server.emulator.sign(message('same words'), 'safe'));
    assert.equal(calls.get('same words'), 2);
  });
});

describe('handler failures and rejected input', () => {
  const credentials = testCredentials();
  let handled = 0;
  const router = new Router().text(undefined, (context) => {
    handled++;
    if (context.message.kind === 'text' && context.message.content === 'boom') throw new Error(`kaboom ${credentials.token}`);
    return { type: 'text', content: 'fine' };
  });
  let server: TestApp;
  before(async () => {
    server = await startTestApp(testEnv(credentials, { EXTERNAL_SERVICE_ERROR_MSG: '服务暂时不可用，请稍后重试' }), { router });
  });
  after(() => server?.close());

  it('a failing handler gives the user EXTERNAL_SERVICE_ERROR_MSG with 200, never a 5xx, and logs without secrets', async () => {
    const delivery = server.emulator.sign(message('boom'), 'safe');
    const answers = await Promise.all([server.emulator.deliver(delivery), server.emulator.deliver(delivery)]);
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      assert.equal(answer.reply?.Content, '服务暂时不可用，请稍后重试');
    }
    assert.equal(handled, 1);
    assert.match(server.logs(), /message handler failed/);
    assert.equal(server.logs().includes(credentials.token), false);
  });

  it('rejected deliveries never reach the handler', async () => {
    const before = handled;
    const delivery = server.emulator.sign(message('never'), 'safe');
    const url = new URL(delivery.url);
    url.searchParams.set('msg_signature', '0'.repeat(40));
    const responses = await Promise.all([
      fetch(url, { method: 'POST', body: delivery.body }),
      fetch(delivery.url.replace(/signature=[0-9a-f]+/, 'signature=bad'), { method: 'POST', body: delivery.body }),
      fetch(delivery.url, { method: 'POST', body: delivery.body.replace('<Encrypt>', '<Encrypt2>') }),
    ]);
    assert.deepEqual(responses.map((response) => response.status), [403, 403, 400]);
    assert.equal(handled, before);
  });
});

describe('dedup across two instances sharing Redis', () => {
  const credentials = testCredentials();
  const { router, calls } = countingRouter(300);
  const prefix = uniquePrefix('dedup-e2e');
  let redisA: Redis | undefined;
  let redisB: Redis | undefined;
  let first: TestApp | undefined;
  let second: TestApp | undefined;
  const stores: RedisDedupStore[] = [];
  let ready = false;

  before(async () => {
    redisA = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    redisB = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await Promise.all([redisA.connect(), redisB.connect()]);
    } catch {
      return; // each test reports it through requireRedis
    }
    stores.push(new RedisDedupStore({ redis: redisA, keyPrefix: prefix }), new RedisDedupStore({ redis: redisB, keyPrefix: prefix }));
    first = await startTestApp(testEnv(credentials), { router, dedupStore: stores[0]! });
    second = await startTestApp(testEnv(credentials), { router, dedupStore: stores[1]! });
    ready = true;
  });
  after(async () => {
    await first?.close();
    await second?.close();
    await Promise.all(stores.map((store) => store.close()));
    if (redisA?.status === 'ready') await deleteKeys(redisA, prefix);
    redisA?.disconnect();
    redisB?.disconnect();
  });

  it('deliveries spread over both instances, concurrently and later: handler once, same reply', async (t) => {
    if (!(await requireRedis(t))) return;
    assert.ok(ready && first && second);
    const delivery = first.emulator.sign(message('two instances'), 'safe');
    const answers = await Promise.all([
      first.emulator.deliver(delivery),
      sleep(30).then(() => second!.emulator.deliver(delivery)),
      sleep(60).then(() => second!.emulator.deliver(delivery)),
    ]);
    const later = await first.emulator.deliver(delivery);
    assert.equal(calls.get('two instances'), 1);
    const contents = [...answers, later].map((answer) => answer.reply?.Content);
    assert.equal(new Set(contents).size, 1, JSON.stringify(contents));
    assert.match(String(contents[0]), /^two instances #\d+$/);
  });

  it('sequential deliveries to alternating instances: handler once', async (t) => {
    if (!(await requireRedis(t))) return;
    assert.ok(ready && first && second);
    const delivery = first.emulator.sign(message('alternating'), 'safe');
    const a = await first.emulator.deliver(delivery);
    const b = await second.emulator.deliver(delivery);
    const c = await first.emulator.deliver(delivery);
    assert.equal(calls.get('alternating'), 1);
    assert.equal(a.reply?.Content, b.reply?.Content);
    assert.equal(b.reply?.Content, c.reply?.Content);
  });
});

describe('a failing dedup store (e.g. Redis down)', () => {
  const credentials = testCredentials();
  const failing = {
    claim: () => Promise.reject(new Error('connection refused')),
    complete: () => Promise.reject(new Error('connection refused')),
    completeIfPending: () => Promise.reject(new Error('connection refused')),
    release: () => Promise.resolve(),
    waitForReply: () => Promise.resolve(undefined),
    close: () => Promise.resolve(),
  };
  let server: TestApp;
  before(async () => {
    server = await startTestApp(testEnv(credentials, { EXTERNAL_SERVICE_ERROR_MSG: '服务暂时不可用' }), { dedupStore: failing });
  });
  after(() => server?.close());

  it('answers the authentic message with EXTERNAL_SERVICE_ERROR_MSG and 200, and logs it', async () => {
    const answer = await server.emulator.deliver(server.emulator.sign(message('hello?'), 'safe'));
    assert.equal(answer.status, 200);
    assert.equal(answer.reply?.Content, '服务暂时不可用');
    assert.equal(answer.signatureValid, true);
    assert.match(server.logs(), /dedup store failed/);
  });
});
