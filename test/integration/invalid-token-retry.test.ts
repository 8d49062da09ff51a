/**
 * Issue 3: WeChat rejecting the cached access token (40001). Three instances share the token through the real
 * Redis; each test starts its own cluster, so the once-per-30-s gate on forced refreshes starts fresh. One
 * rejection costs one stable_token request and one retry, and the operator's call succeeds; a second
 * rejection in a row is the caller's 502, never a loop.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeApiCall } from '../../src/demo/fake-wechat-api/start-fake-wechat-api.js';
import { seedMenu } from '../support/app-instances.js';
import { startInstanceCluster, type InstanceCluster } from '../support/instance-cluster.js';
import { requireRedis } from '../support/redis.js';

const STABLE_TOKEN = '/cgi-bin/stable_token';
const MENU_GET = '/cgi-bin/menu/get';
const CUSTOM_SEND = '/cgi-bin/message/custom/send';
const USER = 'oInvalidTokenUser00000000001';

/** A fresh three-instance cluster with a token already cached (one stable_token request), closed afterwards. */
async function withWarmCluster(t: TestContext, body: (cluster: InstanceCluster) => Promise<void>): Promise<void> {
  if (!(await requireRedis(t))) return;
  const cluster = await startInstanceCluster({ size: 3 });
  try {
    seedMenu(cluster.fake);
    cluster.fake.noteUserMessage(USER);
    assert.equal((await cluster.instance(0).admin('GET', '/menu')).status, 200);
    assert.equal(cluster.fake.callsTo(STABLE_TOKEN).length, 1);
    await body(cluster);
  } finally {
    await cluster.close();
  }
}

/** The fake's calls to `path` from `from` on (an index into `fake.calls`). */
function callsSince(cluster: InstanceCluster, from: number, path: string): FakeApiCall[] {
  return cluster.fake.calls.slice(from).filter((call) => call.path === path);
}

describe('an access token WeChat rejects (40001)', () => {
  it('one rejection: one stable_token request, one retry, and the call succeeds (message sent once)', (t) => withWarmCluster(t, async (cluster) => {
    const { fake } = cluster;
    const mark = fake.calls.length;
    fake.failNext(CUSTOM_SEND, 40001);

    // Another instance than the one that fetched: it holds the token only through Redis.
    const answer = await cluster.instance(1).admin('POST', '/messages/custom', { openid: USER, type: 'text', content: 'hello' });

    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json, { ok: true });
    assert.deepEqual(callsSince(cluster, mark, CUSTOM_SEND).map((call) => call.errcode), [40001, 0], 'one retry after the rejection');
    const refreshes = callsSince(cluster, mark, STABLE_TOKEN);
    assert.equal(refreshes.length, 1, 'exactly one refresh');
    // The rejected token was fetched moments ago, so asking in normal mode would hand it back: force a new one.
    assert.equal((refreshes[0]?.body as { force_refresh?: unknown }).force_refresh, true);
    assert.equal(fake.state.customerServiceMessages.get(USER)?.length, 1, 'the user gets the message once');

    // The replacement is shared: the other instances use it without asking WeChat again.
    for (const index of [0, 2]) assert.equal((await cluster.instance(index).admin('GET', '/menu')).status, 200);
    assert.equal(fake.callsTo(STABLE_TOKEN).length, 2);
    assert.equal((await cluster.store.get(cluster.tokenKey))?.value, fake.issuedTokens.at(-1));
  }));

  it('two rejections in a row: 502 with errcode 40001 to the operator, after one refresh and one retry; no loop', (t) => withWarmCluster(t, async (cluster) => {
    const { fake } = cluster;
    const mark = fake.calls.length;
    fake.failNext(MENU_GET, 40001, { times: 2 });

    const answer = await cluster.instance(2).admin('GET', '/menu');

    assert.equal(answer.status, 502, answer.text);
    assert.equal(answer.json?.error, 'wechat_api_error');
    assert.equal(answer.json?.errcode, 40001);
    assert.match(String(answer.json?.errmsg), /invalid credential/);
    assert.match(String(answer.json?.hint), /access token is invalid/);
    assert.deepEqual(callsSince(cluster, mark, MENU_GET).map((call) => call.errcode), [40001, 40001], 'the call and one retry');
    assert.equal(callsSince(cluster, mark, STABLE_TOKEN).length, 1, 'one refresh');
    // Nothing keeps going in the background.
    const settled = fake.calls.length;
    await sleep(300);
    assert.equal(fake.calls.length, settled, 'no further requests to WeChat after the answer');

    // WeChat accepts the token again: the next call works with what is cached.
    assert.equal((await cluster.instance(0).admin('GET', '/menu')).status, 200);
    assert.equal(callsSince(cluster, mark, STABLE_TOKEN).length, 1);
  }));

  it('every token revoked (AppSecret reset): concurrent calls on all instances recover with one stable_token request', (t) => withWarmCluster(t, async (cluster) => {
    const { fake } = cluster;
    // Every instance has used the cached token before it is revoked.
    for (const index of [1, 2]) assert.equal((await cluster.instance(index).admin('GET', '/menu')).status, 200);
    const mark = fake.calls.length;
    fake.revokeTokens();

    const answers = await Promise.all(Array.from({ length: 30 }, (_, index) => cluster.instance(index).admin('GET', '/menu')));

    assert.deepEqual(answers.map((answer) => answer.status), Array.from({ length: 30 }, () => 200));
    assert.equal(callsSince(cluster, mark, STABLE_TOKEN).length, 1, 'exactly one refresh for all instances');
    const menuCalls = callsSince(cluster, mark, MENU_GET);
    assert.equal(menuCalls.filter((call) => call.errcode === 0).length, 30);
    // At most one rejection per call: each retried once, none looped.
    assert.ok(menuCalls.filter((call) => call.errcode === 40001).length <= 30);
    assert.equal(menuCalls.length, 30 + menuCalls.filter((call) => call.errcode === 40001).length);
  }));

  it('tokens revoked right after a forced refresh: the next call recovers with one normal re-fetch, not 30 s of 502s', (t) => withWarmCluster(t, async (cluster) => {
    const { fake } = cluster;
    fake.failNext(MENU_GET, 40001);
    assert.equal((await cluster.instance(0).admin('GET', '/menu')).status, 200); // forced refresh
    const mark = fake.calls.length;
    fake.revokeTokens();

    const answer = await cluster.instance(1).admin('GET', '/menu');

    assert.equal(answer.status, 200, answer.text);
    const refreshes = callsSince(cluster, mark, STABLE_TOKEN);
    assert.deepEqual(refreshes.map((call) => (call.body as { force_refresh?: unknown }).force_refresh), [false]);
    for (const index of [0, 2]) assert.equal((await cluster.instance(index).admin('GET', '/menu')).status, 200);
    assert.equal(callsSince(cluster, mark, STABLE_TOKEN).length, 1);
  }));
});
