/**
 * Turns one authentic delivery of a message into the passive reply for it, exactly once per message.
 *
 * WeChat delivers a message up to three times until it gets an answer. The first delivery claims the message's
 * dedup key and runs the router; a retry that arrives while that is still running waits for the same answer;
 * a retry after it finds the stored answer. Each delivery waits at most `passiveWindowMs`, so WeChat always
 * gets an answer within its 5 s — when the handler is slower, the delivery answers `success`-without-reply and a
 * later retry can still pick the finished answer up.
 *
 * When the dedup store and the handlers answer synchronously (memory store, echo), the whole delivery is
 * synchronous: `dispatch` returns the result itself rather than a promise. On the callback's hot path the ten or
 * so promises an all-async chain allocates per message measured as a noticeable share of the delivery; every
 * asynchronous step still works, at the cost of its promise.
 */
import type { Logger } from 'pino';
import { dedupKey } from '../wechat/message/dedup-key.js';
import type { InboundMessage } from '../wechat/message/types.js';
import { replyTo } from '../wechat/reply/reply-to.js';
import type { DedupClaim, DedupStore } from './dedup/dedup-store.js';
import { DeadlineQueue } from './deadline-queue.js';
import type { HandlerResult, Router } from './router.js';

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
  /** Answers WeChat's deliveries of messages that became jobs (AI); without it, handlers must answer with ready replies. */
  held?: HeldDelivery;
  /** Counts deliveries and answers and writes each message's log line; default: log lines only. */
  recorder?: DeliveryRecorder;
  now?: () => number;
}

import type { Reply } from '../wechat/reply/types.js';
import type { HeldDelivery } from '../delivery/held-delivery.js';
import { isQueuedAnswer, type QueuedAnswer, type DeliveryResult } from './delivery-result.js';
import { DeliveryRecorder } from './delivery-recorder.js';
import type { DeliveryNote, HandlerContext } from './router.js';

export type { DeliveryResult } from './delivery-result.js';

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> => value instanceof Promise;

