// The contract every SharedState implementation passes (src/delivery/state/shared-state.ts).
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SharedState } from '../../src/delivery/state/shared-state.js';

export interface SharedStateContractOptions {
  /** Returning false skips the test (Redis unreachable outside CI). */
  beforeEach?: (t: TestContext) => Promise<boolean>;
}

/** `create` returns a store and a second one over the same data (another instance), plus cleanup. */
export type CreateSharedState = () => Promise<{ state: SharedState; other: SharedState; cleanup: () => Promise<void> }>;

const LONG_MS = 60_000;

export function runSharedStateContract(name: string, create: CreateSharedState, options: SharedStateContractOptions = {}): void {
  function contractTest(title: string, body: (state: SharedState, other: SharedState) => Promise<void>): void {
    void it(title, async (t) => {
      if (options.beforeEach && !(await options.beforeEach(t))) return;
      const { state, other, cleanup } = await create();
      try {
        await body(state, other);
      } finally {
        await state.close();
        await other.close();
        await cleanup();
      }
    });
  }

  void describe(`${name} (SharedState contract)`, () => {
    contractTest('get/set/delete a value, unicode intact; absent is undefined', async (state) => {
      assert.equal(await state.get('a'), undefined);
      await state.set('a', '回答 🙂 ]]> "quoted"', LONG_MS);
      assert.equal(await state.get('a'), '回答 🙂 ]]> "quoted"');
      await state.set('a', 'replaced', LONG_MS);
      assert.equal(await state.get('a'), 'replaced');
      await state.delete('a');
      assert.equal(await state.get('a'), undefined);
    });

    contractTest('values and lists expire', async (state) => {
      await state.set('short', 'x', 60);
      await state.push('list', ['1', '2'], 60);
      assert.equal(await state.get('short'), 'x');
      assert.equal(await state.length('list'), 2);
      await sleep(150);
      assert.equal(await state.get('short'), undefined);
      assert.equal(await state.length('list'), 0);
      assert.equal(await state.shift('list'), undefined);
    });

    contractTest('a list keeps order; shift takes from the front; push renews the expiry', async (state) => {
      await state.push('pages', ['one', 'two'], 200);
      await sleep(120);
      await state.push('pages', ['three'], LONG_MS);
      await sleep(120);
      assert.equal(await state.length('pages'), 3);
      assert.equal(await state.shift('pages'), 'one');
      assert.equal(await state.shift('pages'), 'two');
      assert.equal(await state.shift('pages'), 'three');
      assert.equal(await state.shift('pages'), undefined);
      assert.equal(await state.length('pages'), 0);
      await state.push('pages', [], LONG_MS);
      assert.equal(await state.length('pages'), 0);
    });

    contractTest('shared: what one instance writes the other reads; concurrent shifts take each value once', async (state, other) => {
      await state.set('flag', 'denied', LONG_MS);
      assert.equal(await other.get('flag'), 'denied');
      const values = Array.from({ length: 50 }, (_, index) => `v${index}`);
      await state.push('queue', values, LONG_MS);
      const taken = await Promise.all(values.map((_, index) => (index % 2 === 0 ? state : other).shift('queue')));
      assert.deepEqual(taken.filter((value) => value !== undefined).sort(), [...values].sort());
    });
  });
}
