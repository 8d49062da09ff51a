/**
 * Gets a live answer to the user within WeChat's rules (SPEC §4) — the `REPLY_MODE` policy:
 *
 * - ready within `PASSIVE_WINDOW_MS` of the delivery's arrival → a passive reply (a longer answer: its first part
 *   passively, the rest by customer-service messages when allowed, else left for pickup with a hint);
 * - else, when customer-service messages are allowed (`auto` learns it from the typing indicator, sent while the
 *   answer is still coming, *before* answering `success`): `success` now, the answer follows progressively;
 * - else (`passive`, or an account without permission): hold — no answer, so WeChat retries; a retry that finds
 *   the answer ready replies with it; the last retry (WeChat's third delivery) replies with a placeholder naming
 *   `PICKUP_KEYWORD` and the answer is left for pickup. The dedup store's `completeIfPending` decides atomically
 *   whether the answer or the placeholder won, across instances.
 *
 * It also knows which answers are in flight (from the first delivery until delivered or handed over), so that a
 * shutdown can let them finish (`drain`).
 */
import type { Logger } from 'pino';
import type { ReplyMode } from '../config/app-config.js';
import type { CustomerServiceChannel, CustomerServiceDelivery } from '../delivery/customer-service-delivery.js';
import type { CustomerServicePermission, Permission } from '../delivery/customer-service-permission.js';
import type { AnswerMedia, FinishedAnswer, LiveAnswer } from '../delivery/live-answer.js';
import { describeMedia, TEXT_MESSAGE_MAX_BYTES, type PickupBox } from '../delivery/pickup-box.js';
import { mediaForPickup } from '../delivery/media-for-pickup.js';
import { markdownToWeChatText } from '../delivery/text/markdown-to-text.js';
import { splitByUtf8Bytes } from '../delivery/text/split-by-bytes.js';
import { WeChatApiError } from '../wechat/api/wechat-api-error.js';
import type { InboundMessage } from '../wechat/message/types.js';
import { replyTo } from '../wechat/reply/reply-to.js';
import type { DedupStore } from './dedup/dedup-store.js';
import type { DeliveryResult } from './delivery-result.js';
import { DeliveryRecorder } from './delivery-recorder.js';

/** WeChat delivers a message at most this many times. */
export const LAST_DELIVERY = 3;

/** How long a held delivery may still send a late answer: WeChat itself gives up after 5 s. */
const HOLD_LIMIT_MS = 6_000;

export interface AnswerCoordinatorOptions {
  mode: ReplyMode;
  passiveWindowMs: number;
  dedupStore: DedupStore;
  dedupTtlMs: number;
  pickup: PickupBox;
  permission: CustomerServicePermission;
  /** Absent without the WeChat API (no `WECHAT_APPSECRET`): answers then always take the passive route. */
  customerService?: { channel: CustomerServiceChannel; delivery: CustomerServiceDelivery };
  /** How long after a delivery's arrival the typing indicator goes out when the answer is not ready (default min(1 s, window / 3)). */
  probeDelayMs?: number;
  /** How long an answer may take (EXTERNAL_SERVICE_TIMEOUT): bounds the pickup's "still being prepared" state. */
  answerTimeoutMs: number;
  log: Logger;
  /** Counts the answers by route and writes each message's log line; default: log lines only. */
  recorder?: DeliveryRecorder;
  now?: () => number;
}

const encoder = new TextEncoder();
const byteLength = (text: string): number => encoder.encode(text).length;

export class AnswerCoordinator {
  readonly #options: AnswerCoordinatorOptions;
  readonly #now: () => number;
  readonly #recorder: DeliveryRecorder;
  /** The work of each answer in flight (its first delivery, its customer-service or held delivery) → its messageKey. */
  readonly #inFlight = new Map<Promise<void>, string>();

  constructor(options: AnswerCoordinatorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#recorder = options.recorder ?? new DeliveryRecorder({ log: options.log });
  }

