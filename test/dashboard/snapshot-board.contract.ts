// The contract every SnapshotBoard implementation passes (src/dashboard/snapshot-board.ts).
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InstanceSnapshot } from '../../src/dashboard/instance-snapshot.js';
import type { SnapshotBoard } from '../../src/dashboard/snapshot-board.js';

/** A minimal valid snapshot of `instance` taken at `takenAt`. */
export function snapshotOf(instance: string, takenAt = Date.now()): InstanceSnapshot {
  return {
    instance,
    startedAt: takenAt - 60_000,
    demo: false,
    redis: true,
    wechatApi: true,
    ai: { provider: 'echo', model: null },
    version: '1.0.0',
    takenAt,
    uptimeSeconds: 60,
    circuit: null,
    token: { state: 'none', expiresInSeconds: null, ageSeconds: null },
    totals: { counters: { wx_callbacks_total: { 'delivery=1,outcome=answered,type=text': 3 } }, gauges: {}, histograms: {} },
    change: { seconds: 2, counters: {}, histograms: {} },
  };
}

/** `create` gives a board and a second one over the same data (another instance's view), plus cleanup. */
export type CreateBoard = () => Promise<{ board: SnapshotBoard; other: SnapshotBoard; cleanup: () => Promise<void> }>;

export function runSnapshotBoardContract(name: string, create: CreateBoard, options: { beforeEach?: (t: TestContext) => Promise<boolean> } = {}): void {
  function contractTest(title: string, body: (board: SnapshotBoard, other: SnapshotBoard) => Promise<void>): void {
    it(title, async (t) => {
      if (options.beforeEach && !(await options.beforeEach(t))) return;
      const { board, other, cleanup } = await create();
      try {
        await body(board, other);
      } finally {
        await cleanup();
      }
    });
  }

  describe(`${name} (SnapshotBoard contract)`, () => {
    contractTest('an empty board reads as no snapshots', async (board) => {
      assert.deepEqual(await board.read(), []);
    });

    contractTest('keeps one snapshot per instance, the latest, readable by the other side', async (board, other) => {
      await board.publish(snapshotOf('a', 1_000), 10_000);
      await other.publish(snapshotOf('b', 1_500), 10_000);
      await board.publish(snapshotOf('a', 2_000), 10_000);
      const read = (await other.read()).sort((x, y) => x.instance.localeCompare(y.instance));
      assert.deepEqual(read.map((snapshot) => [snapshot.instance, snapshot.takenAt]), [['a', 2_000], ['b', 1_500]]);
      assert.deepEqual(read[0], snapshotOf('a', 2_000), 'the snapshot comes back whole');
    });

    contractTest('a snapshot not republished within its TTL disappears', async (board, other) => {
      await board.publish(snapshotOf('short'), 150);
      await other.publish(snapshotOf('long'), 10_000);
      assert.equal((await other.read()).length, 2);
      await sleep(300);
      assert.deepEqual((await other.read()).map((snapshot) => snapshot.instance), ['long']);
    });

    contractTest('remove takes an instance off at once', async (board, other) => {
      await board.publish(snapshotOf('leaving'), 10_000);
      await other.publish(snapshotOf('staying'), 10_000);
      await board.remove('leaving');
      assert.deepEqual((await other.read()).map((snapshot) => snapshot.instance), ['staying']);
      await board.remove('never-published');
    });
  });
}
