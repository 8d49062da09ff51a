import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisHandoffStore } from '../../../src/guard/handoff/redis-handoff-store.js';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniquePrefix, withConnections } from '../../support/redis.js';
import { runHandoffStoreContract } from './handoff-store.contract.js';

// Two stores on two connections under one prefix: two instances of a deployment.
runHandoffStoreContract(
  'RedisHandoffStore',
  async (now) => {
    const keyPrefix = uniquePrefix('handoff');
    const connections = [new Redis(TEST_REDIS_URL), new Redis(TEST_REDIS_URL)] as const;
    return {
      store: new RedisHandoffStore({ redis: connections[0], keyPrefix, now }),
      other: new RedisHandoffStore({ redis: connections[1], keyPrefix, now }),
      cleanup: async () => {
        await deleteKeys(connections[0], keyPrefix);
        await Promise.all(connections.map((redis) => redis.quit()));
      },
    };
  },
  { beforeEach: requireRedis },
);

it('RedisHandoffStore: every key under the prefix, each expiring — the user at the time-out, the index with the longest', async (t) => {
  await withConnections(t, 'handoff-keys', async (connect, keyPrefix) => {
    const redis = connect();
    const store = new RedisHandoffStore({ redis, keyPrefix });
    await store.begin('oLong', 60_000);
    await store.begin('oShort', 10_000);
    const keys = (await redis.keys(`${keyPrefix}*`)).sort();
    assert.deepEqual(keys, [`${keyPrefix}index`, `${keyPrefix}user:oLong`, `${keyPrefix}user:oShort`]);
    const ttl = async (key: string): Promise<number> => redis.pttl(key);
    assert.ok((await ttl(`${keyPrefix}user:oLong`)) > 55_000 && (await ttl(`${keyPrefix}user:oLong`)) <= 60_000);
    assert.ok((await ttl(`${keyPrefix}user:oShort`)) > 5_000 && (await ttl(`${keyPrefix}user:oShort`)) <= 10_000);
    assert.ok((await ttl(`${keyPrefix}index`)) > 55_000, 'the shorter hand-off did not shorten the index');
  });
});

it('RedisHandoffStore: a user whose key Redis expired first is pruned from the index; the others stay', async (t) => {
  await withConnections(t, 'handoff-prune', async (connect, keyPrefix) => {
    const redis = connect();
    const store = new RedisHandoffStore({ redis, keyPrefix });
    await store.begin('oGone', 60_000);
    await store.begin('oKept', 60_000);
    // Redis dropped the key while the index still lists the user (its clock ahead of the instance's).
    await redis.del(`${keyPrefix}user:oGone`);
    assert.deepEqual((await store.list()).map((entry) => entry.openId), ['oKept']);
    assert.deepEqual(await redis.zrange(`${keyPrefix}index`, '0', '-1'), ['oKept']);
  });
});
