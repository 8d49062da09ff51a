import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { RedisTokenStore } from '../../../src/wechat/access-token/redis-token-store.js';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniquePrefix } from '../../support/redis.js';
import { runTokenStoreContract } from './token-store.contract.js';

runTokenStoreContract(
  'RedisTokenStore',
  async () => {
    const connections = [new Redis(TEST_REDIS_URL)];
    const keyPrefix = uniquePrefix('token');
    return {
      store: new RedisTokenStore({ redis: connections[0]!, keyPrefix }),
      reopen: () => {
        // Another instance: its own connection.
        const redis = new Redis(TEST_REDIS_URL);
        connections.push(redis);
        return new RedisTokenStore({ redis, keyPrefix });
      },
      cleanup: async () => {
        await deleteKeys(connections[0]!, keyPrefix);
        await Promise.all(connections.map((redis) => redis.quit()));
      },
    };
  },
  { beforeEach: requireRedis },
);

async function withStores(t: TestContext, count: number, body: (stores: RedisTokenStore[], redis: Redis, keyPrefix: string) => Promise<void>): Promise<void> {
  if (!(await requireRedis(t))) return;
  const keyPrefix = uniquePrefix('token');
  const connections = Array.from({ length: count }, () => new Redis(TEST_REDIS_URL));
  try {
    await body(connections.map((redis) => new RedisTokenStore({ redis, keyPrefix })), connections[0]!, keyPrefix);
  } finally {
    await deleteKeys(connections[0]!, keyPrefix);
    await Promise.all(connections.map((redis) => redis.quit()));
  }
}

void describe('RedisTokenStore', () => {
  void it('one lock across stores on separate connections: exactly one of many wins', async (t) => {
    await withStores(t, 3, async (stores) => {
      const attempts = stores.flatMap((store) => Array.from({ length: 20 }, () => store.acquireLock('stable_token:wx1', 10_000)));
      const locks = await Promise.all(attempts);
      assert.equal(locks.filter((lock) => lock !== undefined).length, 1);
    });
  });

  void it('keeps everything under its prefix, with a Redis expiry on credentials and locks', async (t) => {
    await withStores(t, 1, async ([store], redis, keyPrefix) => {
      await store!.set('stable_token:wx1', { value: 'token', expiresAt: Date.now() + 60_000, obtainedAt: Date.now() });
      await store!.acquireLock('stable_token:wx1', 5_000);
      const keys = (await redis.keys(`${keyPrefix}*`)).sort();
      assert.deepEqual(keys, [`${keyPrefix}token-lock:stable_token:wx1`, `${keyPrefix}token:stable_token:wx1`]);
      for (const key of keys) {
        const ttl = await redis.pttl(key);
        assert.ok(ttl > 0 && ttl <= 60_000, `${key} ttl ${ttl}`);
      }
    });
  });

  void it('deleteIfValue and an unknown or damaged stored value', async (t) => {
    await withStores(t, 1, async ([store], redis, keyPrefix) => {
      await redis.set(`${keyPrefix}token:stable_token:wx1`, 'not json', 'PX', 60_000);
      assert.equal(await store!.get('stable_token:wx1'), undefined);
      assert.equal(await store!.deleteIfValue('stable_token:wx1', 'not json'), false);
    });
  });
});
