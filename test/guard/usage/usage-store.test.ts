/**
 * One contract for both usage stores — in memory and in the real Redis (each store on its own connection, as
 * instances are): charges add up per day, user and model, the estimated ones are counted apart, `spent` gives the
 * user's and the account's tokens of a day, and old days go after the retention.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { MemoryUsageStore } from '../../../src/guard/usage/memory-usage-store.js';
import { RedisUsageStore } from '../../../src/guard/usage/redis-usage-store.js';
import { addDays, usageDay } from '../../../src/guard/usage/usage-day.js';
import type { UsageCharge, UsageRow, UsageStore } from '../../../src/guard/usage/usage-store.js';
import { withConnections } from '../../support/redis.js';

/** 2025-06-01 12:00 in Shanghai. */
const NOON = Date.parse('2025-06-01T04:00:00Z');
const DAY = '2025-06-01';

type Setup = (t: TestContext, body: (stores: () => UsageStore) => Promise<void>) => Promise<void>;

function charge(openId: string, model: string, inputTokens: number, outputTokens: number, extra: Partial<UsageCharge> = {}): UsageCharge {
  return { openId, model, inputTokens, outputTokens, estimated: false, at: NOON, ...extra };
}

function sorted(rows: UsageRow[]): UsageRow[] {
  return [...rows].sort((a, b) => `${a.openId}|${a.model}`.localeCompare(`${b.openId}|${b.model}`));
}

function usageStoreContract(name: string, setup: Setup): void {
  describe(`${name} usage store`, () => {
    it('adds charges up per user and model; estimated calls are counted apart', (t) =>
      setup(t, async (stores) => {
        const store = stores();
        await store.record(charge('oAlice', 'gpt-4o', 100, 20));
        await store.record(charge('oAlice', 'gpt-4o', 50, 5, { estimated: true }));
        await store.record(charge('oAlice', 'qwen2.5:7b', 7, 3));
        await store.record(charge('oBob', 'gpt-4o', 10, 1));
        assert.deepEqual(sorted(await stores().day(DAY)), [
          { openId: 'oAlice', model: 'gpt-4o', inputTokens: 150, outputTokens: 25, calls: 2, estimatedCalls: 1 },
          { openId: 'oAlice', model: 'qwen2.5:7b', inputTokens: 7, outputTokens: 3, calls: 1, estimatedCalls: 0 },
          { openId: 'oBob', model: 'gpt-4o', inputTokens: 10, outputTokens: 1, calls: 1, estimatedCalls: 0 },
        ]);
      }));

    it('spent: the user\'s and the account\'s tokens (in + out) of that day only', (t) =>
      setup(t, async (stores) => {
        const store = stores();
        await store.record(charge('oAlice', 'm', 100, 20));
        await store.record(charge('oBob', 'm', 30, 10));
        await store.record(charge('oAlice', 'm', 1000, 1000, { at: NOON + 86_400_000 }));
        assert.deepEqual(await stores().spent(DAY, 'oAlice'), { user: 120, account: 160 });
        assert.deepEqual(await stores().spent(DAY, 'oCarol'), { user: 0, account: 160 });
        assert.deepEqual(await stores().spent('2025-06-02', 'oAlice'), { user: 2000, account: 2000 });
        assert.deepEqual(await stores().spent('2025-05-31', 'oAlice'), { user: 0, account: 0 });
      }));

    it('a day is the day in Shanghai: 23:59 and 00:01 there are two days', (t) =>
      setup(t, async (stores) => {
        const store = stores();
        await store.record(charge('oAlice', 'm', 1, 1, { at: Date.parse('2025-06-01T15:59:00Z') }));
        await store.record(charge('oAlice', 'm', 2, 2, { at: Date.parse('2025-06-01T16:01:00Z') }));
        assert.deepEqual((await store.day('2025-06-01')).map((row) => row.inputTokens), [1]);
        assert.deepEqual((await store.day('2025-06-02')).map((row) => row.inputTokens), [2]);
      }));

    it('a model name with | and : is kept as it is', (t) =>
      setup(t, async (stores) => {
        await stores().record(charge('oAlice', 'org/model|v2:latest', 4, 2));
        assert.deepEqual(await stores().day(DAY), [{ openId: 'oAlice', model: 'org/model|v2:latest', inputTokens: 4, outputTokens: 2, calls: 1, estimatedCalls: 0 }]);
      }));

    it('a day without usage has no rows', (t) =>
      setup(t, async (stores) => {
        assert.deepEqual(await stores().day('2024-01-01'), []);
      }));

    it('concurrent charges from several writers all count', (t) =>
      setup(t, async (stores) => {
        const writers = [stores(), stores(), stores()];
        await Promise.all(Array.from({ length: 60 }, (_unused, index) => writers[index % 3]!.record(charge('oAlice', 'm', 2, 1))));
        assert.deepEqual(await stores().spent(DAY, 'oAlice'), { user: 180, account: 180 });
        assert.equal((await stores().day(DAY))[0]?.calls, 60);
      }));
  });
}

usageStoreContract('memory', async (_t, body) => {
  const store = new MemoryUsageStore();
  await body(() => store);
});

usageStoreContract('Redis', (t, body) =>
  withConnections(t, 'usage', async (connect, keyPrefix) => {
    await body(() => new RedisUsageStore({ redis: connect(), keyPrefix }));
  }));

describe('usage retention', () => {
  it('Redis: a day\'s hash expires USAGE_RETENTION_DAYS + 1 days after its last write, under {prefix}usage:{day}', (t) =>
    withConnections(t, 'usage-retention', async (connect, prefix) => {
      const redis = connect();
      const store = new RedisUsageStore({ redis, keyPrefix: `${prefix}usage:`, retentionDays: 30 });
      await store.record(charge('oAlice', 'm', 1, 1));
      assert.deepEqual(await redis.keys(`${prefix}*`), [`${prefix}usage:${DAY}`]);
      const ttl = await redis.ttl(`${prefix}usage:${DAY}`);
      assert.ok(ttl > 31 * 86_400 - 10 && ttl <= 31 * 86_400, `ttl ${ttl}`);
    }));

  it('memory: days older than the retention are dropped as new usage arrives', async () => {
    const store = new MemoryUsageStore({ retentionDays: 2 });
    await store.record(charge('oAlice', 'm', 1, 1));
    await store.record(charge('oAlice', 'm', 1, 1, { at: NOON + 2 * 86_400_000 }));
    assert.equal((await store.day(DAY)).length, 1, 'two days later: still kept');
    await store.record(charge('oAlice', 'm', 1, 1, { at: NOON + 3 * 86_400_000 }));
    assert.deepEqual(await store.day(DAY), []);
    assert.equal((await store.day(addDays(DAY, 2))).length, 1);
  });
});

describe('usage day', () => {
  it('is the calendar day in Asia/Shanghai', () => {
    assert.equal(usageDay(Date.parse('2025-06-01T15:59:59Z')), '2025-06-01');
    assert.equal(usageDay(Date.parse('2025-06-01T16:00:00Z')), '2025-06-02');
    assert.equal(usageDay(Date.parse('2024-12-31T16:00:00Z')), '2025-01-01');
  });
});
