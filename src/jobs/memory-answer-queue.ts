/**
 * The answer queue without Redis (see answer-queue.ts): jobs run in this process, at most `concurrency` at once and
 * first come, first served beyond that, one user's jobs one after the other. Nothing survives the process: a
 * shutdown lets the running jobs finish until its deadline, then aborts them and abandons them with the jobs that
 * never started (both logged and reported).
 */
import type { Logger } from 'pino';
import type { AnswerJob } from './answer-job.js';
import type { AnswerJobProcessor, AnswerQueue, AnswerQueueStats, ShutdownReport } from './answer-queue.js';
import { settledBefore } from './settled-before.js';

/**
 * How long a finished job's messageKey still makes a second add a no-op. WeChat's retries end within ~15 s of the
 * first delivery; the margin covers a late retry and matches the Redis queue's completed-job retention.
 */
export const FINISHED_DEDUP_MS = 5 * 60_000;
/** Failures kept for inspection (`failures()`); the `failed` stat counts every one since start. */
const KEPT_FAILURES = 100;

export interface AnswerJobFailure {
  messageKey: string;
  answerId: string;
  /** The processor's rejection, as a message. */
  error: string;
  /** When it failed (`Date.now()`). */
  at: number;
}

export interface MemoryAnswerQueueOptions {
  /** Jobs running at once; more wait in the order they were added. */
  concurrency: number;
  log: Logger;
}

interface WaitingJob {
  job: AnswerJob;
  addedAt: number;
}

interface RunningJob {
  job: AnswerJob;
  controller: AbortController;
  /** Settles (never rejects) when the processor has settled. */
  settled: Promise<void>;
}

export class MemoryAnswerQueue implements AnswerQueue {
  readonly #concurrency: number;
  readonly #log: Logger;
  readonly #waiting: WaitingJob[] = [];
  readonly #waitingKeys = new Set<string>();
  readonly #running = new Map<string, RunningJob>();
  readonly #busyUsers = new Set<string>();
  /** messageKey → when it finished; Map order is finish order, so the expired ones are at the front. */
  readonly #finishedAt = new Map<string, number>();
  readonly #failures: AnswerJobFailure[] = [];
  #failed = 0;
  #finished = 0;
  #processor: AnswerJobProcessor | undefined;
  #stopping = false;
  #report: Promise<ShutdownReport> | undefined;

  constructor(options: MemoryAnswerQueueOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new RangeError(`concurrency must be a positive integer, not ${options.concurrency}`);
    this.#concurrency = options.concurrency;
    this.#log = options.log;
  }

  async add(job: AnswerJob): Promise<void> {
    if (this.#stopping) throw new Error('the answer queue is shutting down');
    this.#forgetFinished(Date.now());
    const key = job.messageKey;
    if (this.#waitingKeys.has(key) || this.#running.has(key) || this.#finishedAt.has(key)) return;
    this.#waiting.push({ job, addedAt: Date.now() });
    this.#waitingKeys.add(key);
    this.#startJobs();
  }

  start(processor: AnswerJobProcessor): void {
    if (this.#processor !== undefined) throw new Error('the answer queue is already started');
    this.#processor = processor;
    this.#startJobs();
  }

  async stats(): Promise<AnswerQueueStats> {
    const oldest = this.#waiting[0];
    return {
      waiting: this.#waiting.length,
      active: this.#running.size,
      stalled: 0,
      failed: this.#failed,
      oldestWaitingMs: oldest === undefined ? 0 : Math.max(0, Date.now() - oldest.addedAt),
    };
  }

  /** The last failures (oldest first), for inspection. */
  failures(): readonly AnswerJobFailure[] {
    return [...this.#failures];
  }

  stop(deadline: number): Promise<ShutdownReport> {
    this.#report ??= this.#shutdown(deadline);
    return this.#report;
  }

  /** Nothing to close: the queue owns no connection. Running jobs are the shutdown's business (`stop`). */
  async close(): Promise<void> {}

  /** Starts waiting jobs while slots are free: the first waiting job of each user that has none running. */
  #startJobs(): void {
    const processor = this.#processor;
    if (processor === undefined || this.#stopping) return;
    let index = 0;
    while (index < this.#waiting.length && this.#running.size < this.#concurrency) {
      const entry = this.#waiting[index]!;
      // A user's waiting jobs are in add order, so skipping a busy user's jobs never lets a later one overtake.
      if (this.#busyUsers.has(entry.job.message.fromUserName)) {
        index += 1;
        continue;
      }
      this.#waiting.splice(index, 1);
      this.#waitingKeys.delete(entry.job.messageKey);
      this.#run(entry.job, processor);
    }
  }

  #run(job: AnswerJob, processor: AnswerJobProcessor): void {
    const user = job.message.fromUserName;
    const controller = new AbortController();
    this.#busyUsers.add(user);
    const settled = Promise.resolve()
      .then(() => processor(job, controller.signal, { resumed: false }))
      // A job stopped by the shutdown did not fail: the shutdown reports it (server.ts logs one line for all).
      .catch((error: unknown) => (controller.signal.aborted ? undefined : this.#recordFailure(job, error)))
      .finally(() => {
        this.#running.delete(job.messageKey);
        this.#busyUsers.delete(user);
        this.#finishedAt.set(job.messageKey, Date.now());
        this.#finished += 1;
        this.#startJobs();
      });
    this.#running.set(job.messageKey, { job, controller, settled });
  }

  #recordFailure(job: AnswerJob, error: unknown): void {
    this.#failed += 1;
    const message = error instanceof Error ? error.message : String(error);
    this.#failures.push({ messageKey: job.messageKey, answerId: job.answerId, error: message, at: Date.now() });
    if (this.#failures.length > KEPT_FAILURES) this.#failures.shift();
    this.#log.error({ messageKey: job.messageKey, answerId: job.answerId, err: error }, 'answer job failed');
  }

  #forgetFinished(now: number): void {
    for (const [key, finishedAt] of this.#finishedAt) {
      if (now - finishedAt < FINISHED_DEDUP_MS) break;
      this.#finishedAt.delete(key);
    }
  }

  async #shutdown(deadline: number): Promise<ShutdownReport> {
    this.#stopping = true;
    const finishedBefore = this.#finished;
    const neverStarted = this.#waiting.splice(0).map((entry) => entry.job.messageKey);
    this.#waitingKeys.clear();
    await settledBefore([...this.#running.values()].map((running) => running.settled), deadline);
    const finished = this.#finished - finishedBefore;
    const stillRunning = [...this.#running.values()];
    for (const running of stillRunning) running.controller.abort(new Error('shutdown: the answer job was abandoned'));
    const unfinished = [...stillRunning.map((running) => running.job.messageKey), ...neverStarted];
    return { finished, unfinished, handedBack: false };
  }
}
