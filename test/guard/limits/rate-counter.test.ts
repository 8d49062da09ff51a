/**
 * One contract for both rate counters — in memory and in the real Redis, where counters on separate connections
 * (separate instances) count one user together: counts go up within a window, a window ends after its length
 * and the next message opens a new one, users are counted apart, and Redis never leaves a counter without expiry.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, type TestContext } from 'node:test';
import { MemoryRateCounter } from '../../../src/guard/limits/memory-rate-counter.js';
import type { RateCounter } from '../../../src/guard/limits/rate-counter.js';
import { RedisRateCounter } from '../../../src/guard/limits/redis-rate-counter.js';
import { withConnections } from '../../support/redis.js';

const WINDOW_MS = 300;

type Setup = (t: TestContext, body: (counters: () => RateCounter) => Promise<void>) => Promise<void>;

function rateCounterContract(name: string, setup: Setup): void {
  describe(`${name} rate counter`, () => {
    it('counts one user\'s messages in the window; other users apart', (t) =>
      setup(t, async (counters) => {
        const counter = counters();
        assert.deepEqual([await counter.hit('oAlice'), await counter.hit('oAlice'), await counter.hit('oAlice')], [1, 2, 3]);
        assert.equal(await counter.hit('oBob'), 1);
      }));

    it('the window ends after its length; the next message opens a new one', (t) =>
      setup(t, async (counters) => {
        const counter = counters();
        await counter.hit('oAlice');
        assert.equal(await counter.hit('oAlice'), 2);
        await sleep(WINDOW_MS + 50);
        assert.equal(await counter.hit('oAlice'), 1);
      }));

    it('counters of several instances count together, also when hit at once', (t) =>
      setup(t, async (counters) => {
        const instances = [counters(), counters(), counters()];
        const counts = await Promise.all(Array.from({ length: 30 }, (_unused, index) => instances[index % 3]!.hit('oAlice')));
        assert.deepEqual([...counts].sort((a, b) => a - b), Array.from({ length: 30 }, (_unused, index) => index + 1));
      }));
  });
}

rateCounterContract('memory', async (_t, body) => {
  const counter = new MemoryRateCounter({ windowMs: WINDOW_MS });
  await body(() => counter);
});

rateCounterContract('Redis', (t, body) =>
  withConnections(t, 'rate', async (connect, keyPrefix) => {
    await body(() => new RedisRateCounter({ redis: connect(), keyPrefix, windowMs: WINDOW_MS }));
  }));

describe('Redis rate counter keys', () => {
  it('one key per user under the prefix, always with an expiry of at most the window', (t) =>
    withConnections(t, 'rate-keys', async (connect, prefix) => {
      const redis = connect();
      const counter = new RedisRateCounter({ redis, keyPrefix: `${prefix}limits:rate:` });
      await counter.hit('oAlice');
      await counter.hit('oAlice');
      assert.deepEqual(await redis.keys(`${prefix}*`), [`${prefix}limits:rate:oAlice`]);
      const ttl = await redis.pttl(`${prefix}limits:rate:oAlice`);
      assert.ok(ttl > 59_000 && ttl <= 60_000, `pttl ${ttl}`);
      assert.equal(await redis.get(`${prefix}limits:rate:oAlice`), '2');
    }));
});
