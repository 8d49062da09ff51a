/**
 * The answer queue on Redis (see answer-queue.ts), on BullMQ: jobs live in Redis under `REDIS_PREFIX` (BullMQ
 * prefix = the prefix without its last ':', queue `answers`), and every instance runs a worker.
 *
 * - Deduplication: a job's id is derived from its messageKey, so adding it again is a no-op while it waits, runs,
 *   or for 5 minutes after it completed (completed jobs are kept that long). Failed jobs are kept a day (at most
 *   1000) for inspection.
 * - Takeover: a worker holds a lock on each running job and renews it; a job whose instance died loses its lock
 *   after `lockDurationMs`, and the next stalled check (every `stalledIntervalMs`, on any instance) puts it back
 *   in the queue for any worker. A job taken over more than twice fails.
 * - Per-user order across instances: redis-user-order.ts. A job with earlier jobs of its user still unfinished is
 *   put back as delayed for a moment (longer the further back it is) and checked again when it comes round.
 * - Shutdown (`stop`): the worker stops fetching; running jobs may finish until the deadline; then their signals
 *   abort and they are moved back to the queue for another instance (or this one, restarted). `close` without
 *   `stop` abandons the running jobs to the takeover, as a crash would.
 *
 * One attempt per job: a processor that rejects may have reached the user in part, so the job is not repeated.
 * The Redis URL (it may hold a password) is never logged.
 */
import { createHash } from 'node:crypto';
import { DelayedError, Queue, WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AnswerJob } from './answer-job.js';
import type { AnswerJobProcessor, AnswerQueue, AnswerQueueStats, ShutdownReport } from './answer-queue.js';
import { RedisUserOrder } from './redis-user-order.js';
import { settledBefore } from './settled-before.js';

export const ANSWER_QUEUE_NAME = 'answers';
const JOB_NAME = 'answer';
/** Completed jobs are kept this long, so a late repeated add still finds its job and is ignored. */
const COMPLETED_KEPT_SECONDS = 5 * 60;
const FAILED_KEPT_SECONDS = 24 * 60 * 60;
const FAILED_KEPT_COUNT = 1000;
const MAX_STALLED_COUNT = 2;
/** A job behind its user's head is checked again after this, times its place in line (at most 10). */
const ORDER_RECHECK_MS = 100;
/** After the deadline, how long aborted jobs get to be moved back to the queue before `stop` returns anyway. */
const HAND_BACK_GRACE_MS = 2_000;
/** How long `close` waits for the worker's connections to end. */
const CLOSE_TIMEOUT_MS = 5_000;
/** How many waiting jobs (per list) `stats` reads to find the oldest. */
const OLDEST_SCAN_LIMIT = 1000;

export interface BullAnswerQueueOptions {
  /** `REDIS_URL`. Never logged. */
  redisUrl: string;
  /** `REDIS_PREFIX`, e.g. `wx:wxappid:`: every key of the queue lives under it. */
  prefix: string;
  /** Jobs this instance runs at once. */
  concurrency: number;
  log: Logger;
  /** How long a running job's lock lasts without renewal: bounds the takeover after a crash. Default 10 s. */
  lockDurationMs?: number;
  /** How often workers look for jobs whose lock expired. Default 5 s. */
  stalledIntervalMs?: number;
}

/** Why a running job's signal was aborted. */
type StopCause = 'shutdown' | 'lock-lost' | 'closed';

const STOP_MESSAGES: Record<StopCause, string> = {
  shutdown: 'shutdown: the answer job is handed back to the queue',
  'lock-lost': 'the answer job lost its lock: another worker takes it over',
  closed: 'the answer queue was closed: the job is left to be taken over',
};

interface RunningJob {
  messageKey: string;
  controller: AbortController;
  cause?: StopCause;
}

