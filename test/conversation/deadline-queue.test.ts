import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineQueue } from '../../src/conversation/deadline-queue.js';

describe('DeadlineQueue', () => {
  it('resolves with the value when the work settles in time', async () => {
    const queue = new DeadlineQueue(200, 10);
    assert.equal(await queue.within(Promise.resolve('now')), 'now');
    assert.equal(await queue.within(sleep(30).then(() => 'soon')), 'soon');
  });

  it('resolves undefined once the duration passes, while the work goes on', async () => {
    const queue = new DeadlineQueue(60, 10);
    let finished = false;
    const work = sleep(200).then(() => {
      finished = true;
      return 'late';
    });
    const started = Date.now();
    assert.equal(await queue.within(work), undefined);
    const waited = Date.now() - started;
    assert.ok(waited >= 55 && waited < 150, `waited ${waited} ms`);
    assert.equal(finished, false);
    assert.equal(await work, 'late');
  });

  it('serves many waits in deadline order with one timer, and leaves no timer behind', async () => {
    const queue = new DeadlineQueue(40, 5);
    // The queue's timer is unref'd (it must not keep a stopping server alive); here the test keeps the loop alive,
    // as a listening server does.
    const keepAlive = setInterval(() => {}, 1_000);
    const results = await Promise.all(Array.from({ length: 3000 }, (_, index) =>
      queue.within(index % 2 === 0 ? Promise.resolve(index) : new Promise<number>(() => {}))));
    clearInterval(keepAlive);
    assert.equal(results.filter((value) => value === undefined).length, 1500);
    assert.deepEqual(results.slice(0, 4), [0, undefined, 2, undefined]);
    await sleep(20);
    const timers = process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    assert.equal(timers, 0);
  });
});
