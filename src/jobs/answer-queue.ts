/**
 * The queue of AI answers to produce and deliver. An accepted message that needs the AI becomes an `AnswerJob`
 * before the model is called; a worker runs it — produces the answer and delivers it (delivery/delivery-policy.ts).
 *
 * Implementations:
 * - `MemoryAnswerQueue` (no `REDIS_URL`): jobs run in this process; a shutdown lets the running ones finish
 *   until its deadline and abandons the rest (they are logged).
 * - `BullAnswerQueue` (`REDIS_URL`): jobs live in Redis (BullMQ, queue names under `REDIS_PREFIX`), every
 *   instance runs workers; a job whose instance dies is taken over by another (or the same after a restart)
 *   once its lock expires; a shutdown hands the unfinished jobs back to the queue.
 *
 * Both keep one user's jobs in order: a user's job starts only after that user's earlier jobs have finished,
 * wherever they run. Both pass test/jobs/answer-queue.contract.ts.
 */
import type { AnswerJob } from './answer-job.js';

/**
 * Runs one job: resolves when its answer is delivered (or handed over for pickup). `signal` aborts on shutdown.
 * `run.resumed` is false only when this is certainly the job's first run (nothing of it can have been done yet);
 * true or absent, the processor looks for what an earlier run did.
 */
export type AnswerJobProcessor = (job: AnswerJob, signal: AbortSignal, run?: { resumed: boolean }) => Promise<void>;

export interface AnswerQueueStats {
  /** Jobs waiting for a worker (ready to run, or waiting behind an earlier job of the same user). */
  waiting: number;
  /** Jobs running now (on any instance). */
  active: number;
  /** Jobs taken over after their instance stopped renewing their lock (since this instance started; Redis only). */
  stalled: number;
  /** Failed jobs kept for inspection. */
  failed: number;
  /** Age in ms of the oldest waiting job (0 when none waits). */
  oldestWaitingMs: number;
}

export interface ShutdownReport {
  /** Jobs of this instance that finished while the shutdown waited. */
  finished: number;
  /** messageKeys of the jobs still running at the deadline: handed back to the queue (Redis) or abandoned (memory). */
  unfinished: string[];
  /** True when the unfinished jobs were handed back to the queue (another instance, or this one restarted, runs them). */
  handedBack: boolean;
}

export interface AnswerQueue {
  /**
   * Adds a job. A second add with the same `messageKey` while the first is still queued, running or recently
   * finished is ignored (so a retried delivery never produces a second answer). Rejects when the queue cannot
   * take it (Redis down): the caller then answers with the error message.
   */
  add(job: AnswerJob): Promise<void>;
  /** Starts running jobs with `processor`, at most `concurrency` at once on this instance. */
  start(processor: AnswerJobProcessor): void;
  stats(): Promise<AnswerQueueStats>;
  /**
   * Shutdown: takes no new jobs, lets the running ones finish until `deadline` (a `Date.now()` time), then aborts
   * the rest (their `signal`) and hands them back (Redis) or abandons them (memory). Never rejects.
   */
  stop(deadline: number): Promise<ShutdownReport>;
  /** Closes connections it owns (after `stop`, or without having started). */
  close(): Promise<void>;
}
