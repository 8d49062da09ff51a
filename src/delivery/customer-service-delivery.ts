/**
 * Delivers an answer through customer-service (客服) messages, progressively: the first message goes out as soon
 * as the first complete paragraph or sentence group has streamed in, later ones as more completes, with the typing
 * indicator shown in between.
 *
 * WeChat allows a limited number of customer-service messages per user interaction (5 after a message, 3 after a
 * menu click, subscribe or scan), each at most 2048 bytes. The ledger counts them where every instance sees them
 * (delivery/state/customer-service-ledger.ts): an answer may send at most `quota` (5) and never more than the user's
 * allowance left. At most `limit - 1` messages are sent while the answer streams; the last one waits for the end:
 * if what remains fits, it is sent whole; otherwise it carries the start of the rest and a link to the full answer
 * (`/a/:id`, when PUBLIC_BASE_URL is set) or a pickup hint, and the rest is left for pickup. Nothing is lost and the
 * allowance is never exceeded.
 *
 * Every message is recorded in the ledger before it is sent (`take`). A delivery taken over from an instance that
 * died part-way finds the messages already sent and continues after them: none is sent twice (one whose sending
 * was cut off is counted as sent). Two workers on one answer cannot both send a message: the second one's `take`
 * finds it taken and stops.
 *
 * When WeChat refuses (48001 no permission, 45015 outside the 48-hour window, 45047 quota used up), what was not
 * sent is left for pickup; 48001 is also remembered, so later answers take the passive route.
 */
import type { Logger } from 'pino';
import { WeChatApiError } from '../wechat/api/wechat-api-error.js';
import type { AnswerArchive } from './answer-archive.js';
import type { CustomerServicePermission } from './customer-service-permission.js';
import type { AnswerMedia, LiveAnswer } from './live-answer.js';
import { TEXT_MESSAGE_MAX_BYTES, type PickupBox } from './pickup-box.js';
import type { CustomerServiceLedger } from './state/customer-service-ledger.js';
import { textAfterSent } from './text/text-after-sent.js';
import { StreamSegmenter } from './text/first-complete-chunk.js';
import { markdownToWeChatText } from './text/markdown-to-text.js';
import { splitByUtf8Bytes, utf8ByteLength } from './text/split-by-bytes.js';

/** What delivery needs from the WeChat API (the app passes `api.customService` and media upload). */
export interface CustomerServiceChannel {
  typing(openId: string): Promise<void>;
  sendText(openId: string, text: string): Promise<void>;
  /** Uploads an image or voice as temporary media; resolves to its media id (also used for passive media replies). */
  uploadMedia?(media: AnswerMedia): Promise<string>;
  /** Sends uploaded media as a customer-service message. */
  sendMedia?(openId: string, kind: AnswerMedia['kind'], mediaId: string): Promise<void>;
}

export interface CustomerServiceDeliveryOptions {
  channel: CustomerServiceChannel;
  pickup: PickupBox;
  archive: AnswerArchive;
  permission: CustomerServicePermission;
  ledger: CustomerServiceLedger;
  /** `PUBLIC_BASE_URL`: long answers link to `{publicBaseUrl}/a/{id}`; without it, the rest is left for pickup. */
  publicBaseUrl?: string;
  /** Customer-service messages one answer may send at most (default 5), within the user's allowance. */
  quota?: number;
  log: Logger;
}

export type CustomerServiceOutcome =
  /** Everything was sent. */
  | 'delivered'
  /** Sent up to the quota; the rest is left for pickup (and the last message says so). */
  | 'truncated'
  /** Sent up to the quota; the last message links to the full answer (`/a/:id`). */
  | 'linked'
  /** WeChat refused, or the user's allowance was used up; what was not sent is left for pickup. */
  | 'refused'
  /** Stopped without finishing: the job was stopped (shutdown) or another worker is delivering this answer. */
  | 'stopped';

export interface CustomerServiceSendOptions {
  /** The message's dedup key: the ledger's record of this answer. */
  messageKey: string;
  /** Aborted on shutdown: nothing more is sent (the job goes back to the queue and resumes elsewhere). */
  signal?: AbortSignal;
  /** `deliver` only: the answer's first segments already went as the passive reply (see delivery-policy.ts). */
  skipSegments?: number;
}

