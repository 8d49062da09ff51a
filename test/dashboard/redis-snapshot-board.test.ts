import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisSnapshotBoard } from '../../src/dashboard/redis-snapshot-board.js';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniquePrefix, withConnections } from '../support/redis.js';
import { runSnapshotBoardContract, snapshotOf } from './snapshot-board.contract.js';

runSnapshotBoardContract(
  'RedisSnapshotBoard',
  async () => {
    const prefix = uniquePrefix('dashboard');
    const first = new Redis(TEST_REDIS_URL);
    const second = new Redis(TEST_REDIS_URL);
    return {
      board: new RedisSnapshotBoard({ redis: first, keyPrefix: prefix }),
      other: new RedisSnapshotBoard({ redis: second, keyPrefix: prefix }),
      cleanup: async () => {
        await deleteKeys(first, prefix);
        await Promise.all([first.quit(), second.quit()]);
      },
    };
  },
  { beforeEach: requireRedis },
);

describe('RedisSnapshotBoard', () => {
  it('keys live under REDIS_PREFIX + dashboard:, every one with an expiry', async (t) => {
    await withConnections(t, 'dashboard-keys', async (connect, prefix) => {
      const redis = connect();
      await new RedisSnapshotBoard({ redis, keyPrefix: prefix }).publish(snapshotOf('host-1'), 10_000);
      const keys = (await redis.keys(`${prefix}*`)).sort();
      assert.deepEqual(keys, [`${prefix}dashboard:instance:host-1`, `${prefix}dashboard:instances`]);
      for (const key of keys) assert.ok((await redis.pttl(key)) > 0, `${key} expires`);
    });
  });

  it('a value it did not write (damaged, another format) is left out, not shown or thrown', async (t) => {
    await withConnections(t, 'dashboard-damaged', async (connect, prefix) => {
      const redis = connect();
      const board = new RedisSnapshotBoard({ redis, keyPrefix: prefix });
      await board.publish(snapshotOf('good'), 10_000);
      await board.publish(snapshotOf('damaged'), 10_000);
      await board.publish(snapshotOf('other-format'), 10_000);
      await redis.set(`${prefix}dashboard:instance:damaged`, '{"instance": "damaged", ', 'PX', 10_000);
      await redis.set(`${prefix}dashboard:instance:other-format`, JSON.stringify({ instance: 'other-format', figures: [] }), 'PX', 10_000);
      assert.deepEqual((await board.read()).map((snapshot) => snapshot.instance), ['good']);
    });
  });

  it('boards under different prefixes do not see each other', async (t) => {
    if (!(await requireRedis(t))) return;
    const redis = new Redis(TEST_REDIS_URL);
    const [one, two] = [uniquePrefix('dashboard-one'), uniquePrefix('dashboard-two')];
    try {
      await new RedisSnapshotBoard({ redis, keyPrefix: one }).publish(snapshotOf('in-one'), 10_000);
      assert.deepEqual(await new RedisSnapshotBoard({ redis, keyPrefix: two }).read(), []);
    } finally {
      await deleteKeys(redis, one);
      await redis.quit();
    }
  });
});
