import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pino from 'pino';
import { answerQueueCheck } from '../../src/http/routes/answer-queue-check.js';
import { answerJobId, BullAnswerQueue, type BullAnswerQueueOptions } from '../../src/jobs/bull-answer-queue.js';
import { childEnv, REPO_ROOT, spawnNode } from '../support/processes.js';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { answerJob, eventually, Recorder } from './answer-jobs.js';
import { runAnswerQueueContract } from './answer-queue.contract.js';

const log = pino({ level: 'silent' });

runAnswerQueueContract(
  'BullAnswerQueue',
  async ({ concurrency }) => {
    const prefix = uniquePrefix('answers');
    const queue = new BullAnswerQueue({ redisUrl: TEST_REDIS_URL, prefix, concurrency, log });
    return {
      queue,
      cleanup: async () => {
        const redis = new Redis(TEST_REDIS_URL);
        await deleteKeys(redis, prefix);
        await redis.quit();
      },
    };
  },
  { beforeEach: requireRedis, handsBack: true },
);

/** A fresh prefix and a factory of queues ("instances") under it; everything is stopped, closed and deleted after. */
async function withInstances(t: TestContext, body: (instance: (options?: Partial<BullAnswerQueueOptions>) => BullAnswerQueue, prefix: string, redis: Redis) => Promise<void>): Promise<void> {
  if (!(await requireRedis(t))) return;
  const prefix = uniquePrefix('answers');
  const redis = new Redis(TEST_REDIS_URL);
  const queues: BullAnswerQueue[] = [];
  const instance = (options: Partial<BullAnswerQueueOptions> = {}) => {
    const queue = new BullAnswerQueue({ redisUrl: TEST_REDIS_URL, prefix, concurrency: 2, log, ...options });
    queues.push(queue);
    return queue;
  };
  try {
    await body(instance, prefix, redis);
  } finally {
    await Promise.all(queues.map(async (queue) => {
      await queue.stop(Date.now());
      await queue.close();
    }));
    await deleteKeys(redis, prefix);
    await redis.quit();
  }
}

/** Starts `queue` on `recorder`, noting which jobs this instance ran. */
function startOn(queue: BullAnswerQueue, recorder: Recorder): Set<string> {
  const ran = new Set<string>();
  queue.start((job, signal) => {
    ran.add(job.messageKey);
    return recorder.processor(job, signal);
  });
  return ran;
}

