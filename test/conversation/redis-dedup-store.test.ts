import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisDedupStore } from '../../src/conversation/dedup/redis-dedup-store.js';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniquePrefix, withConnections } from '../support/redis.js';
import { runDedupStoreContract } from './dedup-store.contract.js';

runDedupStoreContract(
  'RedisDedupStore',
  async () => {
    const redis = new Redis(TEST_REDIS_URL);
    const keyPrefix = uniquePrefix('dedup');
    return {
      store: new RedisDedupStore({ redis, keyPrefix }),
      cleanup: async () => {
        await deleteKeys(redis, keyPrefix);
        await redis.quit();
      },
    };
  },
  { beforeEach: requireRedis },
);

void describe('RedisDedupStore across instances', () => {
  void it('a second instance sees the claim pending and is woken by pub/sub when the first completes', async (t) => {
    await withConnections(t, 'dedup', async (connect, keyPrefix) => {
      const first = new RedisDedupStore({ redis: connect(), keyPrefix });
      // A poll far too slow to matter: only the notification can wake the waiter in time.
      const second = new RedisDedupStore({ redis: connect(), keyPrefix, pollIntervalMs: 60_000 });
      try {
        assert.deepEqual(await first.claim('wxapp|1', 10_000), { state: 'claimed' });
        assert.equal((await second.claim('wxapp|1', 10_000)).state, 'pending');
        const wait = second.waitForReply('wxapp|1', 10_000);
        await sleep(100);
        const completedAt = performance.now();
        await first.complete('wxapp|1', '回答', 10_000);
        assert.equal(await wait, '回答');
        assert.ok(performance.now() - completedAt < 1_000);
        assert.deepEqual(await second.claim('wxapp|1', 10_000), { state: 'done', reply: '回答' });
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });
  });

  void it('a release on one instance resolves waiters on another with undefined', async (t) => {
    await withConnections(t, 'dedup', async (connect, keyPrefix) => {
      const first = new RedisDedupStore({ redis: connect(), keyPrefix });
      const second = new RedisDedupStore({ redis: connect(), keyPrefix, pollIntervalMs: 60_000 });
      try {
        await first.claim('wxapp|1', 10_000);
        const wait = second.waitForReply('wxapp|1', 10_000);
        await sleep(100);
        const releasedAt = performance.now();
        await first.release('wxapp|1');
        assert.equal(await wait, undefined);
        assert.ok(performance.now() - releasedAt < 1_000);
        assert.deepEqual(await second.claim('wxapp|1', 10_000), { state: 'claimed' });
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });
  });

  void it('the poll notices a claim that expires, without any notification', async (t) => {
    await withConnections(t, 'dedup', async (connect, keyPrefix) => {
      const first = new RedisDedupStore({ redis: connect(), keyPrefix });
      const second = new RedisDedupStore({ redis: connect(), keyPrefix, pollIntervalMs: 50 });
      try {
        await first.claim('wxapp|1', 200);
        const startedAt = performance.now();
        assert.equal(await second.waitForReply('wxapp|1', 10_000), undefined);
        assert.ok(performance.now() - startedAt < 1_000);
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });
  });

  void it('a store cannot release a claim it does not own', async (t) => {
    await withConnections(t, 'dedup', async (connect, keyPrefix) => {
      const owner = new RedisDedupStore({ redis: connect(), keyPrefix });
      const other = new RedisDedupStore({ redis: connect(), keyPrefix });
      try {
        await owner.claim('wxapp|1', 10_000);
        await other.release('wxapp|1');
        assert.equal((await other.claim('wxapp|1', 10_000)).state, 'pending');
        await owner.release('wxapp|1');
        assert.deepEqual(await other.claim('wxapp|1', 10_000), { state: 'claimed' });
      } finally {
        await Promise.all([owner.close(), other.close()]);
      }
    });
  });

  void it('a stale release does not remove a newer claim', async (t) => {
    await withConnections(t, 'dedup', async (connect, keyPrefix) => {
      const first = new RedisDedupStore({ redis: connect(), keyPrefix });
      const second = new RedisDedupStore({ redis: connect(), keyPrefix });
      try {
        await first.claim('wxapp|1', 100);
        await sleep(200);
        assert.deepEqual(await second.claim('wxapp|1', 10_000), { state: 'claimed' });
        await first.release('wxapp|1');
        assert.equal((await first.claim('wxapp|1', 10_000)).state, 'pending');
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });
  });

  void it('prefixes isolate: the same key under another prefix is independent', async (t) => {
    await withConnections(t, 'dedup', async (connect, keyPrefix) => {
      const redis = connect();
      const otherPrefix = `${keyPrefix}other:`;
      const store = new RedisDedupStore({ redis, keyPrefix: `${keyPrefix}one:` });
      const otherStore = new RedisDedupStore({ redis, keyPrefix: otherPrefix });
      try {
        await store.claim('wxapp|1', 10_000);
        assert.deepEqual(await otherStore.claim('wxapp|1', 10_000), { state: 'claimed' });
        const otherWait = otherStore.waitForReply('wxapp|1', 300);
        await store.complete('wxapp|1', 'one', 10_000);
        assert.equal(await otherWait, undefined);
        assert.equal((await otherStore.claim('wxapp|1', 10_000)).state, 'pending');
      } finally {
        await Promise.all([store.close(), otherStore.close()]);
      }
    });
  });

  void it('close() quits only the connections the store created', async (t) => {
    await withConnections(t, 'dedup', async (connect, keyPrefix) => {
      const redis = connect();
      const store = new RedisDedupStore({ redis, keyPrefix });
      await store.claim('wxapp|1', 10_000);
      const wait = store.waitForReply('wxapp|1', 10_000);
      await sleep(50);
      await store.close();
      assert.equal(await wait, undefined);
      assert.equal(await redis.ping(), 'PONG');
      // The subscriber connection is gone: nobody listens on the store's channel any more.
      assert.equal(await redis.publish(`${keyPrefix}dedup`, 'wxapp|1'), 0);
    });
  });
});
