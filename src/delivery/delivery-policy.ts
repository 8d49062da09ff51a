/**
 * The `REPLY_MODE` policy (SPEC §4): how an answer reaches the user. It runs in the job's worker, beside the model
 * call, on whichever instance runs the job; WeChat's deliveries of the message wait on its dedup key
 * (delivery/held-delivery.ts). This is the one place that owns the passive window:
 *
 * - ready within `PASSIVE_WINDOW_MS` of the first delivery's arrival → the passive reply is recorded for the
 *   waiting delivery (a longer answer: its first part, the rest by customer-service messages when allowed, else
 *   left for pickup with a hint);
 * - else, when customer-service messages are allowed (`auto` learns it from the typing indicator, sent while the
 *   answer is still coming, *before* anything is recorded): `''` is recorded — the delivery answers `success` — and
 *   the answer follows progressively by customer-service messages;
 * - else (`passive`, or an account without permission): nothing is recorded, so WeChat retries; when the answer
 *   finishes it is offered to the retries; if the last retry answered with the placeholder first, the answer is
 *   left for pickup.
 *
 * Every record goes through the dedup store's `completeIfPending`, atomic against the last retry's placeholder,
 * across instances. The route chosen is written to the job's checkpoint first, so a job taken over after its
 * instance died carries on along the same route (`resume`); customer-service messages already sent are skipped
 * (the ledger), so none is repeated.
 */
import type { Logger } from 'pino';
import type { ReplyMode } from '../config/app-config.js';
import type { DedupStore } from '../conversation/dedup/dedup-store.js';
import type { DeliveryRecorder } from '../conversation/delivery-recorder.js';
import type { AnswerJob } from '../jobs/answer-job.js';
import { storedAnswer, type AnswerCheckpoint, type DeliveryRoute } from '../jobs/answer-checkpoint.js';
import { WeChatApiError } from '../wechat/api/wechat-api-error.js';
import { replyTo } from '../wechat/reply/reply-to.js';
import type { CustomerServiceChannel, CustomerServiceDelivery } from './customer-service-delivery.js';
import type { CustomerServicePermission, Permission } from './customer-service-permission.js';
import type { FinishedAnswer, LiveAnswer } from './live-answer.js';
import { mediaForPickup } from './media-for-pickup.js';
import { describeMedia, TEXT_MESSAGE_MAX_BYTES, type PickupBox, type PickupMedia } from './pickup-box.js';
import { markdownToWeChatText } from './text/markdown-to-text.js';
import { firstCompleteChunk } from './text/first-complete-chunk.js';
import { splitByUtf8Bytes, utf8ByteLength } from './text/split-by-bytes.js';
import { textAfterSent } from './text/text-after-sent.js';

/**
 * A streamed answer's first paragraph goes ahead as the passive reply only this long after the message arrived
 * (and only when the rest may follow by customer-service messages): an answer that is whole by then still goes as
 * one reply, while the first paragraph of a long stream does not wait for the end of the passive window.
 */
export const FIRST_PART_AFTER_MS = 1_500;

export interface DeliveryPolicyOptions {
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
  log: Logger;
  /** Counts the answers delivered by customer-service messages and writes their log line. */
  recorder: DeliveryRecorder;
  now?: () => number;
}

/** The job's checkpoint as the policy sees it: what was decided before, and how to record a decision. */
export interface DeliveryProgress {
  readonly current: AnswerCheckpoint;
  save(update: AnswerCheckpoint): Promise<void>;
}

export class DeliveryPolicy {
  readonly #options: DeliveryPolicyOptions;
  readonly #now: () => number;

