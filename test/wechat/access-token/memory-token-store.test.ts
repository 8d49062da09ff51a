import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryTokenStore } from '../../../src/wechat/access-token/memory-token-store.js';
import { runTokenStoreContract } from './token-store.contract.js';

runTokenStoreContract('MemoryTokenStore', async () => ({ store: new MemoryTokenStore(), cleanup: async () => {} }));

void describe('MemoryTokenStore', () => {
  void it('expires credentials and locks by the injected clock', async () => {
    let now = 1_000_000;
    const store = new MemoryTokenStore({ now: () => now });
    await store.set('k', { value: 'v', expiresAt: now + 1_000, obtainedAt: now });
    const lock = await store.acquireLock('k', 500);
    assert.ok(lock);
    now += 600;
    assert.ok(await store.acquireLock('k', 500), 'the lock expired');
    assert.equal((await store.get('k'))?.value, 'v');
    now += 400;
    assert.equal(await store.get('k'), undefined);
    await store.close();
  });
});
