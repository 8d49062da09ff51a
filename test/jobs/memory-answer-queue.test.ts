import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { FINISHED_DEDUP_MS, MemoryAnswerQueue } from '../../src/jobs/memory-answer-queue.js';
import { answerJob, Recorder } from './answer-jobs.js';
import { runAnswerQueueContract } from './answer-queue.contract.js';

const log = pino({ level: 'silent' });

runAnswerQueueContract('MemoryAnswerQueue', async ({ concurrency }) => ({ queue: new MemoryAnswerQueue({ concurrency, log }), cleanup: async () => {} }), {
  handsBack: false,
});

void describe('MemoryAnswerQueue', () => {
  void it('refuses a concurrency that is not a positive integer', () => {
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new MemoryAnswerQueue({ concurrency, log }), RangeError);
    }
  });

  void it('add() rejects once stop() began', async () => {
    const queue = new MemoryAnswerQueue({ concurrency: 1, log });
    const recorder = new Recorder();
    queue.start(recorder.processor);
    const stopping = queue.stop(Date.now() + 1_000);
    await assert.rejects(queue.add(answerJob('o_user', 'late')), /shutting down/);
    await stopping;
    assert.equal(recorder.runs.length, 0);
  });

  void it('forgets a finished messageKey after the dedup window: a later add runs again', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const queue = new MemoryAnswerQueue({ concurrency: 1, log });
    const recorder = new Recorder({ ms: 0 });
    queue.start(recorder.processor);
    const job = answerJob('o_user', 'again');
    await queue.add(job);
    await recorder.untilEnded([job]);
    await new Promise((resolve) => setImmediate(resolve));
    t.mock.timers.tick(FINISHED_DEDUP_MS - 1_000);
    await queue.add(job);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(recorder.started(job).length, 1, 'ran again within the dedup window');
    t.mock.timers.tick(2_000);
    await queue.add(job);
    await recorder.until(() => recorder.started(job).length === 2, 2_000, 'the second run');
  });

  void it('keeps the last 100 failures with their messageKey and error; counts all of them', async () => {
    const queue = new MemoryAnswerQueue({ concurrency: 5, log });
    const recorder = new Recorder({ ms: 0, reject: true });
    queue.start(recorder.processor);
    const jobs = Array.from({ length: 103 }, (_, index) => answerJob(`o_user_${index}`, `failing${index}`));
    for (const job of jobs) await queue.add(job);
    await recorder.untilEnded(jobs);
    await new Promise((resolve) => setImmediate(resolve));
    const failures = queue.failures();
    assert.equal(failures.length, 100);
    assert.equal(failures[0]!.messageKey, jobs[3]!.messageKey);
    assert.equal(failures[99]!.error, `the processor failed on ${jobs[102]!.messageKey}`);
    assert.equal((await queue.stats()).failed, 103);
  });

  void it('a processor that throws synchronously is a failure like a rejection', async () => {
    const queue = new MemoryAnswerQueue({ concurrency: 1, log });
    queue.start(() => {
      throw new Error('synchronous');
    });
    await queue.add(answerJob('o_user', 'sync'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(queue.failures()[0]?.error, 'synchronous');
  });
});
