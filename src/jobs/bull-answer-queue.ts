/**
 * The answer queue on Redis (see answer-queue.ts), on BullMQ: jobs live in Redis under `REDIS_PREFIX` (BullMQ
 * prefix = the prefix without its last ':', queue `answers`), and every instance runs a worker.
 *
 * - Where a job runs: on the instance that received its message when it has room (`add` starts it at once: no
 *   trip through the queue before the model is called). Its BullMQ job is then only its durable record, named
 *   `answer-here` and delayed by the takeover time; the run pushes the delay on while it lives and removes the record
 *   when it is done. Without room (or before `start`), the job waits in the queue for any instance's worker.
 *   One limit covers both: an instance runs at most `concurrency` jobs, received or fetched (its worker fetches
 *   only what its own runs leave, and always keeps one slot).
 * - Deduplication: a job's id is derived from its messageKey, so adding it again is a no-op while it waits, runs,
 *   or for 5 minutes after it completed (completed jobs are kept that long; a job run where it was received leaves
 *   a mark as long). Failed jobs are kept a day (at most 1000) for inspection, wherever they ran.
 * - Takeover: a worker holds a lock on each job it fetched and renews it; a job whose instance died loses its lock
 *   after `lockDurationMs`, and the next stalled check (every `stalledIntervalMs`, on any instance) puts it back
 *   in the queue for any worker. The record of a job run where it was received comes due `lockDurationMs` after
 *   its run last pushed it on, and any worker takes it. A job taken over more than twice fails.
 * - Per-user order across instances: redis-user-order.ts. A job with earlier jobs of its user still unfinished
 *   waits: where it was received, until one of them finishes here (or a moment, when they run elsewhere); in the
 *   queue, put back as delayed for a moment (longer the further back it is) and checked again when it comes round.
 * - Shutdown (`stop`): nothing new starts here; running jobs may finish until the deadline; then their signals
 *   abort and they are handed back to the queue for another instance (or this one, restarted). `close` without
 *   `stop` abandons the running jobs to the takeover, as a crash would.
 *
 * One attempt per job: a processor that rejects may have reached the user in part, so the job is not repeated.
 * The Redis URL (it may hold a password) is never logged.
 */
import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, Queue, WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RedisScript } from '../redis/redis-script.js';
import type { AnswerJob } from './answer-job.js';
import type { AnswerJobProcessor, AnswerQueue, AnswerQueueStats, ShutdownReport } from './answer-queue.js';
import { RedisUserOrder } from './redis-user-order.js';
import { settledBefore } from './settled-before.js';

export const ANSWER_QUEUE_NAME = 'answers';
/** A job waiting in the queue for any instance's worker. */
const JOB_NAME = 'answer';
/** The record of a job run by the instance that received its message (delayed while that run lives). */
const HERE_JOB_NAME = 'answer-here';
type JobName = typeof JOB_NAME | typeof HERE_JOB_NAME;
/** Completed jobs are kept this long, so a late repeated add still finds its job and is ignored. */
const COMPLETED_KEPT_SECONDS = 5 * 60;
const FAILED_KEPT_SECONDS = 24 * 60 * 60;
const FAILED_KEPT_COUNT = 1000;
const MAX_STALLED_COUNT = 2;
/** A job behind its user's head is checked again after this, times its place in line (at most 10). */
const ORDER_RECHECK_MS = 100;
/** How often a job run where it was received pushes its record's due time on (a third of the takeover time). */
const RENEWALS_PER_TAKEOVER = 3;
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

/**
 * The job as its BullMQ record holds it. A run where the job was received that ended without finishing it says so
 * before the record goes to the queue: the worker then fails it for inspection (`failed`) or runs the rest without
 * counting a takeover (`handed-back`).
 */
interface QueuedAnswer extends AnswerJob {
  endedHere?: { outcome: 'handed-back' } | { outcome: 'failed'; error: string };
}

/**
 * Counts and the oldest waiting job's add time, in one round trip: KEYS wait, prioritized, delayed, active, failed;
 * ARGV job hash prefix, scan limit, the name of the records of jobs running where they were received (delayed, yet
 * running: counted as active).
 */