/** Counts and the oldest waiting job's add time, in one round trip: KEYS wait, prioritized, delayed, active, failed. */
const STATS_SCRIPT = `
local oldest = 0
local function consider(ids)
  for _, id in ipairs(ids) do
    local added = tonumber(redis.call('HGET', ARGV[1] .. id, 'timestamp'))
    if added and (oldest == 0 or added < oldest) then oldest = added end
  end
end
local limit = tonumber(ARGV[2])
consider(redis.call('LRANGE', KEYS[1], -limit, -1))
consider(redis.call('ZRANGE', KEYS[2], 0, limit - 1))
consider(redis.call('ZRANGE', KEYS[3], 0, limit - 1))
return { redis.call('LLEN', KEYS[1]) + redis.call('ZCARD', KEYS[2]) + redis.call('ZCARD', KEYS[3]),
  redis.call('LLEN', KEYS[4]), redis.call('ZCARD', KEYS[5]), oldest }
`;
const STATS_SHA = createHash('sha1').update(STATS_SCRIPT).digest('hex');

/** BullMQ forbids ':' and plain integers in custom ids; a hash of the messageKey has neither and is fixed-size. */
export function answerJobId(messageKey: string): string {
  return `answer-${createHash('sha1').update(messageKey).digest('hex')}`;
}

