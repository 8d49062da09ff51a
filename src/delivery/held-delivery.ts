/**
 * WeChat's deliveries of a message whose answer is a job (the receiving side of SPEC §4). The delivery does not
 * decide anything: it waits on the message's dedup key, where the job's worker — on this or another instance —
 * records what the delivery policy decided (delivery/delivery-policy.ts, the one owner of the passive window):
 * the passive reply when the answer was ready in time, `''` when it follows by customer-service messages (the
 * delivery answers `success`), or nothing while the answer is held for WeChat's retries.
 *
 * - first delivery: held — nothing is answered until the worker records a reply (sent if WeChat still waits);
 * - a retry: waits up to `passiveWindowMs` for the reply, else is held too;
 * - the last retry (WeChat's third delivery): when nothing is recorded yet, it records the placeholder naming
 *   `PICKUP_KEYWORD` itself (`completeIfPending`: atomic against the worker's answer) and marks the user's pickup as
 *   pending; the worker then leaves the answer for pickup.
 */
import type { Logger } from 'pino';
import type { DedupStore } from '../conversation/dedup/dedup-store.js';
import type { DeliveryResult } from '../conversation/delivery-result.js';
import type { DeliveryRecorder } from '../conversation/delivery-recorder.js';
import type { InboundMessage } from '../wechat/message/types.js';
import { replyTo } from '../wechat/reply/reply-to.js';
import type { PickupBox } from './pickup-box.js';

/** WeChat delivers a message at most this many times. */
export const LAST_DELIVERY = 3;

/** How long a held delivery may still send a late answer: WeChat itself gives up after 5 s. */
const HOLD_LIMIT_MS = 6_000;

export interface HeldDeliveryOptions {
  dedupStore: DedupStore;
  passiveWindowMs: number;
  dedupTtlMs: number;
  pickup: PickupBox;
  /** How long an answer may take (EXTERNAL_SERVICE_TIMEOUT): bounds the pickup's "still being prepared" state. */
  answerTimeoutMs: number;
  log: Logger;
  recorder: DeliveryRecorder;
  now?: () => number;
}

/** The placeholder the last delivery answers with while the answer is still being produced. */
export function placeholderText(keyword: string): string {
  return `正在为你准备回答，稍后回复「${keyword}」即可查看。`;
}

export class HeldDelivery {
  readonly #options: HeldDeliveryOptions;
  readonly #now: () => number;

  constructor(options: HeldDeliveryOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The first delivery of a message that became a job at `arrivedAt`: answered when the worker records a reply. */
  first(message: InboundMessage, messageKey: string, arrivedAt: number): DeliveryResult {
    return this.#held(messageKey, () => this.#options.recorder.answered(message, messageKey, 'passive', this.#now() - arrivedAt));
  }

  /** A retry (`delivery` ≥ 2) of a message whose answer is still pending, possibly on another instance. */
  async retry(message: InboundMessage, messageKey: string, delivery: number): Promise<DeliveryResult> {
    const { dedupStore, passiveWindowMs, dedupTtlMs, pickup, answerTimeoutMs, log, recorder } = this.#options;
    // The first delivery may have reached another instance: its arrival is known here only as the message's
    // CreateTime (WeChat's clock, in seconds).
    const sinceSent = (): number => this.#now() - message.createTime * 1000;
    const answeredOnRetry = (replyXml: string): DeliveryResult => {
      if (replyXml !== '') recorder.answered(message, messageKey, 'passive_on_retry', sinceSent(), replyXml);
      return { replyXml, source: 'waited', messageKey };
    };
    const reply = await dedupStore.waitForReply(messageKey, passiveWindowMs);
    if (reply !== undefined) return answeredOnRetry(reply);
    if (delivery < LAST_DELIVERY) return this.#held(messageKey, () => recorder.answered(message, messageKey, 'passive_on_retry', sinceSent()));
    const placeholder = replyTo(message, { type: 'text', content: placeholderText(pickup.keyword) }, this.#now());
    const outcome = await dedupStore.completeIfPending(messageKey, placeholder, dedupTtlMs);
    if (outcome.outcome === 'done') return answeredOnRetry(outcome.reply);
    await pickup.markPending(message.fromUserName, messageKey, answerTimeoutMs);
    log.info({ messageKey }, 'last delivery: answered with the pickup placeholder; the answer will be left for pickup');
    recorder.answered(message, messageKey, 'placeholder', sinceSent(), placeholder);
    return { replyXml: placeholder, source: 'placeholder', messageKey };
  }

  /** No answer now (WeChat retries unless a reply comes while it waits); `sent` is called when a late reply went out on this delivery. */
  #held(messageKey: string, sent: () => void): DeliveryResult {
    return { replyXml: '', source: 'held', messageKey, later: this.#options.dedupStore.waitForReply(messageKey, HOLD_LIMIT_MS), lateReplySent: sent };
  }
}
