/**
 * Runs one answer job on whichever instance took it: the model produces the answer (jobs/produce-answer.ts) while
 * the delivery policy follows it to the user (delivery/delivery-policy.ts). What the job has done is kept in its
 * checkpoint, so a run after a takeover or restart carries on: a finished answer is not asked of the model again,
 * the route chosen is followed, and an answer already delivered is not delivered twice.
 */
import type { Logger } from 'pino';
import type { DeliveryPolicy, DeliveryProgress } from '../delivery/delivery-policy.js';
import { LiveAnswer } from '../delivery/live-answer.js';
import { lazyChild } from '../logging/lazy-child.js';
import type { Metrics } from '../metrics/metrics.js';
import { storedAnswer, type AnswerCheckpoint, type AnswerCheckpoints } from './answer-checkpoint.js';
import type { AnswerJobProcessor } from './answer-queue.js';
import { isUserMessage, type AnswerProducer } from './produce-answer.js';

export interface AnswerWorkerOptions {
  produce: AnswerProducer;
  policy: DeliveryPolicy;
  checkpoints: AnswerCheckpoints;
  log: Logger;
  /** Counts the answers in flight. */
  metrics?: Metrics;
}

export function answerWorker(options: AnswerWorkerOptions): AnswerJobProcessor {
  const { produce, policy, checkpoints, metrics } = options;
  return async (job, signal, run) => {
    const { messageKey, message, answerId } = job;
    const log = lazyChild(options.log, { messageKey, answerId });
    // With several instances, the line that says which one runs the job (any worker may take it).
    log.info({ resumed: run?.resumed !== false }, 'answer job started');
    const progress = jobProgress(checkpoints, messageKey, run?.resumed === false ? {} : await checkpoints.load(messageKey));
    if (progress.current.delivered === true) return;
    if (!isUserMessage(message)) throw new Error(`a ${message.kind} message cannot be answered by the AI`);
    const answer = new LiveAnswer(answerId);
    metrics?.answersInFlight.inc();
    try {
      const saved = progress.current.answer;
      let producing: Promise<void> = Promise.resolve();
      if (saved !== undefined) {
        log.info({ outcome: saved.outcome }, 'the answer was finished by an earlier run of the job: delivering it without calling the model again');
        answer.append(saved.text);
        for (const media of saved.media) answer.addMedia(media);
        answer.finish(saved.outcome);
      } else {
        producing = produce(message, answer, log, signal).then(async () => {
          if (!signal.aborted && answer.finished !== undefined && progress.current.answer === undefined) await progress.save({ answer: storedAnswer(answer.finished) });
        });
      }
      await policy.deliver(job, answer, progress, signal);
      await producing;
      signal.throwIfAborted();
      await progress.save({ delivered: true });
    } finally {
      metrics?.answersInFlight.dec();
    }
  };
}

/**
 * The job's checkpoint as the policy sees it. The answer is saved on its own; the progress writes come one after
 * the other (each writes the whole progress), so a later one never lands before an earlier one.
 */
function jobProgress(checkpoints: AnswerCheckpoints, messageKey: string, initial: AnswerCheckpoint): DeliveryProgress {
  let current = initial;
  let writing: Promise<void> = Promise.resolve();
  return {
    get current() {
      return current;
    },
    async save(update) {
      current = { ...current, ...update };
      const { answer, ...progress } = update;
      const saves: Promise<void>[] = [];
      if (answer !== undefined) saves.push(checkpoints.saveAnswer(messageKey, answer));
      if (Object.keys(progress).length > 0) {
        const { answer: _answer, ...snapshot } = current;
        writing = writing.catch(() => {}).then(() => checkpoints.saveProgress(messageKey, snapshot));
        saves.push(writing);
      }
      await Promise.all(saves);
    },
  };
}