void describe('BullAnswerQueue across instances', () => {
  void it("keeps one user's order across instances: jobs added through both run one after the other", async (t) => {
    await withInstances(t, async (instance) => {
      const first = instance();
      const second = instance();
      const recorder = new Recorder({ ms: 200 });
      const ranOnFirst = startOn(first, recorder);
      const ranOnSecond = startOn(second, recorder);
      const userJobs = [
        recorder.behave(answerJob('o_alice', 'alice1'), { ms: 300 }),
        recorder.behave(answerJob('o_alice', 'alice2'), { ms: 20 }),
        recorder.behave(answerJob('o_alice', 'alice3'), { ms: 120 }),
        recorder.behave(answerJob('o_alice', 'alice4'), { ms: 10 }),
      ];
      const others = Array.from({ length: 6 }, (_, index) => answerJob(`o_other_${index}`, `other${index}`));
      for (const [index, job] of userJobs.entries()) await (index % 2 === 0 ? first : second).add(job);
      for (const [index, job] of others.entries()) await (index % 2 === 0 ? second : first).add(job);
      await recorder.untilEnded([...userJobs, ...others], 15_000);
      const runs = userJobs.map((job) => recorder.started(job));
      assert.deepEqual(runs.map((list) => list.length), [1, 1, 1, 1]);
      for (let index = 1; index < runs.length; index += 1) {
        assert.ok(runs[index - 1]![0]!.endedAt! <= runs[index]![0]!.startedAt, `alice${index + 1} started before alice${index} ended`);
      }
      assert.ok(ranOnFirst.size > 0 && ranOnSecond.size > 0, `one instance ran nothing: ${ranOnFirst.size} / ${ranOnSecond.size}`);
      assert.ok(recorder.maxActive <= 4);
    });
  });

  void it('a job whose instance is killed (SIGKILL) is taken over by another within lockDuration + stalled interval, in order', async (t) => {
    await withInstances(t, async (instance, prefix) => {
      const lockDurationMs = 1_500;
      const stalledIntervalMs = 500;
      const child = spawnNode(['--import', 'tsx', path.join(REPO_ROOT, 'test/jobs/answer-queue-child.ts')], REPO_ROOT, childEnv({
        TEST_QUEUE_REDIS_URL: TEST_REDIS_URL,
        TEST_QUEUE_PREFIX: prefix,
        TEST_QUEUE_LOCK_MS: String(lockDurationMs),
        TEST_QUEUE_STALLED_MS: String(stalledIntervalMs),
      }));
      try {
        await child.waitFor(/^ready$/m);
        const survivor = instance({ lockDurationMs, stalledIntervalMs });
        const orphan = answerJob('o_user', 'orphan');
        const next = answerJob('o_user', 'next');
        await survivor.add(orphan);
        await survivor.add(next);
        await child.waitFor(/^started .*\|orphan$/m);
        child.child.kill('SIGKILL');
        await child.exited;
        const killedAt = performance.now();
        const recorder = new Recorder({ ms: 10 });
        survivor.start(recorder.processor);
        await recorder.untilEnded([orphan, next], 10_000);
        const takenOverAfter = recorder.started(orphan)[0]!.startedAt - killedAt;
        assert.ok(takenOverAfter <= lockDurationMs + stalledIntervalMs + 1_000, `taken over after ${takenOverAfter} ms`);
        assert.ok(recorder.started(orphan)[0]!.endedAt! <= recorder.started(next)[0]!.startedAt, 'the next job overtook the orphan');
        assert.doesNotMatch(child.output(), /started .*\|next/, 'the killed instance ran the next job before the orphan finished');
        // The orphan, and the next job too when the kill caught the dead instance checking its place in line.
        const { stalled } = await survivor.stats();
        assert.ok(stalled === 1 || stalled === 2, `stalled ${stalled}`);
      } finally {
        if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
      }
    });
  });

  void it('stop() hands a running job back to the queue at the deadline, and another instance completes it at once', async (t) => {
    await withInstances(t, async (instance) => {
      const leaving = instance({ concurrency: 1 });
      const staying = instance({ concurrency: 1 });
      const leavingRecorder = new Recorder('until-aborted');
      leaving.start(leavingRecorder.processor);
      const job = answerJob('o_user', 'handed-back');
      const next = answerJob('o_user', 'after');
      await leaving.add(job);
      await leavingRecorder.untilStarted(job);
      await staying.add(next);
      const report = await leaving.stop(Date.now() + 300);
      assert.deepEqual(report, { finished: 0, unfinished: [job.messageKey], handedBack: true });
      assert.match(String((leavingRecorder.started(job)[0]!.abortReason as Error).message), /^shutdown/);
      const recorder = new Recorder({ ms: 10 });
      const startedAt = performance.now();
      staying.start(recorder.processor);
      await recorder.untilEnded([job, next], 5_000);
      // Far sooner than a takeover (the default lock lasts 10 s): the job was back in the queue.
      assert.ok(recorder.started(job)[0]!.startedAt - startedAt < 1_500);
      assert.ok(recorder.started(job)[0]!.endedAt! <= recorder.started(next)[0]!.startedAt);
      assert.equal(leavingRecorder.started(next).length, 0);
      assert.equal((await staying.stats()).stalled, 0);
    });
  });

  void it('a job whose lock is lost is aborted here and run again once the stalled check finds it', async (t) => {
    await withInstances(t, async (instance, prefix, redis) => {
      const queue = instance({ concurrency: 1, lockDurationMs: 1_000, stalledIntervalMs: 300 });
      let calls = 0;
      const recorder = new Recorder();
      const job = answerJob('o_user', 'lock-lost');
      queue.start((answer, signal) => {
        calls += 1;
        recorder.behave(answer, calls === 1 ? 'until-aborted' : { ms: 10 });
        return recorder.processor(answer, signal);
      });
      await queue.add(job);
      await recorder.untilStarted(job);
      // What another worker's takeover looks like from here: the lock is no longer this worker's.
      assert.equal(await redis.del(`${prefix}answers:${answerJobId(job.messageKey)}:lock`), 1);
      await recorder.until(() => recorder.started(job).some((run) => run.endedAt !== undefined && run.abortReason === undefined), 8_000, 'the second run');
      assert.match(String((recorder.started(job)[0]!.abortReason as Error).message), /lost its lock/);
      assert.equal(calls, 2);
      assert.equal((await eventually(() => queue.stats(), (stats) => stats.active === 0)).stalled, 1);
    });
  });

  void it('keeps every key under the prefix (BullMQ and the order keys), the order keys expiring', async (t) => {
    await withInstances(t, async (instance, prefix, redis) => {
      const queue = instance({ concurrency: 1 });
      const recorder = new Recorder({ ms: 300 });
      queue.start(recorder.processor);
      const jobs = [answerJob('o_user', 'one'), answerJob('o_user', 'two'), answerJob('o_user', 'three')];
      for (const job of jobs) await queue.add(job);
      await recorder.untilStarted(jobs[0]!);
      const orderKey = `${prefix}answers:order:user:o_user`;
      assert.equal(await redis.zcard(orderKey), 3);
      const ttl = await redis.pttl(orderKey);
      assert.ok(ttl > 0 && ttl <= 24 * 60 * 60_000, `order key TTL ${ttl}`);
      await recorder.untilEnded(jobs, 5_000);
      const token = prefix.split(':').at(-2)!;
      const keys = await redis.keys(`*${token}*`);
      assert.ok(keys.length > 0);
      for (const key of keys) assert.ok(key.startsWith(`${prefix}answers:`), `${key} is outside ${prefix}answers:`);
      assert.ok(keys.includes(`${prefix}answers:meta`));
      assert.ok(keys.includes(`${prefix}answers:${answerJobId(jobs[0]!.messageKey)}`), 'the completed job is kept for the dedup window');
      assert.deepEqual(await redis.keys('bull:*'), []);
      assert.equal(await eventually(() => redis.exists(orderKey), (exists) => exists === 0), 0, 'the finished jobs stayed in the order');
    });
  });
});