const STATS_SCRIPT = `
local oldest = 0
local function consider(id)
  local added = tonumber(redis.call('HGET', ARGV[1] .. id, 'timestamp'))
  if added and (oldest == 0 or added < oldest) then oldest = added end
end
local limit = tonumber(ARGV[2])
for _, id in ipairs(redis.call('LRANGE', KEYS[1], -limit, -1)) do consider(id) end
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, limit - 1)) do consider(id) end
local waiting = redis.call('LLEN', KEYS[1]) + redis.call('ZCARD', KEYS[2])
local runningHere = 0
local delayed = redis.call('ZRANGE', KEYS[3], 0, limit - 1)
for _, id in ipairs(delayed) do
  if redis.call('HGET', ARGV[1] .. id, 'name') == ARGV[3] then runningHere = runningHere + 1
  else waiting = waiting + 1; consider(id) end
end
waiting = waiting + redis.call('ZCARD', KEYS[3]) - #delayed
return { waiting, redis.call('LLEN', KEYS[4]) + runningHere, redis.call('ZCARD', KEYS[5]), oldest }
`;
const STATS = new RedisScript(STATS_SCRIPT);

/** BullMQ forbids ':' and plain integers in custom ids; a hash of the messageKey has neither and is fixed-size. */
export function answerJobId(messageKey: string): string {
  return `answer-${createHash('sha1').update(messageKey).digest('hex')}`;
}

