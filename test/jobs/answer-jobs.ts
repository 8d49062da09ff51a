// Answer jobs for the queue tests, and a processor that records what ran when: each job's start and end, how many
// ran at once, and how each job behaves (a duration, a rejection, or running until its signal aborts).
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnswerJob } from '../../src/jobs/answer-job.js';
import type { AnswerJobProcessor } from '../../src/jobs/answer-queue.js';

let sequence = 0;

/** A text message's job from `user`; `label` makes the messageKey readable in failures. */
export function answerJob(user: string, label: string): AnswerJob {
  sequence += 1;
  const msgId = String(7_300_000_000_000_000_000n + BigInt(sequence));
  return {
    messageKey: `wxtestapp|${msgId}|${label}`,
    message: { kind: 'text', toUserName: 'gh_test', fromUserName: user, createTime: 1_764_760_000, msgType: 'text', msgId, content: label, fields: {} },
    arrivedAt: Date.now(),
    answerId: `answer-${label}-${sequence}`,
  };
}

/** How a job behaves: run for `ms`, reject after `ms`, or run until its signal aborts. */
export type Behaviour = { ms: number; reject?: boolean } | 'until-aborted';

export interface Run {
  messageKey: string;
  user: string;
  startedAt: number;
  endedAt?: number;
  /** The signal's reason when it aborted. */
  abortReason?: unknown;
}

export class Recorder {
  readonly runs: Run[] = [];
  readonly #behaviours = new Map<string, Behaviour>();
  readonly #waiters = new Set<() => void>();
  #active = 0;
  maxActive = 0;

  constructor(readonly defaultBehaviour: Behaviour = { ms: 20 }) {}

  behave(job: AnswerJob, behaviour: Behaviour): AnswerJob {
    this.#behaviours.set(job.messageKey, behaviour);
    return job;
  }

  readonly processor: AnswerJobProcessor = async (job, signal) => {
    const run: Run = { messageKey: job.messageKey, user: job.message.fromUserName, startedAt: performance.now() };
    this.runs.push(run);
    this.#active += 1;
    this.maxActive = Math.max(this.maxActive, this.#active);
    this.#changed();
    const behaviour = this.#behaviours.get(job.messageKey) ?? this.defaultBehaviour;
    try {
      if (behaviour === 'until-aborted') {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        run.abortReason = signal.reason;
        throw signal.reason;
      }
      await sleep(behaviour.ms);
      if (behaviour.reject === true) throw new Error(`the processor failed on ${job.messageKey}`);
    } finally {
      if (signal.aborted) run.abortReason = signal.reason;
      run.endedAt = performance.now();
      this.#active -= 1;
      this.#changed();
    }
  };

  started(job: AnswerJob): Run[] {
    return this.runs.filter((run) => run.messageKey === job.messageKey);
  }

  /** Resolves once `condition` holds (checked on every start and end), rejects after `timeoutMs`. */
  async until(condition: () => boolean, timeoutMs = 10_000, what = 'the condition'): Promise<void> {
    if (condition()) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; runs: ${JSON.stringify(this.runs)}`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  untilStarted(job: AnswerJob, timeoutMs?: number): Promise<void> {
    return this.until(() => this.started(job).length > 0, timeoutMs, `${job.messageKey} to start`);
  }

  untilEnded(jobs: AnswerJob[], timeoutMs?: number): Promise<void> {
    const keys = jobs.map((job) => job.messageKey);
    return this.until(() => keys.every((key) => this.runs.some((run) => run.messageKey === key && run.endedAt !== undefined)), timeoutMs, `${keys.join(', ')} to end`);
  }

  #changed(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

/** Polls `read` until `accept` holds; returns the last value read. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await sleep(25);
  }
}