/** Starts `queue` on `recorder`, noting whether each run was told it resumes an earlier one. */
function startNotingResumed(queue: BullAnswerQueue, recorder: Recorder): Map<string, boolean | undefined> {
  const resumed = new Map<string, boolean | undefined>();
  queue.start((job, signal, run) => {
    resumed.set(job.messageKey, run?.resumed);
    return recorder.processor(job, signal);
  });
  return resumed;
}

void describe('BullAnswerQueue: a job runs on the instance that received it', () => {
  void it('starts at once, without the queue; its record waits delayed while it runs and is removed after; adding it again is still ignored', async (t) => {
    await withInstances(t, async (instance, prefix, redis) => {
      const receiver = instance({ concurrency: 3 });
      const other = instance({ concurrency: 3 });
      const recorder = new Recorder({ ms: 400 });
      const ranOnReceiver = startOn(receiver, recorder);
      const ranOnOther = startOn(other, recorder);
      const job = answerJob('o_user', 'here');
      const jobId = answerJobId(job.messageKey);
      await receiver.add(job);
      await recorder.untilStarted(job);
      assert.equal(await redis.hget(`${prefix}answers:${jobId}`, 'name'), 'answer-here');
      assert.notEqual(await redis.zscore(`${prefix}answers:delayed`, jobId), null, 'the record is not delayed');
      const during = await other.stats();
      assert.deepEqual([during.active, during.waiting, during.oldestWaitingMs], [1, 0, 0]);
      await recorder.untilEnded([job]);
      assert.equal(await eventually(() => redis.exists(`${prefix}answers:${jobId}`), (exists) => exists === 0), 0, 'the record was left behind');
      await receiver.add(job);
      await other.add(job);
      await sleep(300);
      assert.equal(recorder.started(job).length, 1);
      assert.deepEqual([...ranOnReceiver], [job.messageKey]);
      assert.equal(ranOnOther.size, 0);
      const after = await receiver.stats();
      assert.deepEqual([after.active, after.waiting, after.failed, after.stalled], [0, 0, 0, 0]);
    });
  });

  void it('a job whose record cannot be written is not run: add rejects, it leaves its user\'s order, the next job runs at once', async (t) => {
    await withInstances(t, async (instance, prefix, redis) => {
      // Concurrency 1: no room to run here, so the job would go to the queue; concurrency 3: it would run here.
      for (const concurrency of [1, 3]) {
        const queue = instance({ concurrency });
        const recorder = new Recorder({ ms: 10 });
        startOn(queue, recorder);
        const user = `o_user_${concurrency}`;
        // BullMQ numbers every job it adds (INCR on this key): a value that is not a number makes its add script fail.
        await redis.set(`${prefix}answers:id`, 'not a number');
        const lost = answerJob(user, 'unrecorded');
        await assert.rejects(queue.add(lost), /not an integer/);
        assert.equal(await redis.zcard(`${prefix}answers:order:user:${user}`), 0, 'the job was left in its user\'s order');
        await redis.del(`${prefix}answers:id`);
        const next = answerJob(user, 'next');
        const addedAt = Date.now();
        await queue.add(next);
        await recorder.untilEnded([next]);
        assert.ok(Date.now() - addedAt < 1_000, `the next job waited ${Date.now() - addedAt} ms`);
        assert.equal(recorder.started(lost).length, 0);
        await queue.stop(Date.now());
      }
    });
  });

  void it('one limit for jobs received and fetched: beyond it (and always for one slot) jobs go to the queue', async (t) => {
    await withInstances(t, async (instance, prefix, redis) => {
      const queue = instance({ concurrency: 3 });
      const recorder = new Recorder({ ms: 400 });
      startOn(queue, recorder);
      const jobs = Array.from({ length: 5 }, (_, index) => answerJob(`o_user_${index}`, `job${index}`));
      for (const job of jobs) await queue.add(job);
      const names = await Promise.all(jobs.map((job) => redis.hget(`${prefix}answers:${answerJobId(job.messageKey)}`, 'name')));
      assert.deepEqual(names, ['answer-here', 'answer-here', 'answer', 'answer', 'answer']);
      await recorder.untilEnded(jobs, 10_000);
      assert.equal(recorder.maxActive, 3);
    });
  });

  void it('a job whose receiving instance is killed (SIGKILL) is taken over once its record comes due, resumed, before its user\'s next job', async (t) => {
    await withInstances(t, async (instance, prefix) => {
      const lockDurationMs = 1_500;
      const stalledIntervalMs = 500;
      const orphan = answerJob('o_user', 'orphan');
      const next = answerJob('o_user', 'next');
      const child = spawnNode(['--import', 'tsx', path.join(REPO_ROOT, 'test/jobs/answer-queue-child.ts')], REPO_ROOT, childEnv({
        TEST_QUEUE_REDIS_URL: TEST_REDIS_URL,
        TEST_QUEUE_PREFIX: prefix,
        TEST_QUEUE_LOCK_MS: String(lockDurationMs),
        TEST_QUEUE_STALLED_MS: String(stalledIntervalMs),
        TEST_QUEUE_RECEIVE: JSON.stringify(orphan),
      }));
      try {
        await child.waitFor(/^started .*\|orphan$/m);
        const survivor = instance({ lockDurationMs, stalledIntervalMs });
        const recorder = new Recorder({ ms: 10 });
        const resumed = startNotingResumed(survivor, recorder);
        await survivor.add(next);
        child.child.kill('SIGKILL');
        await child.exited;
        const killedAt = performance.now();
        await recorder.untilEnded([orphan, next], 10_000);
        const takenOverAfter = recorder.started(orphan)[0]!.startedAt - killedAt;
        assert.ok(takenOverAfter <= lockDurationMs + 1_000, `taken over after ${takenOverAfter} ms`);
        assert.ok(recorder.started(orphan)[0]!.endedAt! <= recorder.started(next)[0]!.startedAt, 'the next job overtook the orphan');
        assert.deepEqual([resumed.get(orphan.messageKey), resumed.get(next.messageKey)], [true, false]);
        assert.equal(recorder.runs.length, 2);
        assert.equal((await survivor.stats()).stalled, 1);
      } finally {
        if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
      }
    });
  });

  void it('stop() hands a job run where it was received back to the queue: another instance resumes it at once, no takeover counted', async (t) => {
    await withInstances(t, async (instance) => {
      const leaving = instance({ concurrency: 2 });
      const staying = instance({ concurrency: 2 });
      const leavingRecorder = new Recorder('until-aborted');
      const ranOnLeaving = startOn(leaving, leavingRecorder);
      const job = answerJob('o_user', 'handed-back');
      await leaving.add(job);
      await leavingRecorder.untilStarted(job);
      assert.deepEqual([...ranOnLeaving], [job.messageKey]);
      const report = await leaving.stop(Date.now() + 300);
      assert.deepEqual(report, { finished: 0, unfinished: [job.messageKey], handedBack: true });
      assert.match(String((leavingRecorder.started(job)[0]!.abortReason as Error).message), /^shutdown/);
      const recorder = new Recorder({ ms: 10 });
      const startedAt = performance.now();
      const resumed = startNotingResumed(staying, recorder);
      await recorder.untilEnded([job], 5_000);
      // Far sooner than a takeover (the default takeover time is 10 s): the job was handed to the queue.
      assert.ok(recorder.started(job)[0]!.startedAt - startedAt < 1_500);
      assert.equal(resumed.get(job.messageKey), true);
      assert.equal((await staying.stats()).stalled, 0);
    });
  });

  void it('a job that fails where it was received is kept as failed with its error, and not run again', async (t) => {
    await withInstances(t, async (instance, prefix, redis) => {
      const queue = instance({ concurrency: 3 });
      const recorder = new Recorder();
      startOn(queue, recorder);
      // (That its user's next job still runs, after it, is the contract's test; there too the job runs here.)
      const failing = recorder.behave(answerJob('o_user', 'fails'), { ms: 20, reject: true });
      await queue.add(failing);
      await recorder.untilEnded([failing]);
      const stats = await eventually(() => queue.stats(), (value) => value.failed === 1 && value.active === 0);
      assert.equal(stats.failed, 1);
      const jobId = answerJobId(failing.messageKey);
      assert.deepEqual(await redis.zrange(`${prefix}answers:failed`, '0', '-1'), [jobId]);
      assert.match((await redis.hget(`${prefix}answers:${jobId}`, 'failedReason')) ?? '', /failed on the instance that received it: the processor failed on/);
      await sleep(300);
      assert.equal(recorder.started(failing).length, 1);
      assert.equal(stats.stalled, 0);
    });
  });
});