  constructor(options: DeliveryPolicyOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Delivers `answer` (possibly still streaming) for `job`. After a takeover `progress.current.route` says which
   * route an earlier run chose; it is followed, not chosen again. Stops without sending anything more once `signal`
   * aborts (shutdown: the job goes back to the queue). Rejects only when the shared state cannot be reached.
   */
  async deliver(job: AnswerJob, answer: LiveAnswer, progress: DeliveryProgress, signal: AbortSignal): Promise<void> {
    const route = progress.current.route;
    if (route === undefined) await this.#decide(job, answer, progress, signal);
    else await this.#resume(route, job, answer, progress, signal);
  }

  async #decide(job: AnswerJob, answer: LiveAnswer, progress: DeliveryProgress, signal: AbortSignal): Promise<void> {
    const { passiveWindowMs, mode, customerService, dedupStore, dedupTtlMs, log } = this.#options;
    const { message, messageKey, arrivedAt } = job;
    const probe = this.#probe(message.fromUserName, answer, arrivedAt);
    const firstPart = await this.#earlyFirstPart(message.fromUserName, answer, probe, arrivedAt);
    if (signal.aborted) return;
    if (firstPart !== undefined) return this.#firstPartFirst(job, answer, firstPart, progress, signal);
    const finished = await until(answer, arrivedAt + passiveWindowMs, this.#now);
    if (signal.aborted) return;
    // Passive only when ready within the window: a job that starts late (a backlog, a takeover) may find WeChat's
    // deliveries over, and goes the way of a slow answer.
    if (finished !== undefined && this.#now() <= arrivedAt + passiveWindowMs) return this.#passive(job, answer, finished, probe, progress, signal);

    let permission = await probe;
    // A late job whose answer was ready before the typing probe went out has not asked WeChat yet: it asks now.
    if (permission === 'unknown' && mode === 'auto') permission = await this.#typingProbe(message.fromUserName, permission);
    const route = mode !== 'passive' && (mode === 'customer_service' || permission === 'allowed') && (await this.#allowance(message.fromUserName)) ? 'customer-service' : 'hold';
    if (signal.aborted) return;
    if (route === 'customer-service' && customerService !== undefined) {
      await this.#save(progress, answer, { route: 'customer-service' });
      const recorded = await dedupStore.completeIfPending(messageKey, '', dedupTtlMs);
      // A job that starts late (a backlog, a takeover) may find the placeholder given already: the answer still
      // goes by customer-service messages, and the pickup has nothing to wait for.
      if (recorded.outcome !== 'set') await this.#options.pickup.clearPending(message.fromUserName, messageKey);
      log.info({ messageKey, answerId: answer.id }, 'answer not ready in the passive window: answered success, delivering by customer-service messages');
      await this.#byCustomerService(job, answer, signal);
      return;
    }
    if (route === 'customer-service') log.warn({ messageKey }, 'REPLY_MODE=customer_service needs the WeChat API (WECHAT_APPSECRET); holding for a passive reply instead');
    await this.#save(progress, answer, { route: 'hold' });
    log.info({ messageKey, answerId: answer.id }, 'answer not ready in the passive window: holding WeChat\'s retries');
    await this.#finishHeld(job, answer, signal);
  }

  /**
   * While the answer streams within the passive window, and the rest may follow by customer-service messages: its
   * first complete paragraph (as WeChat text, when it fits one message) once it is ready and `FIRST_PART_AFTER_MS`
   * have passed — an answer that is whole by then still goes as one passive reply. Undefined when the answer
   * finishes or the window passes first (or the rest could not follow).
   */
  async #earlyFirstPart(openId: string, answer: LiveAnswer, probe: Promise<Permission>, arrivedAt: number): Promise<string | undefined> {
    const { mode, customerService, passiveWindowMs } = this.#options;
    if (mode === 'passive' || customerService === undefined) return undefined;
    const deadline = arrivedAt + passiveWindowMs;
    const earliest = arrivedAt + FIRST_PART_AFTER_MS;
    if (earliest >= deadline || !(await this.#allowance(openId))) return undefined;
    let allowed = mode === 'customer_service';
    let probing = !allowed;
    const learned = probe.then((permission) => {
      probing = false;
      allowed = permission === 'allowed';
    });
    for (;;) {
      const now = this.#now();
      if (answer.finished !== undefined || now >= deadline) return undefined;
      if (allowed && now >= earliest) {
        const first = firstCompleteChunk(answer.text);
        if (first !== undefined) {
          const text = markdownToWeChatText(first.chunk);
          if (utf8ByteLength(text) > TEXT_MESSAGE_MAX_BYTES) return undefined;
          return text;
        }
      }
      if (!allowed && !probing) return undefined;
      const wake = allowed && now < earliest ? earliest - now : deadline - now;
      await withTimeout(Promise.race([answer.nextChange(), ...(probing ? [learned] : [])]), wake, undefined);
    }
  }

  /** The first paragraph as the passive reply, at once; the rest follows by customer-service messages as it streams. */
  async #firstPartFirst(job: AnswerJob, answer: LiveAnswer, firstPart: string, progress: DeliveryProgress, signal: AbortSignal): Promise<void> {
    const { dedupStore, dedupTtlMs, log } = this.#options;
    const { message, messageKey } = job;
    await this.#save(progress, answer, { route: 'passive', passiveText: firstPart, continued: 'customer-service' });
    const recorded = await dedupStore.completeIfPending(messageKey, replyTo(message, { type: 'text', content: firstPart }, this.#now()), dedupTtlMs);
    if (recorded.outcome !== 'set') return this.#late(job, answer, signal);
    log.info({ messageKey, answerId: answer.id }, 'first paragraph sent as the passive reply; the rest follows by customer-service messages');
    await this.#options.customerService!.delivery.deliver(message.fromUserName, answer, { messageKey, signal, skipSegments: 1 });
  }

  /** Carries on along the route an earlier run of the job chose (its instance died or was stopped). */
  async #resume(route: DeliveryRoute, job: AnswerJob, answer: LiveAnswer, progress: DeliveryProgress, signal: AbortSignal): Promise<void> {
    const { log, customerService, pickup } = this.#options;
    const { message, messageKey } = job;
    log.info({ messageKey, answerId: answer.id, route }, 'resuming the delivery of an answer taken over from an earlier run');
    if (route === 'hold') return this.#finishHeld(job, answer, signal);
    if (route === 'customer-service' && customerService !== undefined) {
      await pickup.clearPending(message.fromUserName, messageKey);
      return this.#byCustomerService(job, answer, signal);
    }
    // Passive: the reply was recorded; what followed it goes on (customer-service messages already sent are skipped).
    const finished = await answer.whenFinished();
    const text = markdownToWeChatText(finished.text);
    const head = progress.current.passiveText ?? '';
    const rest = textAfterSent(text, [head]) ?? '';
    if (rest === '' || signal.aborted) return;
    if (progress.current.continued === 'customer-service' && customerService !== undefined) {
      const outcome = await customerService.delivery.deliverText(message.fromUserName, rest, answer, { messageKey, signal });
      // The instance that recorded the passive part is gone: this one says how the answer was finished.
      if (outcome !== 'stopped') this.#options.recorder.answered(message, messageKey, outcome === 'linked' ? 'link' : 'customer_service', this.#now() - job.arrivedAt, answer.text, outcome === 'refused' ? outcome : undefined);
    } else {
      await pickup.leave(message.fromUserName, rest);
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
    if ((await until(answer, arrivedAt + delay, this.#now)) !== undefined) return known;
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
    return withTimeout(this.#typingProbe(openId, known), remaining, known);
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

  /**
   * A passive reply with an answer that finished in time. What one reply cannot carry — the rest of a longer text,
   * the answer's images and voice — follows by customer-service messages when they are allowed, else it is left
   * for pickup and the reply says so (as for a held answer).
   */
  async #passive(job: AnswerJob, answer: LiveAnswer, finished: FinishedAnswer, probe: Promise<Permission>, progress: DeliveryProgress, signal: AbortSignal): Promise<void> {
    const { dedupStore, dedupTtlMs, customerService, mode, log } = this.#options;
    const { message, messageKey, arrivedAt } = job;
    const openId = message.fromUserName;
    const text = markdownToWeChatText(finished.text);
    const needsMore = utf8ByteLength(text) > TEXT_MESSAGE_MAX_BYTES || finished.media.length > 0;
    const canContinue = needsMore && mode !== 'passive' && customerService !== undefined && (await this.#permissionNow(openId, probe, arrivedAt)) === 'allowed' && (await this.#allowance(openId));
    if (!canContinue) {
      // The same reply as a held answer's: the rest (text pages, uploaded media) is left for pickup.
      const reply = await this.#pickupReply(job, finished);
      if (signal.aborted) return;
      await this.#save(progress, answer, { route: 'passive', passiveText: reply.head, continued: 'pickup' });
      const recorded = await dedupStore.completeIfPending(messageKey, reply.replyXml, dedupTtlMs);
      if (recorded.outcome !== 'set') return this.#late(job, answer, signal);
      if (reply.rest !== '' || reply.media.length > 0) {
        await this.#options.pickup.leave(openId, reply.rest, reply.media);
        // At once: a run after a crash from here on must not leave the rest a second time.
        await progress.save({ delivered: true });
      }
      return;
    }
    // Customer-service messages carry the rest: the first media item is the reply when there is no text.
    let replyXml: string | undefined;
    let followUp = finished.media;
    const [firstMedia] = finished.media;
    if (text.trim() === '' && firstMedia !== undefined) {
      try {
        const mediaId = await customerService.channel.uploadMedia!(firstMedia);
        replyXml = replyTo(message, { type: firstMedia.kind, mediaId }, this.#now());
        followUp = finished.media.slice(1);
      } catch (error) {
        log.warn({ err: error, messageKey }, 'could not upload the answer\'s media for a passive reply; it follows by customer-service message');
      }
    }
    const [head = '', ...tail] = splitByUtf8Bytes(text, TEXT_MESSAGE_MAX_BYTES);
    const rest = tail.join('\n\n');
    if (replyXml === undefined && head.trim() === '') {
      // Only media, and the first could not be uploaded now: everything goes by customer-service messages.
      await this.#save(progress, answer, { route: 'customer-service' });
      const recorded = await dedupStore.completeIfPending(messageKey, '', dedupTtlMs);
      if (recorded.outcome !== 'set') await this.#options.pickup.clearPending(openId, messageKey);
      return this.#byCustomerService(job, answer, signal);
    }
    if (signal.aborted) return;
    if (rest !== '') log.info({ messageKey, bytes: utf8ByteLength(text), continued: 'customer-service' }, 'answer longer than one message');
    await this.#save(progress, answer, { route: 'passive', passiveText: replyXml === undefined ? head : '', continued: 'customer-service' });
    const recorded = await dedupStore.completeIfPending(messageKey, replyXml ?? replyTo(message, { type: 'text', content: head }, this.#now()), dedupTtlMs);
    if (recorded.outcome !== 'set') return this.#late(job, answer, signal);
    if (rest !== '' || followUp.length > 0) await customerService.delivery.deliverText(openId, rest, answer, { messageKey, media: followUp, signal });
  }

  /**
   * Held answers: when the answer finishes, offer it to WeChat's retries (`completeIfPending`); if the last delivery
   * already answered with the placeholder, leave it for pickup instead.
   */
  async #finishHeld(job: AnswerJob, answer: LiveAnswer, signal: AbortSignal): Promise<void> {
    const { dedupStore, dedupTtlMs, pickup, log } = this.#options;
    const { message, messageKey } = job;
    const openId = message.fromUserName;
    const finished = await answer.whenFinished();
    if (signal.aborted) return;
    const reply = await this.#pickupReply(job, finished);
    if (signal.aborted) return;
    const recorded = await dedupStore.completeIfPending(messageKey, reply.replyXml, dedupTtlMs);
    if (recorded.outcome === 'set') {
      if (reply.rest !== '' || reply.media.length > 0) await pickup.leave(openId, reply.rest, reply.media);
      return;
    }
    await pickup.leave(openId, reply.text, reply.uploaded);
    await pickup.clearPending(openId, messageKey);
    log.info({ messageKey, answerId: answer.id, media: reply.uploaded.length }, 'answer finished after the last delivery: left for pickup');
  }

  /**
   * The passive reply of an answer whose rest can only be picked up. Its images and voice are uploaded first (a
   * pickup has no time for it; what cannot be uploaded becomes a note in the text): an answer that is only media is
   * a passive media reply; otherwise the reply is the text — its first part with a hint when longer — and names
   * the media that follow on the pickup.
   */
  async #pickupReply(job: AnswerJob, finished: FinishedAnswer): Promise<{ replyXml: string; head: string; rest: string; media: PickupMedia[]; text: string; uploaded: PickupMedia[] }> {
    const { pickup, customerService, log } = this.#options;
    const { message, messageKey } = job;
    const upload = customerService?.channel.uploadMedia?.bind(customerService.channel);
    const { uploaded, note } = await mediaForPickup(finished.media, upload, log, messageKey);
    const text = [markdownToWeChatText(finished.text), note].filter((part) => part.trim() !== '').join('\n\n');
    const [firstMedia] = uploaded;
    if (text === '' && firstMedia !== undefined) {
      return { replyXml: replyTo(message, { type: firstMedia.kind, mediaId: firstMedia.mediaId }, this.#now()), head: '', rest: '', media: uploaded.slice(1), text, uploaded };
    }
    const mediaHint = uploaded.length > 0 ? `\n\n（回复「${pickup.keyword}」查看${describeMedia(uploaded)}）` : '';
    const hint = `\n\n……（回复「${pickup.keyword}」查看剩余内容）`;
    const fits = utf8ByteLength(text + mediaHint) <= TEXT_MESSAGE_MAX_BYTES;
    const [head = '', ...tail] = fits ? [text] : splitByUtf8Bytes(text, TEXT_MESSAGE_MAX_BYTES - utf8ByteLength(hint));
    if (!fits) log.info({ messageKey, bytes: utf8ByteLength(text), continued: 'pickup' }, 'answer longer than one message');
    const replyXml = replyTo(message, { type: 'text', content: fits ? head + mediaHint : head + hint }, this.#now());
    return { replyXml, head, rest: tail.join('\n\n'), media: uploaded, text, uploaded };
  }

  /**
   * The passive reply came too late: the last delivery answered with the placeholder (or the message's claim ran
   * out). The answer goes by customer-service messages when allowed, else it is left for pickup.
   */
  async #late(job: AnswerJob, answer: LiveAnswer, signal: AbortSignal): Promise<void> {
    const { mode, customerService, permission } = this.#options;
    const allowed = mode !== 'passive' && customerService !== undefined && (await permission.get().catch((): Permission => 'unknown')) === 'allowed' && (await this.#allowance(job.message.fromUserName));
    if (allowed) {
      await this.#options.pickup.clearPending(job.message.fromUserName, job.messageKey);
      return this.#byCustomerService(job, answer, signal);
    }
    return this.#finishHeld(job, answer, signal);
  }

  /** Streams the answer by customer-service messages and records how it went. */
  async #byCustomerService(job: AnswerJob, answer: LiveAnswer, signal: AbortSignal): Promise<void> {
    const { message, messageKey, arrivedAt } = job;
    const outcome = await this.#options.customerService!.delivery.deliver(message.fromUserName, answer, { messageKey, signal });
    if (outcome === 'stopped') return;
    const route = outcome === 'linked' ? 'link' : 'customer_service';
    this.#options.recorder.answered(message, messageKey, route, this.#now() - arrivedAt, answer.text, outcome === 'refused' ? outcome : undefined);
  }

  /**
   * Whether customer-service messages may still be sent to the user (WeChat's allowance, counted in the ledger): a
   * user whose allowance an earlier answer used up gets this one passively or by pickup, with the reply saying so,
   * never behind a silent `success`. When the ledger cannot be read, the delivery itself finds out.
   */
  async #allowance(openId: string): Promise<boolean> {
    return (await this.#options.customerService?.delivery.hasAllowance(openId).catch(() => true)) ?? false;
  }

  /** Records a decision in the job's checkpoint, with the finished answer when there is one (a takeover then needs no model call). */
  async #save(progress: DeliveryProgress, answer: LiveAnswer, update: AnswerCheckpoint): Promise<void> {
    const finished = answer.finished;
    await progress.save({ ...update, ...(finished && progress.current.answer === undefined ? { answer: storedAnswer(finished) } : {}) });
  }
}

/** Resolves with the finished answer if it finishes before `deadline`, else undefined. */
async function until(answer: LiveAnswer, deadline: number, now: () => number): Promise<FinishedAnswer | undefined> {
  const remaining = deadline - now();
  if (answer.finished !== undefined || remaining <= 0) return answer.finished;
  return withTimeout(answer.whenFinished(), remaining, undefined);
}

/** `work`'s value, or `fallback` when `ms` pass first. */
async function withTimeout<T, F>(work: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

