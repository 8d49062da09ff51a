import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Dashboard } from '../../src/dashboard/dashboard.js';
import type { InstanceProfile, InstanceSnapshot } from '../../src/dashboard/instance-snapshot.js';
import { MemorySnapshotBoard, type SnapshotBoard } from '../../src/dashboard/snapshot-board.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { capturingLogger } from '../ai/framework/scripted-agent.js';
import { snapshotOf } from './snapshot-board.contract.js';

const PROFILE: InstanceProfile = { instance: 'this-one', startedAt: Date.now(), demo: false, redis: true, wechatApi: false, ai: { provider: 'echo', model: null } };

/** A board on a store that is down: every call fails, as a Redis board does while Redis is unreachable. */
class UnreachableBoard implements SnapshotBoard {
  calls = 0;
  async publish(): Promise<void> {
    this.calls++;
    throw new Error('connect ECONNREFUSED 127.0.0.1:6390');
  }
  async read(): Promise<InstanceSnapshot[]> {
    this.calls++;
    throw new Error('connect ECONNREFUSED 127.0.0.1:6390');
  }
  async remove(): Promise<void> {
    throw new Error('connect ECONNREFUSED 127.0.0.1:6390');
  }
}

const refTimers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

describe('Dashboard: one instance’s snapshots, published and read back', () => {
  it('publishes a snapshot at once and every period; data() shows every instance on the board', async () => {
    const metrics = createMetrics({ instance: 'this-one', version: '1.0.0' });
    const board = new MemorySnapshotBoard();
    await board.publish(snapshotOf('another-one'), 60_000);
    const { log } = capturingLogger();
    const timersBefore = refTimers();
    const dashboard = new Dashboard({ profile: PROFILE, registry: metrics.registry, board, log, periodMs: 100 });
    dashboard.start();
    try {
      assert.equal(refTimers(), timersBefore, 'the publishing timer does not keep the process alive');
      const first = await dashboard.data();
      assert.deepEqual(first.rows.map((row) => row.instance).sort(), ['another-one', 'this-one']);
      assert.equal(first.servedBy, 'this-one');
      assert.equal(first.deployment.messages.total, 3, 'the other instance’s 3 messages');

      metrics.callbacks.labels({ type: 'text', delivery: '1', outcome: 'answered' }).inc(4);
      await sleep(250);
      const later = await dashboard.data();
      const own = later.rows.find((row) => row.instance === 'this-one')!;
      assert.equal(own.messages.total, 4);
      assert.equal(later.deployment.messages.total, 7);
      assert.equal((await board.read()).find((snapshot) => snapshot.instance === 'this-one')?.totals.counters.wx_callbacks_total?.['delivery=1,outcome=answered,type=text'], 4, 'published to the board');
    } finally {
      await dashboard.close();
    }
    assert.deepEqual((await board.read()).map((snapshot) => snapshot.instance), ['another-one'], 'close takes the instance off the board');
  });

  it('with the board unreachable: shows this instance with a notice, logs once a minute at most, never throws', async () => {
    const metrics = createMetrics({ instance: 'this-one', version: '1.0.0', defaultMetrics: false });
    const board = new UnreachableBoard();
    const { log, lines } = capturingLogger();
    const dashboard = new Dashboard({ profile: PROFILE, registry: metrics.registry, board, log, periodMs: 20 });
    dashboard.start();
    try {
      metrics.callbacks.labels({ type: 'text', delivery: '1', outcome: 'answered' }).inc(2);
      await sleep(150);
      const data = await dashboard.data();
      await dashboard.data();
      assert.deepEqual(data.rows.map((row) => row.instance), ['this-one']);
      assert.equal(data.deployment.messages.total, 2, 'this instance’s latest snapshot');
      assert.match(data.notice ?? '', /only the instance that served it/);
      assert.ok(board.calls >= 5, `the board was tried ${board.calls} times`);
      const warnings = lines.filter((line) => line.level === 40);
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.match(String(warnings[0]!.msg), /repeats are not logged for a minute/);
    } finally {
      await dashboard.close();
    }
  });

  it('stops publishing on close', async () => {
    const metrics = createMetrics({ instance: 'this-one', version: '1.0.0', defaultMetrics: false });
    const board = new MemorySnapshotBoard();
    const dashboard = new Dashboard({ profile: PROFILE, registry: metrics.registry, board, log: capturingLogger().log, periodMs: 20 });
    dashboard.start();
    await dashboard.data();
    await dashboard.close();
    await sleep(100);
    assert.deepEqual(await board.read(), []);
  });
});
