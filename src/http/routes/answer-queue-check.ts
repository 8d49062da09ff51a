import type { AnswerQueue } from '../../jobs/answer-queue.js';
import type { ReadinessCheck } from './health.js';

/**
 * `/readyz`'s answer-queue entry: how many AI jobs wait, run, were taken over after a crash or failed, and how long
 * the oldest has waited. Unreadable stats (Redis down) are `error`: the instance cannot accept AI work then.
 */
export function answerQueueCheck(queue: Pick<AnswerQueue, 'stats'>): ReadinessCheck {
  return {
    name: 'answer-queue',
    check: async () => {
      let stats;
      try {
        stats = await queue.stats();
      } catch (error) {
        return { status: 'error', detail: `cannot read the answer queue: ${error instanceof Error ? error.message : String(error)}` };
      }
      const oldestWaitingSeconds = Math.round(stats.oldestWaitingMs / 100) / 10;
      const detail = `waiting ${stats.waiting}, active ${stats.active}, stalled ${stats.stalled}, failed ${stats.failed}, oldest waiting ${oldestWaitingSeconds} s`;
      return { status: 'ok', detail };
    },
  };
}
