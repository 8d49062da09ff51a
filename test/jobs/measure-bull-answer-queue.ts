// Measures the Redis answer queue on this machine (not part of the test suite; no timing is asserted anywhere):
//   node --import tsx test/jobs/measure-bull-answer-queue.ts [jobs=1000] [concurrency=50]
// 1. add → processor start latency, jobs of distinct users added one at a time (the queue otherwise idle);
// 2. throughput: `jobs` adds issued at once, trivial processor, until the last one ran;
// 3. one user's consecutive jobs: from one job's end to the next one's start (the per-user order's hand-over).
import { Redis } from 'ioredis';
import pino from 'pino';
import type { AnswerJobProcessor } from '../../src/jobs/answer-queue.js';
import { BullAnswerQueue } from '../../src/jobs/bull-answer-queue.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { answerJob } from './answer-jobs.js';

const jobCount = Number(process.argv[2] ?? 1000);
const concurrency = Number(process.argv[3] ?? 50);
const log = pino({ level: 'warn' });

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const summary = (values: number[]): string => {
  const sorted = [...values].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(2)} ms, p90 ${percentile(sorted, 90).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms (n=${sorted.length})`;
};

async function withQueue(body: (queue: BullAnswerQueue, onStart: (listener: AnswerJobProcessor) => void) => Promise<void>): Promise<void> {
  const prefix = uniquePrefix('measure');
  const queue = new BullAnswerQueue({ redisUrl: TEST_REDIS_URL, prefix, concurrency, log });
  let listener: AnswerJobProcessor = async () => {};
  queue.start((job, signal) => listener(job, signal));
  try {
    await body(queue, (next) => {
      listener = next;
    });
  } finally {
    await queue.stop(Date.now() + 1_000);
    await queue.close();
    const redis = new Redis(TEST_REDIS_URL);
    await deleteKeys(redis, prefix);
    await redis.quit();
  }
}

await withQueue(async (queue, onStart) => {
  // Warm-up: connections, scripts.
  for (let index = 0; index < 50; index += 1) await queue.add(answerJob(`o_warm_${index}`, 'warm'));
  await new Promise((resolve) => setTimeout(resolve, 500));

  const addedAt = new Map<string, number>();
  const latencies: number[] = [];
  let done: () => void = () => {};
  const allStarted = new Promise<void>((resolve) => {
    done = resolve;
  });
  onStart(async (job) => {
    const added = addedAt.get(job.messageKey);
    if (added !== undefined) latencies.push(performance.now() - added);
    if (latencies.length === jobCount) done();
  });
  for (let index = 0; index < jobCount; index += 1) {
    const job = answerJob(`o_latency_${index}`, 'latency');
    addedAt.set(job.messageKey, performance.now());
    await queue.add(job);
  }
  await allStarted;
  console.log(`add → start, one add at a time, concurrency ${concurrency}: ${summary(latencies)}`);
});

await withQueue(async (queue, onStart) => {
  for (let index = 0; index < 50; index += 1) await queue.add(answerJob(`o_warm_${index}`, 'warm'));
  await new Promise((resolve) => setTimeout(resolve, 500));
  let processed = 0;
  let done: () => void = () => {};
  const allProcessed = new Promise<void>((resolve) => {
    done = resolve;
  });
  onStart(async (job) => {
    if (job.messageKey.endsWith('|throughput') && ++processed === jobCount) done();
  });
  const jobs = Array.from({ length: jobCount }, (_, index) => answerJob(`o_throughput_${index}`, 'throughput'));
  const startedAt = performance.now();
  await Promise.all(jobs.map((job) => queue.add(job)));
  const addedAfter = performance.now() - startedAt;
  await allProcessed;
  const elapsed = performance.now() - startedAt;
  console.log(`throughput, ${jobCount} adds at once, trivial processor, concurrency ${concurrency}: all added in ${addedAfter.toFixed(0)} ms, all processed in ${elapsed.toFixed(0)} ms → ${(jobCount / (elapsed / 1000)).toFixed(0)} jobs/s`);
});

await withQueue(async (queue, onStart) => {
  const handOvers: number[] = [];
  let lastEnd: number | undefined;
  const count = 30;
  let seen = 0;
  let done: () => void = () => {};
  const allRan = new Promise<void>((resolve) => {
    done = resolve;
  });
  onStart(async () => {
    if (lastEnd !== undefined) handOvers.push(performance.now() - lastEnd);
    await new Promise((resolve) => setTimeout(resolve, 20));
    lastEnd = performance.now();
    if (++seen === count) done();
  });
  for (let index = 0; index < count; index += 1) await queue.add(answerJob('o_one_user', `burst${index}`));
  await allRan;
  console.log(`one user's ${count} jobs (20 ms each): end → next start ${summary(handOvers)}`);
});
