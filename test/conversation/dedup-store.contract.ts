// The contract every DedupStore implementation passes (see src/conversation/dedup/dedup-store.ts). Each
// implementation's test file calls runDedupStoreContract with a factory; every test gets a fresh store.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DedupStore } from '../../src/conversation/dedup/dedup-store.js';

export interface DedupStoreContractOptions {
  /** Runs before each test; returning false skips it (e.g. `requireRedis` when Redis is unreachable). */
  beforeEach?: (t: TestContext) => Promise<boolean>;
}

export type CreateDedupStore = () => Promise<{ store: DedupStore; cleanup: () => Promise<void> }>;

const LONG_MS = 10_000;
/** Slack for timer granularity and a loaded machine (tests run in parallel). */
const EARLY_TOLERANCE_MS = 25;
const LATE_TOLERANCE_MS = 1_000;

/** About 10 KB of multibyte text, with the store's own markers and newlines inside. */
const LARGE_REPLY = `d:p:开头\n${'你好，世界！🙂 Ünïcödé – '.repeat(300)}\nend\u0000`;

export function runDedupStoreContract(name: string, createStore: CreateDedupStore, options: DedupStoreContractOptions = {}): void {
  function contractTest(title: string, body: (store: DedupStore) => Promise<void>): void {
    void it(title, async (t) => {
      if (options.beforeEach && !(await options.beforeEach(t))) return;
      const { store, cleanup } = await createStore();
      try {
        await body(store);
      } finally {
        await store.close();
        await cleanup();
      }
    });
  }

  async function elapsedOf<T>(work: () => Promise<T>): Promise<{ value: T; elapsedMs: number }> {
    const startedAt = performance.now();
    const value = await work();
    return { value, elapsedMs: performance.now() - startedAt };
  }

  void describe(`${name} (DedupStore contract)`, () => {
    contractTest('pending claims count the deliveries: WeChat\'s retries are 2 and 3', async (store) => {
      assert.deepEqual(await store.claim('wxapp|1', LONG_MS), { state: 'claimed' });
      assert.deepEqual(await store.claim('wxapp|1', LONG_MS), { state: 'pending', delivery: 2 });
      assert.deepEqual(await store.claim('wxapp|1', LONG_MS), { state: 'pending', delivery: 3 });
      assert.deepEqual(await store.claim('wxapp|2', LONG_MS), { state: 'claimed' });
      assert.deepEqual(await store.claim('wxapp|2', LONG_MS), { state: 'pending', delivery: 2 });
      // A message claimed again after a release starts counting afresh.
      await store.release('wxapp|2');
      assert.deepEqual(await store.claim('wxapp|2', LONG_MS), { state: 'claimed' });
      assert.deepEqual(await store.claim('wxapp|2', LONG_MS), { state: 'pending', delivery: 2 });
    });

    contractTest('completeIfPending: the first of two contenders wins, and waiters get the winner', async (store) => {
      assert.deepEqual(await store.completeIfPending('wxapp|none', 'x', LONG_MS), { outcome: 'absent' });
      await store.claim('wxapp|1', LONG_MS);
      const waiter = store.waitForReply('wxapp|1', LONG_MS);
      assert.deepEqual(await store.completeIfPending('wxapp|1', 'placeholder', LONG_MS), { outcome: 'set' });
      assert.equal(await waiter, 'placeholder');
      assert.deepEqual(await store.completeIfPending('wxapp|1', 'the answer', LONG_MS), { outcome: 'done', reply: 'placeholder' });
      assert.deepEqual(await store.claim('wxapp|1', LONG_MS), { state: 'done', reply: 'placeholder' });
      await store.claim('wxapp|2', LONG_MS);
      await store.complete('wxapp|2', '', LONG_MS);
      assert.deepEqual(await store.completeIfPending('wxapp|2', 'late', LONG_MS), { outcome: 'done', reply: '' });
    });

    contractTest('the first claim is claimed, a second one is pending', async (store) => {
      assert.deepEqual(await store.claim('wxapp|1', LONG_MS), { state: 'claimed' });
      assert.equal((await store.claim('wxapp|1', LONG_MS)).state, 'pending');
      assert.deepEqual(await store.claim('wxapp|2', LONG_MS), { state: 'claimed' });
    });

    for (const [label, reply] of [['a short', 'the answer'], ['an empty', ''], ['a large multibyte', LARGE_REPLY]] as const) {
      contractTest(`a completed key is done with ${label} reply, identical`, async (store) => {
        await store.claim('wxapp|1', LONG_MS);
        await store.complete('wxapp|1', reply, LONG_MS);
        assert.deepEqual(await store.claim('wxapp|1', LONG_MS), { state: 'done', reply });
        assert.equal(await store.waitForReply('wxapp|1', LONG_MS), reply);
      });
    }

    contractTest('concurrent claims of one key: exactly one is claimed', async (store) => {
      const claims = await Promise.all(Array.from({ length: 50 }, () => store.claim('wxapp|race', LONG_MS)));
      assert.equal(claims.filter((claim) => claim.state === 'claimed').length, 1);
      assert.equal(claims.filter((claim) => claim.state === 'pending').length, 49);
    });

    contractTest('waitForReply resolves with the reply when the key is completed later', async (store) => {
      await store.claim('wxapp|1', LONG_MS);
      const waits = [store.waitForReply('wxapp|1', LONG_MS), store.waitForReply('wxapp|1', LONG_MS)];
      await sleep(50);
      const { value, elapsedMs } = await elapsedOf(async () => {
        await store.complete('wxapp|1', '答案', LONG_MS);
        return Promise.all(waits);
      });
      assert.deepEqual(value, ['答案', '答案']);
      assert.ok(elapsedMs < LATE_TOLERANCE_MS, `took ${elapsedMs} ms`);
    });

    contractTest('waitForReply resolves at once when the key is already done', async (store) => {
      await store.claim('wxapp|1', LONG_MS);
      await store.complete('wxapp|1', 'ready', LONG_MS);
      const { value, elapsedMs } = await elapsedOf(() => store.waitForReply('wxapp|1', LONG_MS));
      assert.equal(value, 'ready');
      assert.ok(elapsedMs < 200, `took ${elapsedMs} ms`);
    });

    contractTest('waitForReply resolves undefined at once for a key nobody holds', async (store) => {
      const { value, elapsedMs } = await elapsedOf(() => store.waitForReply('wxapp|unknown', LONG_MS));
      assert.equal(value, undefined);
      assert.ok(elapsedMs < 200, `took ${elapsedMs} ms`);
    });

    contractTest('waitForReply resolves undefined after its timeout', async (store) => {
      await store.claim('wxapp|1', LONG_MS);
      const { value, elapsedMs } = await elapsedOf(() => store.waitForReply('wxapp|1', 300));
      assert.equal(value, undefined);
      assert.ok(elapsedMs >= 300 - EARLY_TOLERANCE_MS && elapsedMs < 300 + LATE_TOLERANCE_MS, `took ${elapsedMs} ms`);
      // The claim itself is untouched by a waiter giving up.
      assert.equal((await store.claim('wxapp|1', LONG_MS)).state, 'pending');
    });

    contractTest('waitForReply resolves undefined when the claim is released', async (store) => {
      await store.claim('wxapp|1', LONG_MS);
      const wait = store.waitForReply('wxapp|1', LONG_MS);
      await sleep(50);
      const { value, elapsedMs } = await elapsedOf(async () => {
        await store.release('wxapp|1');
        return wait;
      });
      assert.equal(value, undefined);
      assert.ok(elapsedMs < LATE_TOLERANCE_MS, `took ${elapsedMs} ms`);
    });

    contractTest('waitForReply resolves undefined when the claim expires', async (store) => {
      await store.claim('wxapp|1', 300);
      const { value, elapsedMs } = await elapsedOf(() => store.waitForReply('wxapp|1', LONG_MS));
      assert.equal(value, undefined);
      assert.ok(elapsedMs >= 300 - 50 - EARLY_TOLERANCE_MS && elapsedMs < 300 + LATE_TOLERANCE_MS, `took ${elapsedMs} ms`);
    });

    contractTest('a released key can be claimed again', async (store) => {
      await store.claim('wxapp|1', LONG_MS);
      await store.release('wxapp|1');
      assert.deepEqual(await store.claim('wxapp|1', LONG_MS), { state: 'claimed' });
    });

    contractTest('an expired claim can be claimed again', async (store) => {
      await store.claim('wxapp|1', 100);
      await sleep(200);
      assert.deepEqual(await store.claim('wxapp|1', LONG_MS), { state: 'claimed' });
    });

    contractTest('release after complete keeps the answer', async (store) => {
      await store.claim('wxapp|1', LONG_MS);
      await store.complete('wxapp|1', 'kept', LONG_MS);
      await store.release('wxapp|1');
      assert.deepEqual(await store.claim('wxapp|1', LONG_MS), { state: 'done', reply: 'kept' });
    });

    contractTest('an answer expires after its ttl', async (store) => {
      await store.claim('wxapp|1', LONG_MS);
      await store.complete('wxapp|1', 'short-lived', 200);
      assert.deepEqual(await store.claim('wxapp|1', LONG_MS), { state: 'done', reply: 'short-lived' });
      await sleep(300);
      assert.equal(await store.waitForReply('wxapp|1', LONG_MS), undefined);
      assert.deepEqual(await store.claim('wxapp|1', LONG_MS), { state: 'claimed' });
    });

    contractTest('complete records the answer even when the claim has already expired', async (store) => {
      await store.claim('wxapp|1', 50);
      await sleep(100);
      await store.complete('wxapp|1', 'late', LONG_MS);
      assert.deepEqual(await store.claim('wxapp|1', LONG_MS), { state: 'done', reply: 'late' });
    });

    contractTest('keys are independent', async (store) => {
      await store.claim('wxapp|1', LONG_MS);
      await store.claim('wxapp|2', LONG_MS);
      const waitForOther = store.waitForReply('wxapp|2', 300);
      await store.complete('wxapp|1', 'one', LONG_MS);
      assert.equal(await waitForOther, undefined);
      assert.equal((await store.claim('wxapp|2', LONG_MS)).state, 'pending');
    });
  });
}