interface StreamState {
  /** Messages recorded for this answer (sent, by this run or an earlier one). */
  sent: number;
  /** Messages this answer may send in all. */
  limit: number;
  /** WeChat text pieces ready but not sent yet. */
  unsent: string[];
  /** How much of the answer's Markdown went into the segmenter. */
  consumed?: number;
}

/** While an answer streams, a message after the first waits until this much text is ready (of 2048 bytes). */
const FULL_MESSAGE_BYTES = 1_600;

const REFUSALS: ReadonlySet<number> = new Set([48001, 45015, 45047]);

/** How an image or voice message is recorded in the ledger (`[image]`, `[voice]`). */
const MEDIA_MARKER = /^\[(image|voice)\]$/;

/** Thrown inside a delivery when it must stop without leaving anything for pickup (see `'stopped'`). */
class DeliveryStopped extends Error {}

/** Thrown inside a delivery when the ledger finds the user's allowance used up. */
class AllowanceUsedUp extends Error {}

export class CustomerServiceDelivery {
  readonly #options: CustomerServiceDeliveryOptions;
  readonly #quota: number;

  constructor(options: CustomerServiceDeliveryOptions) {
    this.#options = options;
    this.#quota = Math.max(1, options.quota ?? 5);
  }

  /**
   * Sends `answer` to `openId` as it streams; after a takeover, continues after the messages an earlier run sent.
   * Never rejects.
   */
  async deliver(openId: string, answer: LiveAnswer, options: CustomerServiceSendOptions): Promise<CustomerServiceOutcome> {
    const state: StreamState = { sent: 0, limit: this.#quota, unsent: [] };
    try {
      const earlier = await this.#begin(openId, options.messageKey, state);
      if (earlier.length === 0) return await this.#stream(openId, answer, state, options);
      const finished = await answer.whenFinished();
      return await this.#continue(openId, markdownToWeChatText(finished.text), earlier, answer, finished.media, state, options);
    } catch (error) {
      if (error instanceof DeliveryStopped || options.signal?.aborted === true) return 'stopped';
      await this.#failed(openId, error, state, options, async () => {
        const finished = await answer.whenFinished();
        return [...state.unsent, ...this.#pieces(finished.text.slice(state.consumed ?? 0))].join('\n\n');
      });
      return 'refused';
    }
  }

  /**
   * Sends an answer's remaining WeChat text (already converted, e.g. what followed a passive first part) within the
   * limit, the same way the end of a streamed answer is sent; after a takeover, continues after what was sent.
   * Never rejects.
   */
  async deliverText(openId: string, text: string, answer: LiveAnswer, options: CustomerServiceSendOptions & { media?: AnswerMedia[] }): Promise<CustomerServiceOutcome> {
    const state: StreamState = { sent: 0, limit: this.#quota, unsent: [] };
    try {
      const earlier = await this.#begin(openId, options.messageKey, state);
      if (earlier.length === 0) return await this.#sendRest(openId, text, answer, options.media ?? [], state, options);
      return await this.#continue(openId, text, earlier, answer, options.media ?? [], state, options);
    } catch (error) {
      if (error instanceof DeliveryStopped || options.signal?.aborted === true) return 'stopped';
      await this.#failed(openId, error, state, options, async () => state.unsent.join('\n\n'));
      return 'refused';
    }
  }

  /**
   * After a takeover: sends what follows the messages an earlier run recorded (`earlier`) of the answer's WeChat
   * `text` and `media`. A message whose sending was cut off (recorded, never confirmed) may not have arrived: it is
   * never sent again but left for pickup, and the next message says so. An answer produced anew that differs from
   * what was sent is left for pickup whole, and the user told.
   */
  async #continue(openId: string, text: string, earlier: string[], answer: LiveAnswer, media: AnswerMedia[], state: StreamState, options: CustomerServiceSendOptions): Promise<CustomerServiceOutcome> {
    const { ledger, pickup, log } = this.#options;
    const texts = earlier.filter((sent) => !MEDIA_MARKER.test(sent));
    const rest = textAfterSent(text, texts);
    const uncertain = earlier.slice(await ledger.confirmed(options.messageKey)).filter((sent) => !MEDIA_MARKER.test(sent));
    log.info({ messageKey: options.messageKey, sent: earlier.length, uncertain: uncertain.length, matched: rest !== undefined }, 'continuing a customer-service delivery taken over from an earlier run');
    if (rest === undefined) {
      await pickup.leave(openId, text);
      await this.#send(openId, `（回答中断了，回复「${pickup.keyword}」查看完整回答）`, state, options);
      return 'truncated';
    }
    let next = rest;
    if (uncertain.length > 0) {
      await pickup.leave(openId, uncertain.join('\n\n'));
      const note = `（上一条消息可能没有送达，回复「${pickup.keyword}」查看）`;
      next = rest === '' ? note : `${note}\n\n${rest}`;
    }
    return this.#sendRest(openId, next, answer, media.slice(earlier.length - texts.length), state, options);
  }

