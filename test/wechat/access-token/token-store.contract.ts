// The contract every TokenStore implementation passes (see src/wechat/access-token/token-store.ts). Each
// implementation's test file calls runTokenStoreContract with a factory; every test gets a fresh store.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StoredCredential, TokenStore } from '../../../src/wechat/access-token/token-store.js';

export interface TokenStoreContractOptions {
  /** Runs before each test; returning false skips it (e.g. `requireRedis` when Redis is unreachable). */
  beforeEach?: (t: TestContext) => Promise<boolean>;
}

export interface CreatedTokenStore {
  store: TokenStore;
  /**
   * Another store over the same data, as a restarted process (file) or another instance (Redis) would open it;
   * absent when the store's data lives in it alone (memory).
   */
  reopen?: () => TokenStore;
  cleanup: () => Promise<void>;
}

export type CreateTokenStore = () => Promise<CreatedTokenStore>;

const KEY = 'stable_token:wx0123456789abcdef';
const HOUR_MS = 3_600_000;

function credential(value: string, lifetimeMs = HOUR_MS): StoredCredential {
  const now = Date.now();
  return { value, expiresAt: now + lifetimeMs, obtainedAt: now };
}

export function runTokenStoreContract(name: string, createStore: CreateTokenStore, options: TokenStoreContractOptions = {}): void {
  function contractTest(title: string, body: (created: CreatedTokenStore) => Promise<void>): void {
    void it(title, async (t) => {
      if (options.beforeEach && !(await options.beforeEach(t))) return;
      const created = await createStore();
      try {
        await body(created);
      } finally {
        await created.store.close();
        await created.cleanup();
      }
    });
  }

  void describe(`${name} (TokenStore contract)`, () => {
    contractTest('get of an unknown key is undefined', async ({ store }) => {
      assert.equal(await store.get(KEY), undefined);
    });

    contractTest('set then get returns the credential, and set replaces it', async ({ store }) => {
      const first = credential('ACCESS_TOKEN_1');
      await store.set(KEY, first);
      assert.deepEqual(await store.get(KEY), first);
      const second = credential('ACCESS_TOKEN_2');
      await store.set(KEY, second);
      assert.deepEqual(await store.get(KEY), second);
    });

    contractTest('a long value with any characters round-trips unchanged', async ({ store }) => {
      const stored = credential(`${'A-z_0.9~'.repeat(64)}"\\\n令牌🙂`);
      await store.set(KEY, stored);
      assert.deepEqual(await store.get(KEY), stored);
    });

    contractTest('keys are independent: kind and appid both count', async ({ store }) => {
      await store.set('stable_token:wxA', credential('token-a'));
      await store.set('jsapi_ticket:wxA', credential('ticket-a'));
      await store.set('stable_token:wxB', credential('token-b'));
      assert.equal((await store.get('stable_token:wxA'))?.value, 'token-a');
      assert.equal((await store.get('jsapi_ticket:wxA'))?.value, 'ticket-a');
      assert.equal((await store.get('stable_token:wxB'))?.value, 'token-b');
      assert.equal(await store.get('token:wxA'), undefined);
    });

    contractTest('an expired credential is never returned', async ({ store }) => {
      const now = Date.now();
      await store.set(KEY, { value: 'old', expiresAt: now - 1, obtainedAt: now - HOUR_MS });
      assert.equal(await store.get(KEY), undefined);
      await store.set(KEY, credential('short-lived', 80));
      assert.equal((await store.get(KEY))?.value, 'short-lived');
      await sleep(150);
      assert.equal(await store.get(KEY), undefined);
    });

    contractTest('deleteIfValue deletes only while the store still holds that value', async ({ store }) => {
      assert.equal(await store.deleteIfValue(KEY, 'anything'), false);
      await store.set(KEY, credential('current'));
      assert.equal(await store.deleteIfValue(KEY, 'stale'), false);
      assert.equal((await store.get(KEY))?.value, 'current');
      assert.equal(await store.deleteIfValue(KEY, 'current'), true);
      assert.equal(await store.get(KEY), undefined);
      assert.equal(await store.deleteIfValue(KEY, 'current'), false);
    });

    contractTest('deleteIfValue leaves other keys alone', async ({ store }) => {
      await store.set(KEY, credential('same'));
      await store.set('jsapi_ticket:wx0123456789abcdef', credential('same'));
      assert.equal(await store.deleteIfValue(KEY, 'same'), true);
      assert.equal((await store.get('jsapi_ticket:wx0123456789abcdef'))?.value, 'same');
    });

    contractTest('a lock is exclusive until released', async ({ store }) => {
      const lock = await store.acquireLock(KEY, 10_000);
      assert.ok(lock);
      assert.equal(await store.acquireLock(KEY, 10_000), undefined);
      assert.ok(await store.acquireLock('jsapi_ticket:wx0123456789abcdef', 10_000), 'another key has its own lock');
      assert.equal(await lock.release(), true);
      assert.equal(await lock.release(), false, 'a second release has nothing left to release');
      const next = await store.acquireLock(KEY, 10_000);
      assert.ok(next);
      await next.release();
    });

    contractTest('of many concurrent acquisitions exactly one wins', async ({ store }) => {
      const locks = await Promise.all(Array.from({ length: 50 }, () => store.acquireLock(KEY, 10_000)));
      assert.equal(locks.filter((lock) => lock !== undefined).length, 1);
    });

    contractTest('locks and credentials do not share keys', async ({ store }) => {
      const lock = await store.acquireLock(KEY, 10_000);
      assert.ok(lock);
      assert.equal(await store.get(KEY), undefined);
      await store.set(KEY, credential('token'));
      assert.equal(await store.acquireLock(KEY, 10_000), undefined);
      assert.equal(await lock.release(), true);
      assert.equal((await store.get(KEY))?.value, 'token');
    });

    contractTest('an unreleased lock expires after its ttl; the late release does not free the next holder', async ({ store }) => {
      const first = await store.acquireLock(KEY, 80);
      assert.ok(first);
      await sleep(150);
      const second = await store.acquireLock(KEY, 10_000);
      assert.ok(second, 'the expired lock can be taken');
      assert.equal(await first.release(), false);
      assert.equal(await store.acquireLock(KEY, 10_000), undefined, 'the second holder still has it');
      assert.equal(await second.release(), true);
    });

    contractTest('a store opened over the same data sees the credentials', async ({ store, reopen }) => {
      if (reopen === undefined) return;
      const stored = credential('shared-token');
      await store.set(KEY, stored);
      const other = reopen();
      try {
        assert.deepEqual(await other.get(KEY), stored);
        assert.equal(await other.deleteIfValue(KEY, 'shared-token'), true);
        assert.equal(await store.get(KEY), undefined);
      } finally {
        await other.close();
      }
    });
  });
}
