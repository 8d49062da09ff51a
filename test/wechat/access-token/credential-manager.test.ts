import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CredentialManager,
  CredentialWaitTimeoutError,
  ForceRefreshThrottledError,
  type CredentialManagerOptions,
  type FetchedCredential,
} from '../../../src/wechat/access-token/credential-manager.js';
import { MemoryTokenStore } from '../../../src/wechat/access-token/memory-token-store.js';
import { captureLog } from './capture-log.js';

const KEY = 'jsapi_ticket:wx0123456789abcdef';

/** A clock the test moves by hand; the store and the manager share it. */
class Clock {
  value = Date.now();
  readonly now = (): number => this.value;
  advance(milliseconds: number): void {
    this.value += milliseconds;
  }
}

/** A fetcher that counts its calls and hands out `credential-1`, `credential-2`, … (or what the test scripts). */
class Fetcher {
  readonly calls: boolean[] = [];
  delayMs = 0;
  expiresInSeconds = 7200;
  failWith: Error | undefined;
  /** Answer normal-mode fetches with the current credential instead of a new one (as stable_token does). */
  sticky = false;
  #issued = 0;
  readonly fetch = async (forceRefresh: boolean): Promise<FetchedCredential> => {
    this.calls.push(forceRefresh);
    await sleep(this.delayMs);
    if (this.failWith) throw this.failWith;
    if (!this.sticky || forceRefresh || this.#issued === 0) this.#issued += 1;
    return { value: `credential-${this.#issued}`, expiresInSeconds: this.expiresInSeconds };
  };
}

function setUp(overrides: Partial<CredentialManagerOptions> = {}): { manager: CredentialManager; store: MemoryTokenStore; fetcher: Fetcher; clock: Clock } {
  const clock = new Clock();
  const store = new MemoryTokenStore({ now: clock.now });
  const fetcher = new Fetcher();
  const manager = new CredentialManager({
    store,
    key: KEY,
    fetchCredential: fetcher.fetch,
    log: captureLog().log,
    now: clock.now,
    pollIntervalMs: 10,
    ...overrides,
  });
  return { manager, store, fetcher, clock };
}

void describe('CredentialManager', () => {
  void it('100 concurrent callers with an empty cache share one fetch', async () => {
    const { manager, store, fetcher } = setUp();
    fetcher.delayMs = 50;
    const values = await Promise.all(Array.from({ length: 100 }, () => manager.get()));
    assert.deepEqual(fetcher.calls, [false]);
    assert.ok(values.every((value) => value === 'credential-1'));
    assert.equal((await store.get(KEY))?.value, 'credential-1');
  });

  void it('serves the stored credential until refreshAhead before expiry, then refreshes once', async () => {
    const { manager, fetcher, clock } = setUp();
    assert.equal(await manager.get(), 'credential-1');
    clock.advance((7200 - 301) * 1000);
    assert.equal(await manager.get(), 'credential-1');
    assert.equal(fetcher.calls.length, 1);
    clock.advance(2_000);
    const values = await Promise.all(Array.from({ length: 20 }, () => manager.get()));
    assert.ok(values.every((value) => value === 'credential-2'));
    assert.equal(fetcher.calls.length, 2);
  });

  void it('a credential handed out with little lifetime left is refreshed at half of it, not on every call', async () => {
    const { manager, fetcher, clock } = setUp();
    fetcher.expiresInSeconds = 200;
    await manager.get();
    clock.advance(90_000);
    await manager.get();
    assert.equal(fetcher.calls.length, 1);
    clock.advance(20_000);
    assert.equal(await manager.get(), 'credential-2');
  });

  void it('when a refresh ahead of expiry fails, the still-valid credential is served and not retried at once', async () => {
    const captured = captureLog();
    const { manager, fetcher, clock } = setUp({ log: captured.log });
    await manager.get();
    clock.advance((7200 - 100) * 1000);
    fetcher.failWith = new Error('WeChat unreachable');
    assert.equal(await manager.get(), 'credential-1');
    assert.equal(await manager.get(), 'credential-1');
    assert.equal(fetcher.calls.length, 2, 'the second call within retryAfterFailureMs did not fetch');
    assert.ok(captured.entries().some((entry) => entry.level === 40 && /refresh ahead of expiry failed/.test(String(entry.msg))));
    clock.advance(101_000);
    await assert.rejects(manager.get(), /WeChat unreachable/, 'once expired, the failure surfaces');
  });

  void it('refreshAfterInvalid returns the replacement when the store no longer holds the rejected value', async () => {
    const { manager, store, fetcher, clock } = setUp();
    await store.set(KEY, { value: 'newer', expiresAt: clock.value + 7_200_000, obtainedAt: clock.value });
    assert.equal(await manager.refreshAfterInvalid('older'), 'newer');
    assert.equal(fetcher.calls.length, 0);
    assert.equal((await store.get(KEY))?.value, 'newer', 'the newer credential was not dropped');
  });

  void it('refreshAfterInvalid drops a credential fetched a while ago and fetches in normal mode', async () => {
    const { manager, store, fetcher, clock } = setUp();
    await manager.get();
    clock.advance(120_000);
    const values = await Promise.all(Array.from({ length: 20 }, () => manager.refreshAfterInvalid('credential-1')));
    assert.ok(values.every((value) => value === 'credential-2'));
    assert.deepEqual(fetcher.calls, [false, false]);
    assert.equal((await store.get(KEY))?.value, 'credential-2');
  });

  void it('a fresh credential that still fails is force-refreshed, at most once per 30 s', async () => {
    const { manager, fetcher, clock } = setUp();
    fetcher.sticky = true;
    await manager.get();
    clock.advance(120_000);
    // Normal mode keeps answering the same credential: it is stored again as freshly fetched.
    assert.equal(await manager.refreshAfterInvalid('credential-1'), 'credential-1');
    assert.deepEqual(fetcher.calls, [false, false]);
    // Rejected again right after: only a forced refresh helps.
    assert.equal(await manager.refreshAfterInvalid('credential-1'), 'credential-2');
    assert.deepEqual(fetcher.calls, [false, false, true]);
    // The new one is rejected too, 10 s later: no second forced refresh within 30 s, only a normal re-fetch
    // (which here answers the same credential again), and that at most once per 5 s.
    clock.advance(10_000);
    assert.equal(await manager.refreshAfterInvalid('credential-2'), 'credential-2');
    assert.deepEqual(fetcher.calls, [false, false, true, false]);
    clock.advance(1_000);
    assert.equal(await manager.refreshAfterInvalid('credential-2'), 'credential-2');
    assert.equal(fetcher.calls.length, 4);
    clock.advance(21_000);
    assert.equal(await manager.refreshAfterInvalid('credential-2'), 'credential-3');
    assert.deepEqual(fetcher.calls, [false, false, true, false, true]);
  });

  void it('credentials revoked right after a forced refresh: a normal re-fetch picks up the new one at once', async () => {
    const { manager, fetcher, clock } = setUp();
    fetcher.sticky = true;
    await manager.get();
    clock.advance(120_000);
    await manager.refreshAfterInvalid('credential-1'); // normal: same value, stored as fresh
    assert.equal(await manager.refreshAfterInvalid('credential-1'), 'credential-2'); // forced
    // The AppSecret is reset: every token so far is dead and a normal fetch hands out a new one.
    fetcher.sticky = false;
    clock.advance(2_000);
    assert.equal(await manager.refreshAfterInvalid('credential-2'), 'credential-3');
    assert.deepEqual(fetcher.calls, [false, false, true, false]);
    assert.equal(await manager.get(), 'credential-3');
  });

  void it('waits while another instance holds the lock and takes what it stores', async () => {
    const { manager, store, fetcher, clock } = setUp({ lockWaitMs: 2_000 });
    const otherInstance = await store.acquireLock(KEY, 10_000);
    assert.ok(otherInstance);
    setTimeout(() => void store.set(KEY, { value: 'from-another-instance', expiresAt: clock.value + 7_200_000, obtainedAt: clock.value }), 100);
    assert.equal(await manager.get(), 'from-another-instance');
    assert.equal(fetcher.calls.length, 0);
  });

  void it('serves a still-valid credential at once while another instance refreshes it', async () => {
    const { manager, store, fetcher, clock } = setUp({ lockWaitMs: 5_000 });
    await store.set(KEY, { value: 'due-soon', expiresAt: clock.value + 100_000, obtainedAt: clock.value - 7_000_000 });
    await store.acquireLock(KEY, 10_000);
    const startedAt = performance.now();
    assert.equal(await manager.get(), 'due-soon');
    assert.ok(performance.now() - startedAt < 500);
    assert.equal(fetcher.calls.length, 0);
  });

  void it('takes over once a dead holder\'s lock expires', async () => {
    // The store's real clock: the lock's ttl has to run out by itself.
    const store = new MemoryTokenStore();
    const fetcher = new Fetcher();
    const manager = new CredentialManager({ store, key: KEY, fetchCredential: fetcher.fetch, log: captureLog().log, pollIntervalMs: 10, lockWaitMs: 3_000 });
    assert.ok(await store.acquireLock(KEY, 300), 'held by an instance that then died');
    const startedAt = performance.now();
    assert.equal(await manager.get(), 'credential-1');
    const elapsedMs = performance.now() - startedAt;
    assert.ok(elapsedMs >= 250 && elapsedMs < 2_000, `took ${elapsedMs} ms`);
    assert.equal(fetcher.calls.length, 1);
  });

  void it('gives up with a clear error when the wait ends before the holder finishes', async () => {
    const { manager, store, fetcher } = setUp({ lockWaitMs: 150 });
    await store.acquireLock(KEY, 10_000);
    await assert.rejects(manager.get(), (error: unknown) => {
      assert.ok(error instanceof CredentialWaitTimeoutError);
      assert.match(error.message, /timed out after 150 ms waiting for another instance to refresh jsapi_ticket:/);
      return true;
    });
    assert.equal(fetcher.calls.length, 0);
  });

  void it('refresh() fetches although the cache is fresh; refresh({ force }) is throttled', async () => {
    const { manager, fetcher, clock } = setUp();
    await manager.get();
    const refreshed = await manager.refresh();
    assert.equal(refreshed.value, 'credential-2');
    assert.equal((await manager.refresh({ force: true })).value, 'credential-3');
    await assert.rejects(manager.refresh({ force: true }), ForceRefreshThrottledError);
    clock.advance(30_000);
    assert.equal((await manager.refresh({ force: true })).value, 'credential-4');
    assert.deepEqual(fetcher.calls, [false, false, true, true]);
  });

  void it('invalidate drops only the value still stored', async () => {
    const { manager, store } = setUp();
    await manager.get();
    assert.equal(await manager.invalidate('other'), false);
    assert.equal(await manager.invalidate('credential-1'), true);
    assert.equal(await store.get(KEY), undefined);
  });

  void it('peek reports the stored credential and whether it is due, without fetching', async () => {
    const { manager, fetcher, clock } = setUp();
    assert.equal(await manager.peek(), undefined);
    await manager.get();
    assert.equal((await manager.peek())?.refreshDue, false);
    clock.advance(7_000_000);
    assert.equal((await manager.peek())?.refreshDue, true);
    assert.equal(fetcher.calls.length, 1);
  });

  void it('rejects an unusable fetch result and a refreshAhead below 300 s', async () => {
    const { manager } = setUp({ fetchCredential: async () => ({ value: '', expiresInSeconds: 7200 }) });
    await assert.rejects(manager.get(), /no usable credential/);
    assert.throws(() => setUp({ refreshAheadSeconds: 299 }), RangeError);
  });
});
