import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryDedupStore } from '../../src/conversation/dedup/memory-dedup-store.js';
import { runDedupStoreContract } from './dedup-store.contract.js';

runDedupStoreContract('MemoryDedupStore', async () => ({ store: new MemoryDedupStore(), cleanup: async () => {} }));

/** Ref'd handles (timers included) of this process; unref'd ones are not counted. */
function activeTimerCount(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

void describe('MemoryDedupStore', () => {
  void it('beyond maxEntries drops the oldest answers first and keeps pending claims', async () => {
    const store = new MemoryDedupStore({ maxEntries: 10 });
    try {
      for (let index = 0; index < 5; index += 1) await store.claim(`pending|${index}`, 10_000);
      for (let index = 0; index < 20; index += 1) {
        await store.claim(`done|${index}`, 10_000);
        await store.complete(`done|${index}`, `reply ${index}`, 10_000);
      }
      assert.equal(store.size, 10);
      for (let index = 0; index < 5; index += 1) {
        assert.equal((await store.claim(`pending|${index}`, 10_000)).state, 'pending');
      }
      for (let index = 15; index < 20; index += 1) {
        assert.deepEqual(await store.claim(`done|${index}`, 10_000), { state: 'done', reply: `reply ${index}` });
      }
      // The oldest answers were dropped: those keys can be claimed anew.
      assert.deepEqual(await store.claim('done|0', 10_000), { state: 'claimed' });
    } finally {
      await store.close();
    }
  });

  void it('evicts the oldest answers at full capacity without slowing down', async () => {
    // A coarse guard against per-message work that grows with the store (e.g. walking a Map from its front
    // on every eviction, where V8 leaves the holes of deleted entries).
    const store = new MemoryDedupStore({ maxEntries: 50_000 });
    try {
      const startedAt = performance.now();
      for (let index = 0; index < 100_000; index += 1) {
        const key = `wxapp|${index}`;
        await store.claim(key, 15_000);
        await store.complete(key, '', 30_000);
      }
      const elapsedMs = performance.now() - startedAt;
      assert.equal(store.size, 50_000);
      assert.ok(elapsedMs < 5_000, `took ${elapsedMs} ms`);
      assert.deepEqual(await store.claim('wxapp|99999', 15_000), { state: 'done', reply: '' });
      assert.deepEqual(await store.claim('wxapp|0', 15_000), { state: 'claimed' });
    } finally {
      await store.close();
    }
  });

  void it('pending claims beyond maxEntries are kept until their lease ends', async () => {
    const store = new MemoryDedupStore({ maxEntries: 3 });
    try {
      for (let index = 0; index < 6; index += 1) assert.deepEqual(await store.claim(`pending|${index}`, 10_000), { state: 'claimed' });
      assert.equal(store.size, 6);
      for (let index = 0; index < 6; index += 1) assert.equal((await store.claim(`pending|${index}`, 10_000)).state, 'pending');
    } finally {
      await store.close();
    }
  });

  void it('interleaved claims, releases and completions keep every pending claim (newest and older ones alike)', async () => {
    const store = new MemoryDedupStore();
    try {
      for (const key of ['a', 'b', 'c']) assert.equal((await store.claim(key, 10_000)).state, 'claimed');
      assert.equal(store.size, 3);
      // Every one of them is pending, whichever was claimed last.
      for (const key of ['c', 'a', 'b']) assert.equal((await store.claim(key, 10_000)).state, 'pending');
      await store.release('a'); // an older claim
      await store.complete('c', 'reply c', 10_000); // the newest claim
      assert.equal(store.size, 2); // b pending, c answered
      assert.equal((await store.claim('a', 10_000)).state, 'claimed');
      assert.deepEqual(await store.claim('c', 10_000), { state: 'done', reply: 'reply c' });
      assert.equal((await store.claim('b', 10_000)).state, 'pending');
      // Re-claiming a key after its lease ended moves it back to the newest place without a duplicate.
      await store.claim('d', 1);
      await sleep(5);
      assert.equal((await store.claim('d', 10_000)).state, 'claimed');
      await store.claim('e', 10_000);
      assert.equal(store.size, 5); // a, b, d, e pending; c answered
      await store.complete('d', 'reply d', 10_000);
      await store.complete('a', 'reply a', 10_000);
      assert.equal(store.size, 5);
      assert.deepEqual(await store.claim('d', 10_000), { state: 'done', reply: 'reply d' });
    } finally {
      await store.close();
    }
  });

  void it('a newest claim that expires is swept away too', async () => {
    const store = new MemoryDedupStore();
    try {
      await store.claim('only', 50);
      await sleep(1_300);
      assert.equal(store.size, 0);
    } finally {
      await store.close();
    }
  });

  void it('expired entries are swept away', async () => {
    const store = new MemoryDedupStore();
    try {
      await store.claim('a', 50);
      await store.claim('b', 10_000);
      await store.complete('b', 'reply', 50);
      await sleep(1_300);
      assert.equal(store.size, 0);
    } finally {
      await store.close();
    }
  });

  void it('leaves no timer behind once waiters are resolved, however they end', async () => {
    const store = new MemoryDedupStore();
    const baseline = activeTimerCount();
    try {
      const waits: Promise<string | undefined>[] = [];
      for (let index = 0; index < 1_000; index += 1) {
        await store.claim(`key|${index}`, 60_000);
        waits.push(store.waitForReply(`key|${index}`, 60_000), store.waitForReply(`key|${index}`, 60_000));
      }
      assert.ok(activeTimerCount() >= baseline + 2_000);
      for (let index = 0; index < 1_000; index += 1) {
        if (index % 2 === 0) await store.complete(`key|${index}`, `reply ${index}`, 60_000);
        else await store.release(`key|${index}`);
      }
      const replies = await Promise.all(waits);
      assert.equal(replies[0], 'reply 0');
      assert.equal(replies[2], undefined);
      assert.equal(activeTimerCount(), baseline);

      // Timeouts and lease ends clean up too.
      await store.claim('short-lease', 30);
      await store.claim('long-lease', 60_000);
      assert.deepEqual(await Promise.all([store.waitForReply('short-lease', 60_000), store.waitForReply('long-lease', 30)]), [undefined, undefined]);
      assert.equal(activeTimerCount(), baseline);

      // close() resolves whoever still waits.
      const stillWaiting = store.waitForReply('long-lease', 60_000);
      await store.close();
      assert.equal(await stillWaiting, undefined);
      assert.equal(activeTimerCount(), baseline);
    } finally {
      await store.close();
    }
  });

  void it('beyond maxAnswerBytes drops the oldest answers first', async () => {
    const store = new MemoryDedupStore({ maxAnswerBytes: 256 * 1024 });
    try {
      const reply = (index: number): string => `<xml><Encrypt><![CDATA[${String(index).padStart(900, '0')}]]></Encrypt></xml>`;
      for (let index = 0; index < 2_000; index += 1) {
        store.claim(`wx|${index}`, 15_000);
        store.complete(`wx|${index}`, reply(index), 30_000);
      }
      assert.ok(store.size < 2_000 && store.size > 100, `held ${store.size}`);
      assert.deepEqual(store.claim('wx|1999', 15_000), { state: 'done', reply: reply(1999) });
      assert.deepEqual(store.claim('wx|0', 15_000), { state: 'claimed' });
    } finally {
      await store.close();
    }
  });

  void it('rejects a maxEntries or maxAnswerBytes that is not a positive integer', () => {
    assert.throws(() => new MemoryDedupStore({ maxAnswerBytes: 0 }), RangeError);
    assert.throws(() => new MemoryDedupStore({ maxAnswerBytes: 1.5 }), RangeError);
    assert.throws(() => new MemoryDedupStore({ maxEntries: 0 }), RangeError);
  });
});
