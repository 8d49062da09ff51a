// The contract every HandoffStore passes (src/guard/handoff/handoff-store.ts), on a clock the test moves.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { HandoffStore } from '../../../src/guard/handoff/handoff-store.js';

/** `create` returns a store and one over the same data as another instance sees it (or the same), plus cleanup. */
export type CreateHandoffStore = (now: () => number) => Promise<{ store: HandoffStore; other: HandoffStore; cleanup: () => Promise<void> }>;

export interface HandoffStoreContractOptions {
  /** Returning false skips the test (Redis unreachable outside CI). */
  beforeEach?: (t: TestContext) => Promise<boolean>;
}

const MINUTE = 60_000;

export function runHandoffStoreContract(name: string, create: CreateHandoffStore, options: HandoffStoreContractOptions = {}): void {
  function contractTest(title: string, body: (store: HandoffStore, other: HandoffStore, clock: { now: number }) => Promise<void>): void {
    void it(title, async (t) => {
      if (options.beforeEach && !(await options.beforeEach(t))) return;
      const clock = { now: Date.now() };
      const { store, other, cleanup } = await create(() => clock.now);
      try {
        await body(store, other, clock);
      } finally {
        await store.close();
        await other.close();
        await cleanup();
      }
    });
  }

  void describe(`${name} (HandoffStore contract)`, () => {
    contractTest('a user handed off is seen as such (by another instance too) until ended; others are not', async (store, other, clock) => {
      assert.equal(await store.get('oUserA'), undefined);
      const entry = await store.begin('oUserA', 30 * MINUTE);
      assert.deepEqual(entry, { openId: 'oUserA', since: clock.now, until: clock.now + 30 * MINUTE });
      assert.deepEqual(await other.get('oUserA'), entry);
      assert.equal(await other.get('oUserB'), undefined);
      assert.equal(await other.end('oUserA'), true);
      assert.equal(await store.get('oUserA'), undefined);
      assert.equal(await store.end('oUserA'), false, 'ending twice: the second finds nothing');
      assert.equal(await store.end('oNeverHandedOff'), false);
    });

    contractTest('a hand-off ends by itself at its time-out', async (store, other, clock) => {
      await store.begin('oUserA', MINUTE);
      clock.now += MINUTE - 1;
      assert.notEqual(await other.get('oUserA'), undefined);
      clock.now += 1;
      assert.equal(await other.get('oUserA'), undefined);
      assert.deepEqual(await other.list(), []);
      assert.equal(await store.end('oUserA'), false, 'an expired hand-off is not "ended" by a release');
    });

    contractTest('beginning again renews until and keeps since; after an expiry it starts afresh', async (store, other, clock) => {
      const first = await store.begin('oUserA', MINUTE);
      clock.now += 40_000;
      const renewed = await other.begin('oUserA', MINUTE);
      assert.deepEqual(renewed, { openId: 'oUserA', since: first.since, until: clock.now + MINUTE });
      clock.now += 40_000;
      assert.deepEqual(await store.get('oUserA'), renewed, 'still on: the renewal moved the time-out');
      clock.now += MINUTE;
      const fresh = await store.begin('oUserA', MINUTE);
      assert.equal(fresh.since, clock.now, 'the earlier hand-off had expired: a new one');
    });

    contractTest('list: every user handed off now, longest first; ended and expired ones left out', async (store, other, clock) => {
      assert.deepEqual(await store.list(), []);
      await store.begin('oFirst', 10 * MINUTE);
      clock.now += 1000;
      await other.begin('oSecond', MINUTE);
      clock.now += 1000;
      await store.begin('oThird', 10 * MINUTE);
      await store.begin('oReleased', 10 * MINUTE);
      await other.end('oReleased');
      assert.deepEqual((await other.list()).map((entry) => entry.openId), ['oFirst', 'oSecond', 'oThird']);
      const [first] = await store.list();
      assert.deepEqual(first, { openId: 'oFirst', since: clock.now - 2000, until: clock.now - 2000 + 10 * MINUTE });
      clock.now += MINUTE;
      assert.deepEqual((await store.list()).map((entry) => entry.openId), ['oFirst', 'oThird'], 'oSecond timed out');
    });

    contractTest('openids are kept exactly (unicode, separators)', async (store, other) => {
      const odd = 'o-_:用户 1|"]]>';
      await store.begin(odd, MINUTE);
      assert.equal((await other.get(odd))?.openId, odd);
      assert.deepEqual((await other.list()).map((entry) => entry.openId), [odd]);
      assert.equal(await other.end(odd), true);
    });
  });
}