export class MessageDispatcher {
  readonly #options: DispatcherOptions;
  readonly #now: () => number;
  readonly #window: DeadlineQueue;
  readonly #recorder: DeliveryRecorder;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#window = new DeadlineQueue(options.passiveWindowMs);
    this.#recorder = options.recorder ?? new DeliveryRecorder({ log: options.log });
  }

  /**
   * Never throws or rejects: an authentic message always gets an answer. When the dedup store itself fails
   * (Redis down), the user gets `EXTERNAL_SERVICE_ERROR_MSG` rather than WeChat an error status.
   */
  dispatch(message: InboundMessage): DeliveryResult | Promise<DeliveryResult> {
    const messageKey = dedupKey(this.#options.appId, message);
    try {
      const claim = this.#options.dedupStore.claim(messageKey, this.#options.claimLeaseMs);
      const delivery = isPromise(claim) ? claim.then((settled) => this.#deliver(message, messageKey, settled)) : this.#deliver(message, messageKey, claim);
      return isPromise(delivery) ? delivery.catch((error: unknown) => this.#storeFailed(error, message, messageKey)) : delivery;
    } catch (error) {
      return this.#storeFailed(error, message, messageKey);
    }
  }

  #deliver(message: InboundMessage, messageKey: string, claim: DedupClaim): DeliveryResult | Promise<DeliveryResult> {
    const recorder = this.#recorder;
    if (claim.state === 'done') {
      recorder.callback(message, 0, 'dedup_hit');
      return { replyXml: claim.reply, source: 'cached', messageKey };
    }
    const { held } = this.#options;
    if (claim.state === 'pending') {
      recorder.callback(message, claim.delivery, 'answered');
      if (held !== undefined) return held.retry(message, messageKey, claim.delivery);
      return this.#options.dedupStore.waitForReply(messageKey, this.#options.passiveWindowMs).then((replyXml) => {
        if (replyXml === undefined) return { replyXml: '', source: 'window-passed', messageKey };
        // The first delivery may have reached another instance: its arrival is known only as the message's CreateTime.
        if (replyXml !== '') recorder.answered(message, messageKey, 'passive_on_retry', this.#now() - message.createTime * 1000, replyXml);
        return { replyXml, source: 'waited', messageKey };
      });
    }
    recorder.callback(message, 1, 'answered');
    const arrivedAt = this.#now();
    const note: DeliveryNote = {};
    const outcome = this.#answer(message, messageKey, note);
    if (!isPromise(outcome)) return this.#settle(message, messageKey, outcome, arrivedAt, note);
    // A slow handler answers `success` when the window passes; a queued answer is handed over as soon as it is queued.
    return this.#window.within(outcome).then((settled) => this.#settle(message, messageKey, settled, arrivedAt, note));
  }

  /** The first delivery's result from what the router gave: a recorded reply, none in time, or a queued answer. */
  #settle(message: InboundMessage, messageKey: string, settled: string | QueuedAnswer | undefined, arrivedAt: number, note: DeliveryNote): DeliveryResult | Promise<DeliveryResult> {
    if (settled === undefined) {
      this.#recorder.answered(message, messageKey, 'no_reply', this.#now() - arrivedAt);
      return { replyXml: '', source: 'window-passed', messageKey };
    }
    if (typeof settled === 'string') {
      this.#recorder.answered(message, messageKey, settled === '' ? 'no_reply' : (note.route ?? 'passive'), this.#now() - arrivedAt, settled);
      return { replyXml: settled, source: 'handled', messageKey };
    }
    const { held } = this.#options;
    if (held !== undefined) return held.first(message, messageKey, arrivedAt);
    const failed = this.#record(messageKey, this.#handlerFailed(new Error('a handler queued an answer, but no held delivery is configured'), message, messageKey));
    return isPromise(failed) ? failed.then((replyXml) => ({ replyXml, source: 'failed', messageKey })) : { replyXml: failed, source: 'failed', messageKey };
  }

  /**
   * Runs the router; a ready reply is recorded (never throws or rejects); a queued answer is returned unrecorded (the
   * job's worker records it).
   */
  #answer(message: InboundMessage, messageKey: string, delivery: DeliveryNote): string | QueuedAnswer | Promise<string | QueuedAnswer> {
    const { router, log, appId } = this.#options;
    let result: HandlerResult | Promise<HandlerResult>;
    try {
      const context: HandlerContext = { message, appId, messageKey, log, delivery };
      result = router.handle(context);
    } catch (error) {
      return this.#record(messageKey, this.#handlerFailed(error, message, messageKey));
    }
    if (!isPromise(result)) return this.#recordResult(message, messageKey, result);
    return result.then(
      (reply) => this.#recordResult(message, messageKey, reply),
      (error: unknown) => this.#record(messageKey, this.#handlerFailed(error, message, messageKey)),
    );
  }

  /** A ready reply is recorded for retries; a queued answer goes on unrecorded (the job's worker records it). */
  #recordResult(message: InboundMessage, messageKey: string, reply: HandlerResult): string | QueuedAnswer | Promise<string> {
    return isQueuedAnswer(reply) ? reply : this.#record(messageKey, this.#replyXml(message, messageKey, reply));
  }

  #replyXml(message: InboundMessage, messageKey: string, reply: Reply | undefined): string {
    try {
      return reply === undefined ? '' : replyTo(message, reply, this.#now());
    } catch (error) {
      return this.#handlerFailed(error, message, messageKey);
    }
  }

  #handlerFailed(error: unknown, message: InboundMessage, messageKey: string): string {
    this.#options.log.error({ err: error, messageKey }, 'message handler failed; answering with EXTERNAL_SERVICE_ERROR_MSG');
    return this.#errorReply(message);
  }

  /** Stores the answer for retries; resolves to it either way (a store failure only costs retries the shared copy). */
  #record(messageKey: string, replyXml: string): string | Promise<string> {
    const { dedupStore, dedupTtlMs, log } = this.#options;
    const storeFailed = (error: unknown): string => {
      log.error({ err: error, messageKey }, 'could not record the answer in the dedup store');
      return replyXml;
    };
    try {
      const stored = dedupStore.complete(messageKey, replyXml, dedupTtlMs);
      return isPromise(stored) ? stored.then(() => replyXml, storeFailed) : replyXml;
    } catch (error) {
      return storeFailed(error);
    }
  }

  #storeFailed(error: unknown, message: InboundMessage, messageKey: string): DeliveryResult {
    this.#options.log.error({ err: error, messageKey }, 'dedup store failed; answering with EXTERNAL_SERVICE_ERROR_MSG');
    return { replyXml: this.#errorReply(message), source: 'failed', messageKey };
  }

  #errorReply(message: InboundMessage): string {
    const { errorMessage } = this.#options;
    return errorMessage ? replyTo(message, { type: 'text', content: errorMessage }, this.#now()) : '';
  }
}
