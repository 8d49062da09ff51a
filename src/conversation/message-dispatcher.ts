/**
 * Turns one authentic delivery of a message into the passive reply for it, exactly once per message.
 *
 * WeChat delivers a message up to three times until it gets an answer. The first delivery claims the message's
 * dedup key and runs the router; a retry that arrives while that is still running waits for the same answer;
 * a retry after it finds the stored answer. Each delivery waits at most `passiveWindowMs`, so WeChat always
 * gets an answer within its 5 s — when the handler is slower, the delivery answers `success`-without-reply and a
 * later retry can still pick the finished answer up.
 */
import type { Logger } from 'pino';
import { dedupKey } from '../wechat/message/dedup-key.js';
import type { InboundMessage } from '../wechat/message/types.js';
import { replyTo } from '../wechat/reply/reply-to.js';
import type { DedupStore } from './dedup/dedup-store.js';
import { DeadlineQueue } from './deadline-queue.js';
import type { Router } from './router.js';

export interface DispatcherOptions {
  appId: string;
  router: Router;
  dedupStore: DedupStore;
  log: Logger;
  /** How long one delivery waits for the answer before answering without it. */
  passiveWindowMs: number;
  /** How long an answer is remembered for WeChat's retries. */
  dedupTtlMs: number;
  /** How long a claim may stay unanswered before another delivery may take the message over. */
  claimLeaseMs: number;
  /** Sent to the user when a handler fails (`EXTERNAL_SERVICE_ERROR_MSG`). */
  errorMessage: string;
  now?: () => number;
}

/** The outcome of one delivery. */
export interface DeliveryResult {
  /** The passive reply XML (plaintext), or '' for no reply (`success`). */
  replyXml: string;
  /** How the answer was found: computed now, waited for, taken from an earlier delivery, or none (failure). */
  source: 'handled' | 'waited' | 'cached' | 'window-passed' | 'failed';
  messageKey: string;
}

export class MessageDispatcher {
  readonly #options: DispatcherOptions;
  readonly #now: () => number;
  readonly #window: DeadlineQueue;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#window = new DeadlineQueue(options.passiveWindowMs);
  }

  /**
   * Never rejects: an authentic message always gets an answer. When the dedup store itself fails (Redis down),
   * the user gets `EXTERNAL_SERVICE_ERROR_MSG` rather than WeChat an error status.
   */
  async dispatch(message: InboundMessage): Promise<DeliveryResult> {
    const messageKey = dedupKey(this.#options.appId, message);
    try {
      return await this.#deliver(message, messageKey);
    } catch (error) {
      this.#options.log.error({ err: error, messageKey }, 'dedup store failed; answering with EXTERNAL_SERVICE_ERROR_MSG');
      return { replyXml: this.#errorReply(message), source: 'failed', messageKey };
    }
  }

  async #deliver(message: InboundMessage, messageKey: string): Promise<DeliveryResult> {
    const { dedupStore, passiveWindowMs, claimLeaseMs } = this.#options;
    const claim = await dedupStore.claim(messageKey, claimLeaseMs);
    if (claim.state === 'done') return { replyXml: claim.reply, source: 'cached', messageKey };
    if (claim.state === 'pending') {
      const replyXml = await dedupStore.waitForReply(messageKey, passiveWindowMs);
      return replyXml === undefined
        ? { replyXml: '', source: 'window-passed', messageKey }
        : { replyXml, source: 'waited', messageKey };
    }
    const answer = this.#answer(message, messageKey);
    const replyXml = await this.#window.within(answer);
    return replyXml === undefined
      ? { replyXml: '', source: 'window-passed', messageKey }
      : { replyXml, source: 'handled', messageKey };
  }

  /** Runs the router and records its answer; never rejects. */
  async #answer(message: InboundMessage, messageKey: string): Promise<string> {
    const { router, dedupStore, dedupTtlMs, log, appId } = this.#options;
    let replyXml: string;
    try {
      const reply = await router.handle({ message, appId, messageKey, log });
      replyXml = reply === undefined ? '' : replyTo(message, reply, this.#now());
    } catch (error) {
      log.error({ err: error, messageKey }, 'message handler failed; answering with EXTERNAL_SERVICE_ERROR_MSG');
      replyXml = this.#errorReply(message);
    }
    try {
      await dedupStore.complete(messageKey, replyXml, dedupTtlMs);
    } catch (error) {
      // The answer is still returned to this delivery; only retries lose the shared copy.
      log.error({ err: error, messageKey }, 'could not record the answer in the dedup store');
    }
    return replyXml;
  }

  #errorReply(message: InboundMessage): string {
    const { errorMessage } = this.#options;
    return errorMessage ? replyTo(message, { type: 'text', content: errorMessage }, this.#now()) : '';
  }
}