export class BullAnswerQueue implements AnswerQueue {
  readonly #options: BullAnswerQueueOptions;
  readonly #log: Logger;
  /** BullMQ's prefix: `REDIS_PREFIX` without its last ':' (BullMQ adds it back). */
  readonly #bullPrefix: string;
  /** Producer side and this module's own commands; fails fast while Redis is down (`add` rejects). */
  readonly #redis: Redis;
  readonly #queue: Queue<AnswerJob, void, typeof JOB_NAME>;
  readonly #order: RedisUserOrder;
  readonly #running = new Map<string, RunningJob>();
  #worker: Worker<AnswerJob, void, typeof JOB_NAME> | undefined;
  #processor: AnswerJobProcessor | undefined;
  #stopping = false;
  #stalled = 0;
  /** Jobs whose processor settled (resolved or rejected) on this instance. */
  #finished = 0;
  #workerClosed: Promise<void> | undefined;
  #report: Promise<ShutdownReport> | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: BullAnswerQueueOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new RangeError(`concurrency must be a positive integer, not ${options.concurrency}`);
    if (options.prefix === '') throw new RangeError('the answer queue needs a key prefix');
    this.#options = options;
    this.#log = options.log;
    this.#bullPrefix = options.prefix.endsWith(':') ? options.prefix.slice(0, -1) : options.prefix;
    this.#redis = new Redis(options.redisUrl, {
      maxRetriesPerRequest: 2,
      connectTimeout: 5_000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    });
    this.#redis.on('error', (error: Error) => this.#log.error({ err: error }, 'answer queue: redis connection error'));
    this.#queue = new Queue<AnswerJob, void, typeof JOB_NAME>(ANSWER_QUEUE_NAME, {
      connection: this.#redis,
      prefix: this.#bullPrefix,
      defaultJobOptions: {
        attempts: 1,
        removeOnComplete: { age: COMPLETED_KEPT_SECONDS },
        removeOnFail: { age: FAILED_KEPT_SECONDS, count: FAILED_KEPT_COUNT },
      },
    });
    this.#queue.on('error', (error: Error) => this.#log.error({ err: error }, 'answer queue error'));
    this.#order = new RedisUserOrder({
      redis: this.#redis,
      keyPrefix: `${this.#bullPrefix}:${ANSWER_QUEUE_NAME}:order:`,
      jobKeyPrefix: this.#queue.toKey(''),
    });
  }

  async add(job: AnswerJob): Promise<void> {
    if (this.#closed !== undefined) throw new Error('the answer queue is closed');
    const jobId = answerJobId(job.messageKey);
    if (!(await this.#order.enqueue(job.message.fromUserName, jobId, job.arrivedAt))) return;
    await this.#queue.add(JOB_NAME, job, { jobId });
  }

  start(processor: AnswerJobProcessor): void {
    if (this.#processor !== undefined) throw new Error('the answer queue is already started');
    if (this.#stopping) throw new Error('the answer queue is stopped');
    this.#processor = processor;
    const lockDuration = this.#options.lockDurationMs ?? 10_000;
    const worker = new Worker<AnswerJob, void, typeof JOB_NAME>(ANSWER_QUEUE_NAME, (job, token) => this.#process(job, token), {
      // Its own connections (BullMQ makes a blocking one beside it); a worker must retry commands forever.
      connection: { url: this.#options.redisUrl, maxRetriesPerRequest: null },
      prefix: this.#bullPrefix,
      concurrency: this.#options.concurrency,
      lockDuration,
      stalledInterval: this.#options.stalledIntervalMs ?? 5_000,
      maxStalledCount: MAX_STALLED_COUNT,
    });
    worker.on('error', (error: Error) => this.#log.error({ err: error }, 'answer queue worker error'));
    worker.on('stalled', (jobId: string) => {
      this.#stalled += 1;
      this.#log.warn({ jobId }, 'answer job taken over: its worker stopped renewing its lock');
    });
    worker.on('failed', (job: Job<AnswerJob> | undefined, error: Error) => {
      this.#log.error({ messageKey: job?.data.messageKey, answerId: job?.data.answerId, err: error }, 'answer job failed');
    });
    worker.on('lockRenewalFailed', (jobIds: string[]) => {
      for (const jobId of jobIds) this.#abort(jobId, 'lock-lost');
    });
    this.#worker = worker;
  }

  async stats(): Promise<AnswerQueueStats> {
    const keys = this.#queue.keys;
    const args = [this.#queue.toKey(''), String(OLDEST_SCAN_LIMIT)];
    const keyList = [keys.wait!, keys.prioritized!, keys.delayed!, keys.active!, keys.failed!];
    let result: unknown;
    try {
      result = await this.#redis.evalsha(STATS_SHA, keyList.length, ...keyList, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      result = await this.#redis.eval(STATS_SCRIPT, keyList.length, ...keyList, ...args);
    }
    const [waiting, active, failed, oldestAddedAt] = (result as number[]).map(Number);
    return {
      waiting: waiting ?? 0,
      active: active ?? 0,
      stalled: this.#stalled,
      failed: failed ?? 0,
      oldestWaitingMs: oldestAddedAt ? Math.max(0, Date.now() - oldestAddedAt) : 0,
    };
  }

  stop(deadline: number): Promise<ShutdownReport> {
    this.#report ??= this.#shutdown(deadline);
    return this.#report;
  }

  close(): Promise<void> {
    this.#closed ??= this.#closeAll();
    return this.#closed;
  }

  async #process(job: Job<AnswerJob, void, typeof JOB_NAME>, token: string | undefined): Promise<void> {
    const processor = this.#processor;
    const jobId = job.id;
    if (processor === undefined || jobId === undefined || token === undefined) throw new Error('answer job without processor, id or lock token');
    const answerJob = job.data;
    const user = answerJob.message.fromUserName;
    // Fetched while the worker was closing: it never started here, so it goes straight back.
    if (this.#stopping) return this.#handBack(job, token);

    let ahead: number;
    try {
      ahead = await this.#order.ahead(user, jobId);
    } catch (error) {
      this.#log.warn({ err: error, messageKey: answerJob.messageKey }, 'answer job: cannot read its user\'s order; checking again later');
      ahead = 1;
    }
    if (ahead > 0) {
      try {
        await job.moveToDelayed(Date.now() + Math.min(ahead, 10) * ORDER_RECHECK_MS, token);
      } catch (error) {
        // Left active without a lock renewal: the stalled check puts it back.
        this.#log.warn({ err: error, messageKey: answerJob.messageKey }, 'answer job: cannot put it back behind its user\'s earlier job');
      }
      throw new DelayedError();
    }

    const running: RunningJob = { messageKey: answerJob.messageKey, controller: new AbortController() };
    this.#running.set(jobId, running);
    let outcome: 'done' | 'stopped';
    try {
      const stopped = new Promise<'stopped'>((resolve) => running.controller.signal.addEventListener('abort', () => resolve('stopped'), { once: true }));
      // Every start of a job counts in attemptsStarted (a takeover, a hand-back, a wait behind the user's earlier job).
      const resumed = job.attemptsStarted > 1 || job.stalledCounter > 0;
      const work = Promise.resolve().then(() => processor(answerJob, running.controller.signal, { resumed }));
      outcome = await Promise.race([work.then(() => 'done' as const), stopped]);
    } catch (error) {
      this.#finished += 1;
      await this.#finishOrder(user, jobId, answerJob.messageKey);
      throw error;
    } finally {
      this.#running.delete(jobId);
    }
    if (outcome === 'done') {
      this.#finished += 1;
      await this.#finishOrder(user, jobId, answerJob.messageKey);
      return;
    }
    if (running.cause === 'shutdown') return this.#handBack(job, token);
    // Lock lost or queue closed: the job is not ours to finish. BullMQ leaves a job alone on WaitingError.
    throw new WaitingError();
  }

  async #finishOrder(user: string, jobId: string, messageKey: string): Promise<void> {
    try {
      await this.#order.finish(user, jobId);
    } catch (error) {
      // The next check of the user's order drops the finished head itself.
      this.#log.warn({ err: error, messageKey }, 'answer job: cannot remove it from its user\'s order');
    }
  }

  async #handBack(job: Job<AnswerJob, void, typeof JOB_NAME>, token: string): Promise<never> {
    try {
      await job.moveToWait(token);
    } catch (error) {
      this.#log.warn({ err: error, messageKey: job.data.messageKey }, 'answer job: cannot hand it back; it is taken over once its lock expires');
    }
    throw new WaitingError();
  }

  #abort(jobId: string, cause: StopCause): void {
    const running = this.#running.get(jobId);
    if (running === undefined || running.controller.signal.aborted) return;
    running.cause = cause;
    if (cause === 'lock-lost') this.#log.warn({ messageKey: running.messageKey }, STOP_MESSAGES[cause]);
    running.controller.abort(new Error(STOP_MESSAGES[cause]));
  }

  async #shutdown(deadline: number): Promise<ShutdownReport> {
    this.#stopping = true;
    const worker = this.#worker;
    if (worker === undefined) return { finished: 0, unfinished: [], handedBack: true };
    const finishedBefore = this.#finished;
    // Stops fetching, then waits for the running jobs (and keeps renewing their locks meanwhile).
    this.#workerClosed = worker.close().catch((error: unknown) => this.#log.warn({ err: error }, 'answer queue: closing the worker failed'));
    let unfinished: string[] = [];
    if (!(await settledBefore([this.#workerClosed], deadline))) {
      unfinished = [...this.#running.values()].map((running) => running.messageKey);
      for (const jobId of [...this.#running.keys()]) this.#abort(jobId, 'shutdown');
      await settledBefore([this.#workerClosed], Date.now() + HAND_BACK_GRACE_MS);
    }
    const finished = this.#finished - finishedBefore;
    return { finished, unfinished, handedBack: true };
  }

  async #closeAll(): Promise<void> {
    this.#stopping = true;
    const worker = this.#worker;
    if (worker !== undefined && this.#workerClosed === undefined) {
      for (const jobId of [...this.#running.keys()]) this.#abort(jobId, 'closed');
      this.#workerClosed = worker.close(true).catch((error: unknown) => this.#log.warn({ err: error }, 'answer queue: closing the worker failed'));
    }
    if (this.#workerClosed !== undefined && !(await settledBefore([this.#workerClosed], Date.now() + CLOSE_TIMEOUT_MS))) {
      this.#log.warn('answer queue: the worker did not close in time');
    }
    try {
      await this.#queue.close();
    } catch (error) {
      this.#log.warn({ err: error }, 'answer queue: closing the queue failed');
    }
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }
}