  /** Whether the user may be sent a customer-service message now (WeChat's allowance, as the ledger counts it). */
  async hasAllowance(openId: string): Promise<boolean> {
    return (await this.#options.ledger.allowance(openId)) > 0;
  }

  /** Reads what an earlier run sent of this answer and how many messages it may send in all. */
  async #begin(openId: string, messageKey: string, state: StreamState): Promise<string[]> {
    const { ledger } = this.#options;
    const [earlier, allowance] = await Promise.all([ledger.sent(messageKey), ledger.allowance(openId)]);
    state.sent = earlier.length;
    state.limit = Math.min(this.#quota, earlier.length + allowance);
    return earlier;
  }

  /** After a refusal or failure: logs it, remembers 48001, and leaves what was not sent for pickup. */
  async #failed(openId: string, error: unknown, state: StreamState, options: CustomerServiceSendOptions, unsentText: () => Promise<string>): Promise<void> {
    const { log, permission, pickup } = this.#options;
    const refused = error instanceof AllowanceUsedUp || (error instanceof WeChatApiError && REFUSALS.has(error.errcode));
    if (error instanceof WeChatApiError && error.errcode === 48001) await permission.set('denied').catch(() => {});
    log.warn({ messageKey: options.messageKey, err: error, sent: state.sent }, refused
      ? 'WeChat refused a customer-service message (or the user\'s allowance is used up); the rest of the answer is left for pickup'
      : 'sending customer-service messages failed; the rest of the answer is left for pickup');
    const rest = await unsentText();
    if (rest.trim() !== '') await pickup.leave(openId, rest).catch((pickupError: unknown) => log.error({ err: pickupError }, 'could not leave the answer for pickup'));
  }

