/**
 * What a job has done so far, kept where every instance sees it (SharedState: Redis with REDIS_URL), so that a job
 * taken over after its instance died — or run again after a restart — carries on instead of starting over:
 * - the finished answer (text, outcome, media given by URL): no second model call once the first one finished;
 * - the delivery route the policy chose and the text a passive reply carried: the rest is not decided again;
 * - `delivered`: the answer reached the user (or the pickup box); a later run does nothing.
 * The customer-service messages already sent are in the ledger (delivery/state/customer-service-ledger.ts).
 */
import type { AnswerMedia, AnswerOutcome, FinishedAnswer } from '../delivery/live-answer.js';
import type { SharedState } from '../delivery/state/shared-state.js';

export type DeliveryRoute = 'passive' | 'customer-service' | 'hold';

export interface AnswerCheckpoint {
  answer?: { text: string; outcome: AnswerOutcome; media: AnswerMedia[] };
  route?: DeliveryRoute;
  /** The answer's text that the passive reply carried (a longer answer's first part). */
  passiveText?: string;
  /** How the rest of a longer passive answer goes on. */
  continued?: 'customer-service' | 'pickup';
  delivered?: boolean;
}

/** Kept well beyond an answer's life: EXTERNAL_SERVICE_TIMEOUT (600 s by default) plus delivery. */
const KEEP_MS = 2 * 60 * 60 * 1000;

/**
 * The finished answer and the delivery's progress are kept apart (two keys), so that saving the one never waits
 * for, or overwrites, the other: the model side saves the answer when it finishes while the delivery side records
 * its decisions.
 */
export class AnswerCheckpoints {
  readonly #state: SharedState;

  constructor(state: SharedState) {
    this.#state = state;
  }

  async load(messageKey: string): Promise<AnswerCheckpoint> {
    const [answer, progress] = await Promise.all([this.#state.get(answerKey(messageKey)), this.#state.get(progressKey(messageKey))]);
    return {
      ...(progress === undefined ? {} : (JSON.parse(progress) as Omit<AnswerCheckpoint, 'answer'>)),
      ...(answer === undefined ? {} : { answer: JSON.parse(answer) as NonNullable<AnswerCheckpoint['answer']> }),
    };
  }

  async saveAnswer(messageKey: string, answer: NonNullable<AnswerCheckpoint['answer']>): Promise<void> {
    await this.#state.set(answerKey(messageKey), JSON.stringify(answer), KEEP_MS);
  }

  /** The delivery's progress as a whole (route, passive text, delivered): its writes come one after the other. */
  async saveProgress(messageKey: string, progress: Omit<AnswerCheckpoint, 'answer'>): Promise<void> {
    await this.#state.set(progressKey(messageKey), JSON.stringify(progress), KEEP_MS);
  }
}

const answerKey = (messageKey: string): string => `job:${messageKey}:answer`;
const progressKey = (messageKey: string): string => `job:${messageKey}:progress`;

/** The finished answer as a checkpoint keeps it: media with bytes are left out (only a URL survives a restart). */
export function storedAnswer(finished: FinishedAnswer): NonNullable<AnswerCheckpoint['answer']> {
  return {
    text: finished.text,
    outcome: finished.outcome,
    media: finished.media.flatMap((media) => (media.url === undefined ? [] : [{ kind: media.kind, url: media.url, ...(media.mimeType ? { mimeType: media.mimeType } : {}) }])),
  };
}
