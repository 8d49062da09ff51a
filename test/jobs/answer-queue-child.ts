// One "instance" of the Redis answer queue in its own process, for the takeover tests: it runs every job it gets
// until it is killed (it prints `started <messageKey>` when a job starts). Configured by environment variables:
// TEST_QUEUE_REDIS_URL, TEST_QUEUE_PREFIX, TEST_QUEUE_LOCK_MS, TEST_QUEUE_STALLED_MS, and TEST_QUEUE_RECEIVE (an
// AnswerJob as JSON, optional): a job this instance receives itself (added once it is ready) — it runs here.
import pino from 'pino';
import type { AnswerJob } from '../../src/jobs/answer-job.js';
import { BullAnswerQueue } from '../../src/jobs/bull-answer-queue.js';

const environment = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const queue = new BullAnswerQueue({
  redisUrl: environment('TEST_QUEUE_REDIS_URL'),
  prefix: environment('TEST_QUEUE_PREFIX'),
  concurrency: 2,
  log: pino({ level: 'silent' }),
  lockDurationMs: Number(environment('TEST_QUEUE_LOCK_MS')),
  stalledIntervalMs: Number(environment('TEST_QUEUE_STALLED_MS')),
});
queue.start(async (job) => {
  console.log(`started ${job.messageKey}`);
  await new Promise(() => {});
});
await queue.stats();
console.log('ready');
const received = process.env['TEST_QUEUE_RECEIVE'];
if (received !== undefined) await queue.add(JSON.parse(received) as AnswerJob);