  /** Records message `state.sent` in the ledger, sends it, and confirms it once WeChat accepted it. */
  async #send(openId: string, text: string, state: StreamState, options: CustomerServiceSendOptions): Promise<void> {
    await this.#record(openId, text, state, options);
    await this.#options.channel.sendText(openId, text);
    await this.#options.ledger.confirm(options.messageKey, state.sent - 1);
  }

  async #record(openId: string, text: string, state: StreamState, options: CustomerServiceSendOptions): Promise<void> {
    if (options.signal?.aborted === true) throw new DeliveryStopped('the job was stopped');
    const taken = await this.#options.ledger.take(openId, options.messageKey, state.sent, text);
    if (taken === 'taken') throw new DeliveryStopped('another worker is delivering this answer');
    if (taken === 'quota') throw new AllowanceUsedUp('the user\'s customer-service allowance is used up');
    state.sent += 1;
  }

  /** The rest of an answer as text (and media) within the limit, the last message as the end of a stream. */
  async #sendRest(openId: string, text: string, answer: LiveAnswer, media: AnswerMedia[], state: StreamState, options: CustomerServiceSendOptions): Promise<CustomerServiceOutcome> {
    state.unsent = text.trim() === '' ? [] : splitByUtf8Bytes(text, TEXT_MESSAGE_MAX_BYTES);
    while (state.unsent.length > 1 && state.sent < state.limit - 1) {
      const message = this.#takeMerged(state.unsent);
      await this.#send(openId, message, state, options);
    }
    return this.#finish(openId, answer, media, state, options);
  }

  async #stream(openId: string, answer: LiveAnswer, state: StreamState, options: CustomerServiceSendOptions): Promise<CustomerServiceOutcome> {
    const { channel } = this.#options;
    const segmenter = new StreamSegmenter({ maxBytes: TEXT_MESSAGE_MAX_BYTES });
    let consumed = 0;
    // Segments do not depend on how the text arrived: the first ones here are those the passive reply carried.
    let skip = options.skipSegments ?? 0;
    void channel.typing(openId).catch(() => {});
    for (;;) {
      const text = answer.text;
      if (text.length > consumed) {
        const segments = segmenter.push(text.slice(consumed));
        const skipped = Math.min(skip, segments.length);
        skip -= skipped;
        state.unsent.push(...this.#pieces(segments.slice(skipped).join('\n\n')));
        consumed = text.length;
        state.consumed = consumed;
      }
      const finished = answer.finished;
      if (finished !== undefined) state.unsent.push(...this.#pieces(segmenter.flush().join('\n\n')));
      // While the answer streams, keep the last allowed message for the end. The first message goes as soon as a
      // paragraph is complete; later ones wait until they are nearly full, so the limit carries as much as it can.
      while (state.unsent.length > 0 && state.sent < state.limit - 1 && (state.sent === 0 || finished !== undefined || this.#unsentBytes(state) >= FULL_MESSAGE_BYTES)) {
        await this.#send(openId, this.#takeMerged(state.unsent), state, options);
        if (answer.finished === undefined) void channel.typing(openId).catch(() => {});
      }
      if (finished !== undefined) return this.#finish(openId, answer, finished.media, state, options);
      await answer.nextChange();
    }
  }

  async #finish(openId: string, answer: LiveAnswer, media: AnswerMedia[], state: StreamState, options: CustomerServiceSendOptions): Promise<CustomerServiceOutcome> {
    const { channel, log } = this.#options;
    let outcome: CustomerServiceOutcome = 'delivered';
    if (state.unsent.length > 0) {
      const rest = state.unsent.join('\n\n');
      if (state.sent < state.limit && utf8ByteLength(rest) <= TEXT_MESSAGE_MAX_BYTES) {
        await this.#send(openId, rest, state, options);
        state.unsent = [];
      } else if (state.sent < state.limit) {
        const last = await this.#lastMessage(openId, answer, rest);
        await this.#send(openId, last.text, state, options);
        state.unsent = [];
        outcome = last.linked ? 'linked' : 'truncated';
      } else {
        throw new AllowanceUsedUp('no customer-service message left for the rest of the answer');
      }
    }
    for (const item of media) {
      if (state.sent >= state.limit || channel.sendMedia === undefined || channel.uploadMedia === undefined) {
        log.warn({ kind: item.kind }, 'an image or voice of the answer could not be sent (quota used up or media not supported)');
        continue;
      }
      const mediaId = await channel.uploadMedia(item);
      await this.#record(openId, `[${item.kind}]`, state, options);
      await channel.sendMedia(openId, item.kind, mediaId);
      await this.#options.ledger.confirm(options.messageKey, state.sent - 1);
    }
    return outcome;
  }

  /** The start of `rest` plus a link to the full answer, or a pickup hint with the rest left for pickup. */
  async #lastMessage(openId: string, answer: LiveAnswer, rest: string): Promise<{ text: string; linked: boolean }> {
    const { publicBaseUrl, archive, pickup } = this.#options;
    if (publicBaseUrl !== undefined) {
      const full = markdownToWeChatText(answer.text);
      await archive.save(answer.id, full);
      const link = `\n\n……完整回答：${publicBaseUrl}/a/${answer.id}`;
      const [head = ''] = splitByUtf8Bytes(rest, TEXT_MESSAGE_MAX_BYTES - utf8ByteLength(link));
      return { text: head + link, linked: true };
    }
    const hint = `\n\n……（回答较长，回复「${pickup.keyword}」查看剩余内容）`;
    const [head = '', ...tail] = splitByUtf8Bytes(rest, TEXT_MESSAGE_MAX_BYTES - utf8ByteLength(hint));
    await pickup.leave(openId, tail.join('\n\n'));
    return { text: head + hint, linked: false };
  }

  /** WeChat text pieces of a Markdown chunk, each within the size limit. */
  #pieces(markdown: string): string[] {
    if (markdown.trim() === '') return [];
    return splitByUtf8Bytes(markdownToWeChatText(markdown), TEXT_MESSAGE_MAX_BYTES);
  }

  #unsentBytes(state: StreamState): number {
    return state.unsent.reduce((total, piece) => total + utf8ByteLength(piece) + 2, 0);
  }

  /** Merges leading pieces into one message while it stays within the limit. */
  #takeMerged(pieces: string[]): string {
    let message = pieces.shift() ?? '';
    while (pieces.length > 0 && utf8ByteLength(`${message}\n\n${pieces[0]}`) <= TEXT_MESSAGE_MAX_BYTES) message = `${message}\n\n${pieces.shift()}`;
    return message;
  }
}