  /** The placeholder the last delivery answers with while the answer is still being produced. */
  placeholderText(): string {
    return `正在为你准备回答，稍后回复「${this.#options.pickup.keyword}」即可查看。`;
  }

  /** The first delivery of a message its handler answers with `answer`; `arrivedAt` starts the passive window. */
  first(message: InboundMessage, messageKey: string, answer: LiveAnswer, arrivedAt: number): Promise<DeliveryResult> {
    return this.#track(messageKey, this.#first(message, messageKey, answer, arrivedAt));
  }

  /**
   * Shutdown: waits until every answer in flight — including those that start while waiting, from deliveries
   * already open — has been delivered (passive reply, customer-service messages, or handed over for WeChat's
   * retries and pickup), or until `deadline` (a `Date.now()` time). Returns how many finished while waiting and
   * the messageKeys of those still unfinished: they are abandoned (their model call and delivery just stop with
   * the process; nothing of theirs is awaited any more). Never rejects.
   */
  async drain(deadline: number): Promise<{ finished: number; abandoned: string[] }> {
    const seen = new Set(this.#inFlight.values());
    while (this.#inFlight.size > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        ...this.#inFlight.keys(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, remaining);
        }),
      ]);
      clearTimeout(timer);
      for (const messageKey of this.#inFlight.values()) seen.add(messageKey);
    }
    const abandoned = new Set(this.#inFlight.values());
    return { finished: [...seen].filter((messageKey) => !abandoned.has(messageKey)).length, abandoned: [...abandoned] };
  }

  /** Counts `work` as part of `messageKey`'s answer in flight until it settles. */
  #track<T>(messageKey: string, work: Promise<T>): Promise<T> {
    const settled: Promise<void> = work.then(
      () => {
        this.#inFlight.delete(settled);
      },
      () => {
        this.#inFlight.delete(settled);
      },
    );
    this.#inFlight.set(settled, messageKey);
    return work;
  }

  async #first(message: InboundMessage, messageKey: string, answer: LiveAnswer, arrivedAt: number): Promise<DeliveryResult> {
    const { passiveWindowMs, mode, log } = this.#options;
    const openId = message.fromUserName;
    const probe = this.#probe(openId, answer, arrivedAt);
    const finished = await this.#until(answer, arrivedAt + passiveWindowMs);
    if (finished !== undefined) {
      const result = await this.#passive(message, messageKey, answer, finished, probe, arrivedAt);
      this.#recorder.answered(message, messageKey, result.replyXml === '' ? 'no_reply' : 'passive', this.#now() - arrivedAt, finished.text);
      return result;
    }

    const route = mode === 'passive' ? 'hold' : mode === 'customer_service' || (await probe) === 'allowed' ? 'customer-service' : 'hold';
    if (route === 'customer-service' && this.#options.customerService !== undefined) {
      await this.#options.dedupStore.complete(messageKey, '', this.#options.dedupTtlMs);
      void this.#track(messageKey, this.#options.customerService.delivery.deliver(openId, answer, { messageKey })).then((outcome) => {
        const route = outcome === 'linked' ? 'link' : 'customer_service';
        this.#recorder.answered(message, messageKey, route, this.#now() - arrivedAt, answer.text, outcome === 'refused' ? outcome : undefined);
      });
      log.info({ messageKey, answerId: answer.id }, 'answer not ready in the passive window: answered success, delivering by customer-service messages');
      return { replyXml: '', source: 'customer-service', messageKey };
    }
    if (route === 'customer-service') log.warn({ messageKey }, 'REPLY_MODE=customer_service needs the WeChat API (WECHAT_APPSECRET); holding for a passive reply instead');
    void this.#track(messageKey, this.#finishHeld(message, messageKey, answer));
    log.info({ messageKey, answerId: answer.id }, 'answer not ready in the passive window: holding WeChat\'s retries');
    return this.#held(messageKey, () => this.#recorder.answered(message, messageKey, 'passive', this.#now() - arrivedAt));
  }

  /** A retry (`delivery` ≥ 2) of a message whose answer is still pending, possibly on another instance. */
  async retry(message: InboundMessage, messageKey: string, delivery: number): Promise<DeliveryResult> {
    const { dedupStore, passiveWindowMs, dedupTtlMs, pickup, answerTimeoutMs, log } = this.#options;
    // The first delivery may have reached another instance: its arrival is known here only as the message's
    // CreateTime (WeChat's clock, in seconds).
    const sinceSent = (): number => this.#now() - message.createTime * 1000;
    const answeredOnRetry = (replyXml: string): DeliveryResult => {
      if (replyXml !== '') this.#recorder.answered(message, messageKey, 'passive_on_retry', sinceSent(), replyXml);
      return { replyXml, source: 'waited', messageKey };
    };
    const reply = await dedupStore.waitForReply(messageKey, passiveWindowMs);
    if (reply !== undefined) return answeredOnRetry(reply);
    if (delivery < LAST_DELIVERY) return this.#held(messageKey, () => this.#recorder.answered(message, messageKey, 'passive_on_retry', sinceSent()));
    const placeholder = replyTo(message, { type: 'text', content: this.placeholderText() }, this.#now());
    const outcome = await dedupStore.completeIfPending(messageKey, placeholder, dedupTtlMs);
    if (outcome.outcome === 'done') return answeredOnRetry(outcome.reply);
    await pickup.markPending(message.fromUserName, messageKey, answerTimeoutMs);
    log.info({ messageKey }, 'last delivery: answered with the pickup placeholder; the answer will be left for pickup');
    this.#recorder.answered(message, messageKey, 'placeholder', sinceSent(), placeholder);
    return { replyXml: placeholder, source: 'placeholder', messageKey };
  }

  /** No answer now (WeChat retries); `sent` is called if the answer comes while this delivery is still open and is sent on it. */
  #held(messageKey: string, sent: () => void): DeliveryResult {
    return { replyXml: '', source: 'held', messageKey, later: this.#options.dedupStore.waitForReply(messageKey, HOLD_LIMIT_MS), lateReplySent: sent };
  }

  /** Resolves with the finished answer if it finishes before `deadline`, else undefined. */
  async #until(answer: LiveAnswer, deadline: number): Promise<FinishedAnswer | undefined> {
    const remaining = deadline - this.#now();
    if (answer.finished !== undefined || remaining <= 0) return answer.finished;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), remaining);
    });
    try {
      return await Promise.race([answer.whenFinished(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Learns (or confirms) the customer-service permission while the answer is still coming: the typing indicator
   * is shown when the answer is not ready after `probeDelayMs`; WeChat's 48001 to it means no permission.
   */
  async #probe(openId: string, answer: LiveAnswer, arrivedAt: number): Promise<Permission> {
    const { mode, permission, customerService, passiveWindowMs } = this.#options;
    if (mode === 'passive' || customerService === undefined) return 'denied';
    const known = await permission.get().catch((): Permission => 'unknown');
    if (known === 'denied' && mode === 'auto') return 'denied';
    const delay = this.#options.probeDelayMs ?? Math.min(1_000, passiveWindowMs / 3);
    if ((await this.#until(answer, arrivedAt + delay)) !== undefined) return known;
    return this.#typingProbe(openId, known);
  }

  /**
   * The permission to continue an answer that finished in time by customer-service messages. When the answer came
   * before the typing probe on an account whose permission is not known yet, the probe is made now — bounded by
   * what is left of the passive window — so that a verified account's first long answer is not left for pickup.
   */
  async #permissionNow(openId: string, probe: Promise<Permission>, arrivedAt: number): Promise<Permission> {
    const known = await probe;
    const remaining = arrivedAt + this.#options.passiveWindowMs - this.#now();
    if (known !== 'unknown' || remaining <= 0 || this.#options.customerService === undefined) return known;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Permission>((resolve) => {
      timer = setTimeout(() => resolve(known), remaining);
    });
    try {
      return await Promise.race([this.#typingProbe(openId, known), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Shows the typing indicator; WeChat's answer tells (and remembers) whether customer-service messages are allowed. */
  async #typingProbe(openId: string, known: Permission): Promise<Permission> {
    const { permission, customerService, log } = this.#options;
    if (customerService === undefined) return known;
    try {
      await customerService.channel.typing(openId);
      if (known !== 'allowed') await permission.set('allowed');
      return 'allowed';
    } catch (error) {
      if (error instanceof WeChatApiError && error.errcode === 48001) {
        await permission.set('denied').catch(() => {});
        log.info('the account cannot send customer-service messages (48001): slow answers are held for WeChat\'s retries and pickup');
        return 'denied';
      }
      log.warn({ err: error }, 'the typing indicator failed; treating customer-service messages as unavailable for this answer');
      return known === 'allowed' ? 'allowed' : 'unknown';
    }
  }

  /** A passive reply with an answer that finished in time; a longer one continues by customer service or pickup. */
  async #passive(message: InboundMessage, messageKey: string, answer: LiveAnswer, finished: FinishedAnswer, probe: Promise<Permission>, arrivedAt: number): Promise<DeliveryResult> {
    const { dedupStore, dedupTtlMs, customerService, pickup, mode, log } = this.#options;
    const openId = message.fromUserName;
    const text = markdownToWeChatText(finished.text);
    let learned: Promise<Permission> | undefined;
    const permissionNow = (): Promise<Permission> => (learned ??= this.#permissionNow(openId, probe, arrivedAt));
    const media = await this.#passiveMedia(message, messageKey, answer, finished, text, permissionNow);
    if (media !== undefined) return media;
    let first = text;
    if (byteLength(text) > TEXT_MESSAGE_MAX_BYTES) {
      const canContinue = mode !== 'passive' && customerService !== undefined && (await permissionNow()) === 'allowed';
      if (canContinue) {
        const [head = '', ...rest] = splitByUtf8Bytes(text, TEXT_MESSAGE_MAX_BYTES);
        first = head;
        void this.#track(messageKey, customerService.delivery.deliverText(openId, rest.join('\n\n'), answer, { messageKey }));
      } else {
        const hint = `\n\n……（回复「${pickup.keyword}」查看剩余内容）`;
        const [head = '', ...rest] = splitByUtf8Bytes(text, TEXT_MESSAGE_MAX_BYTES - byteLength(hint));
        first = head + hint;
        await pickup.leave(openId, rest.join('\n\n'));
      }
      log.info({ messageKey, bytes: byteLength(text), continued: canContinue ? 'customer-service' : 'pickup' }, 'answer longer than one message');
    }
    const replyXml = replyTo(message, { type: 'text', content: first }, this.#now());
    await dedupStore.complete(messageKey, replyXml, dedupTtlMs);
    return { replyXml, source: 'handled', messageKey };
  }

  /**
   * An answer that is (or includes) an image or voice: uploaded and sent as the passive reply when there is no
   * text; with text, the text is the passive reply and the media follow as customer-service messages when allowed.
   * Undefined when the text reply should go ahead.
   */
  async #passiveMedia(message: InboundMessage, messageKey: string, answer: LiveAnswer, finished: FinishedAnswer, text: string, permissionNow: () => Promise<Permission>): Promise<DeliveryResult | undefined> {
    const { customerService, dedupStore, dedupTtlMs, log } = this.#options;
    const [media] = finished.media;
    if (media === undefined) return undefined;
    const channel = customerService?.channel;
    if (channel?.uploadMedia === undefined) {
      log.warn({ messageKey }, 'the answer includes media, but without the WeChat API it cannot be sent');
      return undefined;
    }
    const hasText = text.trim() !== '';
    const followUp = hasText ? finished.media : finished.media.slice(1);
    if (followUp.length > 0) {
      if ((await permissionNow()) === 'allowed') void this.#track(messageKey, customerService!.delivery.deliverText(message.fromUserName, '', answer, { messageKey, media: followUp }));
      else log.warn({ messageKey, count: followUp.length }, 'media of the answer not sent: customer-service messages are not available');
    }
    if (hasText) return undefined;
    try {
      const replyXml = await this.#mediaReplyXml(message, media);
      await dedupStore.complete(messageKey, replyXml, dedupTtlMs);
      return { replyXml, source: 'handled', messageKey };
    } catch (error) {
      log.warn({ err: error, messageKey }, 'could not upload the answer\'s media for a passive reply');
      return undefined;
    }
  }

  /** Uploads `media` to WeChat and returns the passive image or voice reply that shows it. */
  async #mediaReplyXml(message: InboundMessage, media: AnswerMedia): Promise<string> {
    const channel = this.#options.customerService?.channel;
    if (channel?.uploadMedia === undefined) throw new Error('media cannot be uploaded without the WeChat API');
    const mediaId = await channel.uploadMedia(media);
    return replyTo(message, media.kind === 'image' ? { type: 'image', mediaId } : { type: 'voice', mediaId }, this.#now());
  }

  /**
   * Held answers: when the answer finishes, offer it to WeChat's retries (`completeIfPending`); if the last delivery
   * already answered with the placeholder, leave it for pickup instead. Its images and voice are uploaded first (a
   * pickup has no time for it): an answer that is only media is offered to the retries as a passive media reply;
   * the media that one reply cannot carry are left for pickup after the text (and the reply says so).
   */
  async #finishHeld(message: InboundMessage, messageKey: string, answer: LiveAnswer): Promise<void> {
    const { dedupStore, dedupTtlMs, pickup, customerService, log } = this.#options;
    const openId = message.fromUserName;
    const finished = await answer.whenFinished();
    try {
      const upload = customerService?.channel.uploadMedia?.bind(customerService.channel);
      const { uploaded, note } = await mediaForPickup(finished.media, upload, log, messageKey);
      const text = [markdownToWeChatText(finished.text), note].filter((part) => part.trim() !== '').join('\n\n');
      const [firstMedia] = uploaded;
      const mediaOnly = text === '' && firstMedia !== undefined;
      const mediaAfter = mediaOnly ? uploaded.slice(1) : uploaded;
      let rest = '';
      let replyXml: string;
      if (mediaOnly) {
        replyXml = replyTo(message, { type: firstMedia.kind, mediaId: firstMedia.mediaId }, this.#now());
      } else {
        const mediaHint = mediaAfter.length > 0 ? `\n\n（回复「${pickup.keyword}」查看${describeMedia(mediaAfter)}）` : '';
        const hint = `\n\n……（回复「${pickup.keyword}」查看剩余内容）`;
        const fits = byteLength(text + mediaHint) <= TEXT_MESSAGE_MAX_BYTES;
        const [head = '', ...tail] = fits ? [text] : splitByUtf8Bytes(text, TEXT_MESSAGE_MAX_BYTES - byteLength(hint));
        rest = tail.join('\n\n');
        replyXml = replyTo(message, { type: 'text', content: fits ? head + mediaHint : head + hint }, this.#now());
      }
      const outcome = await dedupStore.completeIfPending(messageKey, replyXml, dedupTtlMs);
      if (outcome.outcome === 'set') {
        if (rest !== '' || mediaAfter.length > 0) await pickup.leave(openId, rest, mediaAfter);
        return;
      }
      await pickup.leave(openId, text, uploaded);
      await pickup.clearPending(openId, messageKey);
      log.info({ messageKey, answerId: answer.id, media: uploaded.length }, 'answer finished after the last delivery: left for pickup');
    } catch (error) {
      log.error({ err: error, messageKey }, 'could not hand over a held answer');
    }
  }
}
