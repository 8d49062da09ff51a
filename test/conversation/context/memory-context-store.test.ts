import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryContextStore } from '../../../src/conversation/context/memory-context-store.js';
import { runContextStoreContract, turn } from './context-store.contract.js';

runContextStoreContract('MemoryContextStore', async (limits) => ({ store: new MemoryContextStore(limits), cleanup: async () => {} }));

/** Ref'd timers of this process; unref'd ones are not counted. */
function activeTimerCount(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

void describe('MemoryContextStore', () => {
  void it('beyond maxUsers forgets the least recently used context first', async () => {
    const store = new MemoryContextStore({ maxUsers: 3 });
    try {
      for (const user of ['a', 'b', 'c']) await store.append(user, turn(1));
      // Reading `a` makes `b` the least recently used.
      await store.load('a');
      await store.setSession('d', 'k', 'v');
      assert.equal(store.size, 3);
      assert.deepEqual((await store.load('b')).messages, []);
      for (const user of ['a', 'c']) assert.deepEqual((await store.load(user)).messages, turn(1));
      assert.deepEqual((await store.load('d')).session, { k: 'v' });
    } finally {
      await store.close();
    }
  });

  void it('sweeps expired contexts away, with a timer that keeps no process alive', async () => {
    const baseline = activeTimerCount();
    const store = new MemoryContextStore({ ttlSeconds: 0.05, sweepIntervalMs: 50 });
    try {
      assert.equal(activeTimerCount(), baseline);
      for (const user of ['a', 'b', 'c']) await store.append(user, turn(1));
      assert.equal(store.size, 3);
      await sleep(200);
      assert.equal(store.size, 0);
    } finally {
      await store.close();
    }
  });

  void it('rejects limits out of range', () => {
    assert.throws(() => new MemoryContextStore({ maxUsers: 0 }), RangeError);
    assert.throws(() => new MemoryContextStore({ maxTurns: -1 }), RangeError);
    assert.throws(() => new MemoryContextStore({ maxBytes: 10 }), RangeError);
    assert.throws(() => new MemoryContextStore({ ttlSeconds: 0 }), RangeError);
  });
});
