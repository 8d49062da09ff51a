/**
 * Issue 3, scaled out: three app instances share the real Redis (each on its own connection, one REDIS_PREFIX)
 * and talk to one fake WeChat API over HTTP. However many operator-API calls arrive at once, spread over the
 * instances, WeChat's /cgi-bin/stable_token is asked exactly once — when nothing is cached, and once more when
 * the cached token is due for refresh — and every call succeeds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedMenu, type HttpAnswer } from '../support/app-instances.js';
import { startInstanceCluster, type InstanceCluster } from '../support/instance-cluster.js';
import { requireRedis } from '../support/redis.js';

const STABLE_TOKEN = '/cgi-bin/stable_token';
const INSTANCES = 3;
const CALLS = 300;
const USERS = ['oTokenClusterUser000000000001', 'oTokenClusterUser000000000002', 'oTokenClusterUser000000000003'];
/**
 * Long enough for all the calls to arrive while the one fetch is under way, so the other instances really do
 * find the lock taken and wait for the token instead of finding it already cached.
 */
const STABLE_TOKEN_DELAY_MS = 300;

/** Call `index`: every other one reads the menu, the rest push a customer-service message; instances round-robin. */
function operatorCall(cluster: InstanceCluster, index: number): Promise<HttpAnswer> {
  const instance = cluster.instance(index);
  if (index % 2 === 0) return instance.admin('GET', '/menu');
  return instance.admin('POST', '/messages/custom', { openid: USERS[index % USERS.length], type: 'text', content: `message ${index}` });
}

async function concurrentCalls(cluster: InstanceCluster): Promise<HttpAnswer[]> {
  return Promise.all(Array.from({ length: CALLS }, (_, index) => operatorCall(cluster, index)));
}

function assertAllSucceeded(answers: HttpAnswer[]): void {
  const failed = answers.flatMap((answer, index) => (answer.status === 200 ? [] : [`#${index}: ${answer.status} ${answer.text}`]));
  assert.deepEqual(failed, [], 'every operator call succeeds');
  assert.equal(answers.length, CALLS);
}

function sentMessages(cluster: InstanceCluster): number {
  return [...cluster.fake.state.customerServiceMessages.values()].reduce((total, messages) => total + messages.length, 0);
}

describe('access token shared by three instances through Redis', () => {
  let cluster: InstanceCluster | undefined;
  let startError: unknown;

  before(async () => {
    try {
      cluster = await startInstanceCluster({ size: INSTANCES, fake: { customServiceQuota: CALLS } });
    } catch (error) {
      startError = error; // Redis missing: each test reports it through requireRedis (a failure under CI=true)
      return;
    }
    seedMenu(cluster.fake);
    for (const user of USERS) cluster.fake.noteUserMessage(user);
  });
  after(() => cluster?.close());

  it(`with an empty cache, ${CALLS} concurrent calls over ${INSTANCES} instances fetch the token once`, async (t) => {
    if (!(await requireRedis(t))) return;
    assert.ok(cluster, `the cluster did not start: ${String(startError)}`);
    const { fake, store, tokenKey } = cluster;
    assert.equal(await store.get(tokenKey), undefined, 'nothing cached before the first call');
    fake.delay(STABLE_TOKEN, STABLE_TOKEN_DELAY_MS, { times: 1 });

    assertAllSucceeded(await concurrentCalls(cluster));

    assert.equal(fake.callsTo(STABLE_TOKEN).length, 1, 'exactly one stable_token request for all instances');
    assert.equal(fake.issuedTokens.length, 1);
    // Every API call went out with that token the first time: no invalid-token answer, no retry.
    const apiCalls = [...fake.callsTo('/cgi-bin/menu/get'), ...fake.callsTo('/cgi-bin/message/custom/send')];
    assert.equal(apiCalls.length, CALLS);
    assert.deepEqual(new Set(apiCalls.map((call) => call.errcode)), new Set([0]));
    assert.equal(sentMessages(cluster), CALLS / 2);
    // The one fetch was made by one instance; the others took the token from Redis.
    const statuses = await Promise.all(cluster.instances.map((instance) => instance.admin('GET', '/token')));
    assert.deepEqual(statuses.map((status) => status.json?.state), ['ok', 'ok', 'ok']);
    assert.equal(statuses.reduce((total, status) => total + Number(status.json?.refreshCount), 0), 1);
    assert.equal((await store.get(tokenKey))?.value, fake.issuedTokens[0]);
  });

  it(`with a cached token due for refresh, ${CALLS} concurrent calls refresh it once`, async (t) => {
    if (!(await requireRedis(t))) return;
    assert.ok(cluster, `the cluster did not start: ${String(startError)}`);
    const { fake, store, tokenKey } = cluster;
    const cached = await store.get(tokenKey);
    assert.ok(cached, 'the previous test left a token in Redis');
    // Redis drops a credential at its expiry, so an "expired" token in the store is one about to expire: fetched
    // long ago with a minute left, inside the refresh-ahead window (at least 300 s before expiry).
    const now = Date.now();
    await store.set(tokenKey, { value: cached.value, obtainedAt: now - 7_140_000, expiresAt: now + 60_000 });
    assert.equal((await cluster.instance(0).admin('GET', '/token')).json?.state, 'expiring');
    const fetchesBefore = fake.callsTo(STABLE_TOKEN).length;
    fake.delay(STABLE_TOKEN, STABLE_TOKEN_DELAY_MS, { times: 1 });

    assertAllSucceeded(await concurrentCalls(cluster));

    const fetches = fake.callsTo(STABLE_TOKEN);
    assert.equal(fetches.length, fetchesBefore + 1, 'exactly one more stable_token request');
    // Normal mode: refreshing ahead of expiry must not invalidate the token other instances are still using.
    assert.equal((fetches.at(-1)?.body as { force_refresh?: unknown }).force_refresh, false);
    const refreshed = await store.get(tokenKey);
    assert.ok(refreshed && refreshed.expiresAt > Date.now() + 3_600_000, 'the refreshed token is cached with its full lifetime');
    assert.ok(refreshed.obtainedAt >= now);
    const statuses = await Promise.all(cluster.instances.map((instance) => instance.admin('GET', '/token')));
    assert.deepEqual(statuses.map((status) => status.json?.state), ['ok', 'ok', 'ok']);
    assert.equal(sentMessages(cluster), CALLS);
  });
});
