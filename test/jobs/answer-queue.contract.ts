// The contract every AnswerQueue implementation passes (see src/jobs/answer-queue.ts). Each implementation's test
// file calls runAnswerQueueContract with a factory; every test gets a fresh queue, stopped and closed afterwards.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnswerQueue } from '../../src/jobs/answer-queue.js';
import { answerJob, eventually, Recorder } from './answer-jobs.js';

export interface QueueUnderTest {
  queue: AnswerQueue;
  /** Deletes what the queue left behind (Redis keys). */
  cleanup: () => Promise<void>;
}

export interface AnswerQueueContractOptions {
  /** Runs before each test; returning false skips it (e.g. `requireRedis` when Redis is unreachable). */
  beforeEach?: (t: TestContext) => Promise<boolean>;
  /** True when a shutdown hands unfinished jobs back (Redis), false when it abandons them (memory). */
  handsBack: boolean;
}

export type CreateAnswerQueue = (options: { concurrency: number }) => Promise<QueueUnderTest>;

export function runAnswerQueueContract(name: string, create: CreateAnswerQueue, options: AnswerQueueContractOptions): void {
  function contractTest(title: string, concurrency: number, body: (queue: AnswerQueue) => Promise<void>): void {
    void it(title, async (t) => {
      if (options.beforeEach && !(await options.beforeEach(t))) return;
      const { queue, cleanup } = await create({ concurrency });
      try {
        await body(queue);
      } finally {
        await queue.stop(Date.now());
        await queue.close();
        await cleanup();
      }
    });
  }

  void describe(`${name} (AnswerQueue contract)`, () => {
    contractTest('runs at most `concurrency` jobs at once, the others in the order they were added', 2, async (queue) => {
      const recorder = new Recorder({ ms: 120 });
      const jobs = Array.from({ length: 6 }, (_, index) => answerJob(`o_user_${index}`, `job${index}`));
      for (const job of jobs) await queue.add(job);
      queue.start(recorder.processor);
      await recorder.untilEnded(jobs);
      assert.equal(recorder.maxActive, 2);
      assert.deepEqual(recorder.runs.map((run) => run.messageKey), jobs.map((job) => job.messageKey));
      assert.equal(recorder.runs.length, 6);
    });

    contractTest("runs one user's jobs one after the other, in add order, while other users run alongside", 4, async (queue) => {
      const recorder = new Recorder();
      // The first is the slowest: a job that did not wait for the one before it would finish first.
      const userJobs = [
        recorder.behave(answerJob('o_alice', 'alice1'), { ms: 300 }),
        recorder.behave(answerJob('o_alice', 'alice2'), { ms: 20 }),
        recorder.behave(answerJob('o_alice', 'alice3'), { ms: 80 }),
      ];
      const others = [recorder.behave(answerJob('o_bob', 'bob1'), { ms: 150 }), recorder.behave(answerJob('o_carol', 'carol1'), { ms: 150 })];
      queue.start(recorder.processor);
      for (const job of [...userJobs, ...others]) await queue.add(job);
      await recorder.untilEnded([...userJobs, ...others]);
      const [first, second, third] = userJobs.map((job) => recorder.started(job)[0]!);
      assert.ok(first!.endedAt! <= second!.startedAt, 'alice2 started before alice1 ended');
      assert.ok(second!.endedAt! <= third!.startedAt, 'alice3 started before alice2 ended');
      for (const job of others) {
        const run = recorder.started(job)[0]!;
        assert.ok(run.startedAt < first!.endedAt!, `${job.messageKey} waited for another user's job`);
      }
      assert.equal(recorder.runs.length, 5);
    });

    contractTest("a failing job does not hold up its user's next job, and counts as failed", 2, async (queue) => {
      const recorder = new Recorder();
      const failing = recorder.behave(answerJob('o_dave', 'dave1'), { ms: 30, reject: true });
      const next = recorder.behave(answerJob('o_dave', 'dave2'), { ms: 10 });
      queue.start(recorder.processor);
      await queue.add(failing);
      await queue.add(next);
      await recorder.untilEnded([failing, next]);
      assert.ok(recorder.started(failing)[0]!.endedAt! <= recorder.started(next)[0]!.startedAt);
      const stats = await eventually(() => queue.stats(), (value) => value.failed === 1 && value.active === 0);
      assert.equal(stats.failed, 1);
    });

    contractTest("never deadlocks: with one slot, jobs waiting behind their user's earlier job leave it to others", 1, async (queue) => {
      const recorder = new Recorder({ ms: 30 });
      const jobs = ['a1', 'a2', 'b1', 'a3', 'b2', 'a4'].map((label) => answerJob(`o_${label[0]}`, label));
      for (const job of jobs) await queue.add(job);
      queue.start(recorder.processor);
      await recorder.untilEnded(jobs, 10_000);
      for (const user of ['o_a', 'o_b']) {
        const runs = recorder.runs.filter((run) => run.user === user);
        assert.deepEqual(runs.map((run) => run.messageKey), jobs.filter((job) => job.message.fromUserName === user).map((job) => job.messageKey));
      }
      assert.equal(recorder.maxActive, 1);
    });

    contractTest('a second add of a messageKey is ignored while it waits, runs, and after it finished', 2, async (queue) => {
      const recorder = new Recorder();
      const job = recorder.behave(answerJob('o_erin', 'erin1'), { ms: 200 });
      await queue.add(job);
      await queue.add({ ...job, answerId: 'another-answer-id' });
      queue.start(recorder.processor);
      await recorder.untilStarted(job);
      await queue.add(job);
      await recorder.untilEnded([job]);
      await sleep(50);
      await queue.add(job);
      // A different message of the same user still runs: it is the key that counts.
      const other = answerJob('o_erin', 'erin2');
      await queue.add(other);
      await recorder.untilEnded([other]);
      await sleep(300);
      assert.equal(recorder.started(job).length, 1);
      assert.equal(recorder.started(job)[0]!.abortReason, undefined);
    });

    contractTest('stop() lets short jobs finish, aborts the long ones at the deadline and reports them', 2, async (queue) => {
      const recorder = new Recorder();
      const short = recorder.behave(answerJob('o_frank', 'short'), { ms: 150 });
      const long = recorder.behave(answerJob('o_grace', 'long'), 'until-aborted');
      const waiting = recorder.behave(answerJob('o_heidi', 'waiting'), { ms: 10 });
      queue.start(recorder.processor);
      await queue.add(short);
      await queue.add(long);
      await recorder.untilStarted(short);
      await recorder.untilStarted(long);
      await queue.add(waiting);
      const stoppedAt = performance.now();
      const report = await queue.stop(Date.now() + 700);
      const elapsed = performance.now() - stoppedAt;
      assert.ok(elapsed >= 650, `stop returned after ${elapsed} ms, before its deadline`);
      assert.ok(elapsed < 700 + 2_500, `stop returned after ${elapsed} ms`);
      assert.equal(report.finished, 1);
      assert.equal(report.handedBack, options.handsBack);
      // Jobs that never started: abandoned with the rest in memory, still in the queue for others with Redis.
      assert.deepEqual(report.unfinished, options.handsBack ? [long.messageKey] : [long.messageKey, waiting.messageKey]);
      const longRun = recorder.started(long)[0]!;
      assert.ok(longRun.abortReason instanceof Error, 'the long job was not aborted');
      assert.ok(longRun.abortReason.message.startsWith('shutdown'));
      assert.equal(recorder.started(short)[0]!.abortReason, undefined);
      await sleep(200);
      assert.equal(recorder.started(waiting).length, 0, 'a job started after stop()');
      assert.deepEqual(await queue.stop(Date.now()), report, 'a second stop() gives the same report');
    });

    contractTest('stop() returns at once when nothing runs', 2, async (queue) => {
      const recorder = new Recorder();
      queue.start(recorder.processor);
      const stoppedAt = performance.now();
      const report = await queue.stop(Date.now() + 5_000);
      assert.ok(performance.now() - stoppedAt < 2_000);
      assert.deepEqual(report, { finished: 0, unfinished: [], handedBack: options.handsBack });
    });

    contractTest('stats(): waiting, active, failed and the oldest waiting age', 1, async (queue) => {
      const recorder = new Recorder();
      const blocking = recorder.behave(answerJob('o_ivan', 'blocking'), { ms: 500 });
      const failing = recorder.behave(answerJob('o_judy', 'failing'), { ms: 10, reject: true });
      const later = recorder.behave(answerJob('o_judy', 'later'), { ms: 10 });
      assert.deepEqual(await queue.stats(), { waiting: 0, active: 0, stalled: 0, failed: 0, oldestWaitingMs: 0 });
      queue.start(recorder.processor);
      await queue.add(blocking);
      await recorder.untilStarted(blocking);
      await queue.add(failing);
      await queue.add(later);
      await sleep(150);
      const busy = await queue.stats();
      assert.equal(busy.active, 1);
      assert.equal(busy.waiting, 2);
      assert.equal(busy.failed, 0);
      assert.equal(busy.stalled, 0);
      assert.ok(busy.oldestWaitingMs >= 120 && busy.oldestWaitingMs < 5_000, `oldestWaitingMs ${busy.oldestWaitingMs}`);
      await recorder.untilEnded([blocking, failing, later]);
      const idle = await eventually(() => queue.stats(), (value) => value.active === 0 && value.waiting === 0);
      assert.deepEqual(idle, { waiting: 0, active: 0, stalled: 0, failed: 1, oldestWaitingMs: 0 });
    });

    contractTest('start() twice throws; add() after stop() and close() rejects', 1, async (queue) => {
      const recorder = new Recorder();
      queue.start(recorder.processor);
      assert.throws(() => queue.start(recorder.processor), /already started/);
      await queue.stop(Date.now());
      await queue.close();
      await assert.rejects(queue.add(answerJob('o_kim', 'late')));
      await queue.close();
    });
  });
}
