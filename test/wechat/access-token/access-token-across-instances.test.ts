// Several instances sharing one Redis: each manager has its own RedisTokenStore on its own connection, as
// separate processes would, and all of them talk to one stable_token server that counts requests.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { AccessTokenManager, type AccessTokenManagerOptions } from '../../../src/wechat/access-token/access-token-manager.js';
import { RedisTokenStore } from '../../../src/wechat/access-token/redis-token-store.js';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniquePrefix } from '../../support/redis.js';
import { captureLog } from './capture-log.js';
import { StableTokenServer } from './stable-token-server.js';

const APP_ID = 'wx0123456789abcdef';
const APP_SECRET = 'S3cr3tAppSecretValue0123456789ab';
const KEY = `stable_token:${APP_ID}`;

interface Instances {
  server: StableTokenServer;
  managers: AccessTokenManager[];
  /** One store per instance, for arranging state. */
  stores: RedisTokenStore[];
  /** Real time moved forward by `offset` milliseconds. */
  clock: { offset: number; now: () => number };
}

async function withInstances(
  t: TestContext,
  count: number,
  overrides: Partial<AccessTokenManagerOptions>,
  body: (instances: Instances) => Promise<void>,
): Promise<void> {
  if (!(await requireRedis(t))) return;
  const keyPrefix = uniquePrefix('access-token');
  const server = await StableTokenServer.start();
  const connections = Array.from({ length: count }, () => new Redis(TEST_REDIS_URL));
  const clock = { offset: 0, now: (): number => Date.now() + clock.offset };
  const stores = connections.map((redis) => new RedisTokenStore({ redis, keyPrefix, now: clock.now }));
  const managers = stores.map((store) => new AccessTokenManager({
    appId: APP_ID,
    appSecret: APP_SECRET,
    apiBase: server.url,
    store,
    log: captureLog().log,
    now: clock.now,
    pollIntervalMs: 10,
    busyRetryDelaysMs: [10],
    ...overrides,
  }));
  try {
    await body({ server, managers, stores, clock });
  } finally {
    await deleteKeys(connections[0]!, keyPrefix);
    await Promise.all(connections.map((redis) => redis.quit()));
    await server.close();
  }
}

/** `total` concurrent getToken calls spread over the managers in turn. */
function concurrentGetToken(managers: AccessTokenManager[], total: number): Promise<string[]> {
  return Promise.all(Array.from({ length: total }, (_, index) => managers[index % managers.length]!.getToken()));
}

void describe('AccessTokenManager across instances (Redis)', () => {
  void it('three instances, 300 concurrent getToken, empty cache: exactly one stable_token request', async (t) => {
    await withInstances(t, 3, {}, async ({ server, managers }) => {
      server.delayMs = 100;
      const tokens = await concurrentGetToken(managers, 300);
      assert.equal(server.requestCount, 1);
      assert.equal(new Set(tokens).size, 1);
      assert.equal(tokens[0], server.currentToken);
    });
  });

  void it('three instances, 300 concurrent getToken, an expired token in the store: exactly one request', async (t) => {
    await withInstances(t, 3, {}, async ({ server, managers, stores, clock }) => {
      // Expired by the clock, still present in Redis (an expiry Redis has not applied yet, or clock skew).
      await stores[0]!.set(KEY, { value: 'expired-token', expiresAt: clock.now() + 60_000, obtainedAt: clock.now() - 7_140_000 });
      clock.offset += 61_000;
      server.delayMs = 100;
      const tokens = await concurrentGetToken(managers, 300);
      assert.equal(server.requestCount, 1);
      assert.ok(tokens.every((token) => token === server.currentToken));
    });
  });

  void it('three instances, 300 concurrent getToken, a token due for refresh: one request, nobody waits', async (t) => {
    await withInstances(t, 3, {}, async ({ server, managers, stores, clock }) => {
      await stores[0]!.set(KEY, { value: 'due-token', expiresAt: clock.now() + 100_000, obtainedAt: clock.now() - 7_100_000 });
      server.delayMs = 200;
      const tokens = await concurrentGetToken(managers, 300);
      assert.equal(server.requestCount, 1);
      // Callers of the other instances were served the still-valid token instead of waiting.
      assert.ok(tokens.every((token) => token === 'due-token' || token === server.currentToken));
      assert.equal((await stores[1]!.get(KEY))?.value, server.currentToken);
    });
  });

  void it('a lock holder that died: the others take over once its lock expires', async (t) => {
    await withInstances(t, 3, { lockTtlMs: 1_000, lockWaitMs: 3_000 }, async ({ server, managers, stores }) => {
      // An instance took the lock and crashed before storing anything.
      assert.ok(await stores[0]!.acquireLock(KEY, 400));
      const startedAt = performance.now();
      const tokens = await concurrentGetToken(managers.slice(1), 60);
      const elapsedMs = performance.now() - startedAt;
      assert.equal(server.requestCount, 1);
      assert.ok(tokens.every((token) => token === server.currentToken));
      assert.ok(elapsedMs >= 350 && elapsedMs < 2_500, `took ${elapsedMs} ms`);
    });
  });

  void it('the bounded wait ends with a clear error when the holder keeps the lock', async (t) => {
    await withInstances(t, 2, { lockWaitMs: 200 }, async ({ server, managers, stores }) => {
      assert.ok(await stores[0]!.acquireLock(KEY, 10_000));
      await assert.rejects(managers[1]!.getToken(), /timed out after 200 ms waiting for another instance to refresh stable_token:wx0123456789abcdef/);
      assert.equal(server.requestCount, 0);
    });
  });

  void it('a rejected token seen by every instance at once is replaced by one request', async (t) => {
    await withInstances(t, 3, {}, async ({ server, managers, clock }) => {
      const old = await managers[0]!.getToken();
      clock.offset += 120_000;
      const replacement = server.rotate();
      server.delayMs = 50;
      const retried = await Promise.all(Array.from({ length: 60 }, (_, index) => managers[index % 3]!.refreshAfterInvalid(old)));
      assert.ok(retried.every((token) => token === replacement));
      assert.deepEqual(server.requests.map((request) => request.force_refresh), [false, false]);
    });
  });

  void it('a fresh token rejected on every instance: one forced refresh across instances per interval', async (t) => {
    await withInstances(t, 3, {}, async ({ server, managers }) => {
      const fresh = await managers[0]!.getToken();
      server.delayMs = 50;
      const retried = await Promise.all(managers.map((manager) => manager.refreshAfterInvalid(fresh)));
      assert.deepEqual(server.requests.map((request) => request.force_refresh), [false, true]);
      const forced = server.currentToken;
      assert.notEqual(forced, fresh);
      // The others waited for the forced refresh under way rather than retrying with the rejected token.
      assert.ok(retried.every((token) => token === forced));
      assert.equal(await managers[2]!.getToken(), forced);
    });
  });

  void it('an old token rejected everywhere while WeChat hands out the same one again: one request, no forced refresh', async (t) => {
    await withInstances(t, 3, {}, async ({ server, managers, clock }) => {
      const old = await managers[0]!.getToken();
      clock.offset += 120_000;
      server.delayMs = 50;
      const retried = await Promise.all(Array.from({ length: 30 }, (_, index) => managers[index % 3]!.refreshAfterInvalid(old)));
      // Normal mode answered the same token; reports made before that fetch are not "a fresh token still fails".
      assert.ok(retried.every((token) => token === old));
      assert.deepEqual(server.requests.map((request) => request.force_refresh), [false, false]);
    });
  });
});