void describe('BullAnswerQueue without Redis', () => {
  void it('add() and stats() reject within a second or two; close() completes; the password is never logged', async () => {
    const lines: string[] = [];
    const capture = pino({ level: 'trace' }, { write: (line: string) => lines.push(line) });
    const queue = new BullAnswerQueue({ redisUrl: 'redis://:s3cret-password@127.0.0.1:1', prefix: 'wxtest:down:', concurrency: 1, log: capture });
    try {
      const startedAt = performance.now();
      await assert.rejects(queue.add(answerJob('o_user', 'nowhere')));
      await assert.rejects(queue.stats());
      assert.ok(performance.now() - startedAt < 5_000);
      const outcome = await answerQueueCheck(queue).check();
      assert.equal(outcome.status, 'error');
      assert.match(outcome.detail ?? '', /^cannot read the answer queue: /);
    } finally {
      queue.start(async () => {});
      assert.deepEqual(await queue.stop(Date.now() + 100), { finished: 0, unfinished: [], handedBack: true });
      await queue.close();
    }
    assert.ok(lines.length > 0, 'the connection errors were not logged');
    assert.ok(lines.every((line) => !line.includes('s3cret-password')), 'the password was logged');
  });

  void it('refuses a concurrency that is not a positive integer', () => {
    assert.throws(() => new BullAnswerQueue({ redisUrl: TEST_REDIS_URL, prefix: 'wxtest:x:', concurrency: 0, log }), RangeError);
  });
});