export class BullAnswerQueue implements AnswerQueue {
  readonly #options: BullAnswerQueueOptions;
  readonly #log: Logger;
  /** BullMQ's prefix: `REDIS_PREFIX` without its last ':' (BullMQ adds it back). */
  readonly #bullPrefix: string;
  /** How long a job's lock (fetched) or record (run where received) lasts without renewal: bounds the takeover. */
  readonly #takeoverMs: number;
  /** Producer side and this module's own commands; fails fast while Redis is down (`add` rejects). */
  readonly #redis: Redis;
  readonly #queue: Queue<QueuedAnswer, void, JobName>;
  readonly #order: RedisUserOrder;
  /** Every job running on this instance, received or fetched, by job id. */
  readonly #running = new Map<string, RunningJob>();
  /** The runs of jobs received here (settle when the run and its bookkeeping are over; never reject). */
  readonly #runsHere = new Set<Promise<void>>();
  /** Slots taken by jobs received here (reserved before their record is added). */
  #slotsHere = 0;
  /** Jobs the worker fetched that are still in `#process`. */
  #fetched = 0;
  /** Emits a user's openid when one of that user's jobs finished on this instance: a job of theirs waiting here checks its turn at once. */
  readonly #userFinished = new EventEmitter().setMaxListeners(0);
  #worker: Worker<QueuedAnswer, void, JobName> | undefined;
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
    this.#takeoverMs = options.lockDurationMs ?? 10_000;
    this.#redis = new Redis(options.redisUrl, {
      maxRetriesPerRequest: 2,
      connectTimeout: 5_000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    });
    this.#redis.on('error', (error: Error) => this.#log.error({ err: error }, 'answer queue: redis connection error'));
    this.#queue = new Queue<QueuedAnswer, void, JobName>(ANSWER_QUEUE_NAME, {
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
    const ahead = await this.#order.enqueue(job.message.fromUserName, jobId, job.arrivedAt);
    if (ahead === undefined) return;
    if (!this.#reserveSlotHere()) {
      await this.#record(JOB_NAME, job, jobId);
      return;
    }
    let record: Job<QueuedAnswer, void, JobName>;
    try {
      record = await this.#record(HERE_JOB_NAME, job, jobId, this.#takeoverMs);
    } catch (error) {
      this.#releaseSlotHere();
      throw error;
    }
    const run = this.#runHere(record, ahead);
    this.#runsHere.add(run);
    void run.finally(() => this.#runsHere.delete(run));
  }

  /**
   * Adds the job's BullMQ record. When that fails the message is not a job after all (the caller answers with the
   * error message): it leaves its user's order at once, so that the user's next job does not wait for it.
   */
  async #record(name: JobName, job: AnswerJob, jobId: string, delay?: number): Promise<Job<QueuedAnswer, void, JobName>> {
    try {
      return await this.#queue.add(name, job, { jobId, ...(delay === undefined ? {} : { delay }) });
    } catch (error) {
      await this.#finishOrder(job.message.fromUserName, jobId, job.messageKey);
      throw error;
    }
  }

  start(processor: AnswerJobProcessor): void {
    if (this.#processor !== undefined) throw new Error('the answer queue is already started');
    if (this.#stopping) throw new Error('the answer queue is stopped');
    this.#processor = processor;
    const worker = new Worker<QueuedAnswer, void, JobName>(ANSWER_QUEUE_NAME, (job, token) => this.#process(job, token), {
      // Its own connections (BullMQ makes a blocking one beside it); a worker must retry commands forever.
      connection: { url: this.#options.redisUrl, maxRetriesPerRequest: null },
      prefix: this.#bullPrefix,
      concurrency: this.#options.concurrency,
      lockDuration: this.#takeoverMs,
      stalledInterval: this.#options.stalledIntervalMs ?? 5_000,
      maxStalledCount: MAX_STALLED_COUNT,
    });
    worker.on('error', (error: Error) => this.#log.error({ err: error }, 'answer queue worker error'));
    worker.on('stalled', (jobId: string) => {
      this.#stalled += 1;
      this.#log.warn({ jobId }, 'answer job taken over: its worker stopped renewing its lock');
    });
    worker.on('failed', (job: Job<QueuedAnswer> | undefined, error: Error) => {
      this.#log.error({ messageKey: job?.data.messageKey, answerId: job?.data.answerId, err: error }, 'answer job failed');
    });
    worker.on('lockRenewalFailed', (jobIds: string[]) => {
      for (const jobId of jobIds) this.#abort(jobId, 'lock-lost');
    });
    this.#worker = worker;
  }

  async stats(): Promise<AnswerQueueStats> {
    const keys = this.#queue.keys;
    const args = [this.#queue.toKey(''), String(OLDEST_SCAN_LIMIT), HERE_JOB_NAME];
    const keyList = [keys.wait!, keys.prioritized!, keys.delayed!, keys.active!, keys.failed!];
    const result = await STATS.run(this.#redis, keyList, args);
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

  /**
   * Takes a slot for a job received here, when the instance has one free: the worker's share shrinks by one (it
   * always keeps one, so that jobs in the queue never wait for this instance's own). False before `start`, while
   * stopping, or when full: the job then goes to the queue.
   */
  #reserveSlotHere(): boolean {
    const { concurrency } = this.#options;
    if (this.#processor === undefined || this.#worker === undefined || this.#stopping) return false;
    if (this.#slotsHere + 1 >= concurrency || this.#slotsHere + this.#fetched >= concurrency) return false;
    this.#slotsHere += 1;
    this.#worker.concurrency = concurrency - this.#slotsHere;
    return true;
  }

  #releaseSlotHere(): void {
    this.#slotsHere -= 1;
    if (this.#worker !== undefined) this.#worker.concurrency = this.#options.concurrency - this.#slotsHere;
  }

  /**
   * Runs a job where it was received, its record delayed in the queue meanwhile (see the header): waits for its
   * user's earlier jobs, runs the processor, then removes the record (done), hands it to the queue (stopped by a
   * shutdown), or has the queue keep it as failed. Never rejects.
   */
  async #runHere(record: Job<QueuedAnswer, void, JobName>, ahead: number): Promise<void> {
    const jobId = record.id!;
    const answerJob = record.data;
    const user = answerJob.message.fromUserName;
    const running: RunningJob = { messageKey: answerJob.messageKey, controller: new AbortController() };
    this.#running.set(jobId, running);
    const renewal = setInterval(() => void this.#pushOn(record), this.#takeoverMs / RENEWALS_PER_TAKEOVER);
    let outcome: 'done' | 'stopped' | 'failed';
    let failure: unknown;
    try {
      if (ahead > 0) await this.#waitForTurn(user, jobId, ahead, running.controller.signal);
      outcome = await this.#run(answerJob, running, false);
    } catch (error) {
      outcome = 'failed';
      failure = error;
    } finally {
      clearInterval(renewal);
      this.#running.delete(jobId);
      this.#releaseSlotHere();
    }
    if (outcome === 'done') {
      await Promise.all([
        this.#finishOrder(user, jobId, answerJob.messageKey, COMPLETED_KEPT_SECONDS * 1000),
        // Left behind, it comes due and a worker finds the job delivered (its checkpoint) and completes it.
        record.remove().catch((error: unknown) => this.#log.warn({ err: error, messageKey: answerJob.messageKey }, 'answer job: cannot remove its record')),
      ]);
      return;
    }
    if (outcome === 'failed') {
      const error = failure instanceof Error ? failure.message : String(failure);
      await this.#toQueue(record, { outcome: 'failed', error }, 'answer job failed; its record could not be marked failed (it is run again once it comes due)');
      return;
    }
    // Stopped: by a shutdown, handed to the queue at once; lock lost or queue closed: the record comes due by itself.
    if (running.cause === 'shutdown') await this.#toQueue(record, { outcome: 'handed-back' }, 'answer job: cannot hand it back; it is taken over once its record comes due');
  }

  /** Moves the record of a job run here to the queue at once, saying how the run ended. */
  async #toQueue(record: Job<QueuedAnswer, void, JobName>, endedHere: NonNullable<QueuedAnswer['endedHere']>, warning: string): Promise<void> {
    try {
      await record.updateData({ ...record.data, endedHere });
      await record.promote();
    } catch (error) {
      this.#log.warn({ err: error, messageKey: record.data.messageKey }, warning);
    }
  }

  /**
   * Pushes the due time of a running job's record on. When the record has come due (this instance stalled for the
   * whole takeover time), another worker may run it: this run is aborted.
   */
  async #pushOn(record: Job<QueuedAnswer, void, JobName>): Promise<void> {
    try {
      await record.changeDelay(this.#takeoverMs);
    } catch (error) {
      const state = await record.getState().catch(() => 'unknown');
      if (state === 'unknown' || state === 'delayed') this.#log.warn({ err: error, messageKey: record.data.messageKey }, 'answer job: cannot push its record on');
      else this.#abort(record.id!, 'lock-lost');
    }
  }

  /** Waits until none of the user's jobs is ahead of this one (or `signal` aborts). */
  async #waitForTurn(user: string, jobId: string, ahead: number, signal: AbortSignal): Promise<void> {
    let place = ahead;
    while (place > 0 && !signal.aborted) {
      const wake = new AbortController();
      const either = AbortSignal.any([signal, wake.signal]);
      // One of the user's jobs finishing here, a moment passing (the job ahead may run elsewhere), or a shutdown.
      await Promise.race([once(this.#userFinished, user, { signal: either }), sleep(Math.min(place, 10) * ORDER_RECHECK_MS, undefined, { signal: either })]).catch(() => {});
      wake.abort();
      if (signal.aborted) return;
      try {
        place = await this.#order.ahead(user, jobId);
      } catch (error) {
        this.#log.warn({ err: error, messageKey: this.#running.get(jobId)?.messageKey }, 'answer job: cannot read its user\'s order; checking again later');
      }
    }
  }

  /** Runs the processor until it settles ('done'; a rejection is thrown) or the job's signal aborts ('stopped'). */
  async #run(answerJob: AnswerJob, running: RunningJob, resumed: boolean): Promise<'done' | 'stopped'> {
    const processor = this.#processor!;
    const { signal } = running.controller;
    if (signal.aborted) return 'stopped';
    const stopped = new Promise<'stopped'>((resolve) => signal.addEventListener('abort', () => resolve('stopped'), { once: true }));
    const work = Promise.resolve().then(() => processor(answerJob, signal, { resumed }));
    const settled = work.then(
      () => 'done' as const,
      (error: unknown) => ({ error }),
    );
    const outcome = await Promise.race([settled, stopped]);
    if (outcome === 'stopped') return outcome;
    this.#finished += 1;
    if (outcome !== 'done') throw outcome.error;
    return outcome;
  }

  async #process(job: Job<QueuedAnswer, void, JobName>, token: string | undefined): Promise<void> {
    this.#fetched += 1;
    try {
      return await this.#processFetched(job, token);
    } finally {
      this.#fetched -= 1;
    }
  }

  /** A job the worker fetched from the queue. */
  async #processFetched(job: Job<QueuedAnswer, void, JobName>, token: string | undefined): Promise<void> {
    const jobId = job.id;
    if (this.#processor === undefined || jobId === undefined || token === undefined) throw new Error('answer job without processor, id or lock token');
    const { endedHere, ...answerJob } = job.data;
    const user = answerJob.message.fromUserName;
    // Fetched while the worker was closing: it never started here, so it goes straight back.
    if (this.#stopping) return this.#handBack(job, token);
    if (endedHere?.outcome === 'failed') {
      await this.#finishOrder(user, jobId, answerJob.messageKey);
      throw new Error(`failed on the instance that received it: ${endedHere.error}`);
    }
    // The record of a job run where it was received came due: that instance stopped renewing it.
    const takenOver = job.name === HERE_JOB_NAME && endedHere === undefined && job.attemptsStarted <= 1;
    if (takenOver) {
      this.#stalled += 1;
      this.#log.warn({ messageKey: answerJob.messageKey }, 'answer job taken over: the instance that received it stopped renewing its record');
    }

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
      // Every start of a job counts in attemptsStarted (a takeover, a hand-back, a wait behind the user's earlier
      // job); a job that ran where it was received may have done part of its work there.
      const resumed = job.name === HERE_JOB_NAME || job.attemptsStarted > 1 || job.stalledCounter > 0;
      outcome = await this.#run(answerJob, running, resumed);
    } catch (error) {
      await this.#finishOrder(user, jobId, answerJob.messageKey);
      throw error;
    } finally {
      this.#running.delete(jobId);
    }
    if (outcome === 'done') {
      await this.#finishOrder(user, jobId, answerJob.messageKey);
      return;
    }
    if (running.cause === 'shutdown') return this.#handBack(job, token);
    // Lock lost or queue closed: the job is not ours to finish. BullMQ leaves a job alone on WaitingError.
    throw new WaitingError();
  }

  /** Takes a finished job out of its user's order (`doneForMs`: its record is removed, see RedisUserOrder.finish). */
  async #finishOrder(user: string, jobId: string, messageKey: string, doneForMs?: number): Promise<void> {
    try {
      await this.#order.finish(user, jobId, doneForMs);
    } catch (error) {
      // The next check of the user's order drops the finished head itself.
      this.#log.warn({ err: error, messageKey }, 'answer job: cannot remove it from its user\'s order');
    }
    this.#userFinished.emit(user);
  }

  async #handBack(job: Job<QueuedAnswer, void, JobName>, token: string): Promise<never> {
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
    const everything = (): Promise<unknown>[] => [this.#workerClosed!, ...this.#runsHere];
    let unfinished: string[] = [];
    if (!(await settledBefore(everything(), deadline))) {
      unfinished = [...this.#running.values()].map((running) => running.messageKey);
      for (const jobId of [...this.#running.keys()]) this.#abort(jobId, 'shutdown');
      await settledBefore(everything(), Date.now() + HAND_BACK_GRACE_MS);
    }
    const finished = this.#finished - finishedBefore;
    return { finished, unfinished, handedBack: true };
  }

  async #closeAll(): Promise<void> {
    this.#stopping = true;
    const worker = this.#worker;
    for (const jobId of [...this.#running.keys()]) this.#abort(jobId, 'closed');
    if (worker !== undefined && this.#workerClosed === undefined) {
      this.#workerClosed = worker.close(true).catch((error: unknown) => this.#log.warn({ err: error }, 'answer queue: closing the worker failed'));
    }
    const closing = [...(this.#workerClosed ? [this.#workerClosed] : []), ...this.#runsHere];
    if (!(await settledBefore(closing, Date.now() + CLOSE_TIMEOUT_MS))) {
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
