/**
 * Delivers an answer through customer-service (客服) messages, progressively: the first message goes out as soon
 * as the first complete paragraph or sentence group has streamed in, later ones as more completes, with the typing
 * indicator shown in between.
 *
 * WeChat allows a limited number of customer-service messages per user message (`quota`, 5 by default), each at
 * most 2048 bytes. So at most `quota - 1` messages are sent while the answer streams; the last one waits for the
 * end: if what remains fits, it is sent whole; otherwise it carries the start of the rest and a link to the full
 * answer (`/a/:id`, when PUBLIC_BASE_URL is set) or a pickup hint, and the rest is left for pickup. Nothing is lost
 * and the quota is never exceeded.
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
  /** `PUBLIC_BASE_URL`: long answers link to `{publicBaseUrl}/a/{id}`; without it, the rest is left for pickup. */
  publicBaseUrl?: string;
  /** Customer-service messages per user message (default 5). */
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
  /** WeChat refused; what was not sent is left for pickup. */
  | 'refused';

interface StreamState {
  /** Messages sent for this user message. */
  sent: number;
  /** WeChat text pieces ready but not sent yet. */
  unsent: string[];
  /** How much of the answer's Markdown went into the segmenter. */
  consumed?: number;
}

/** While an answer streams, a message after the first waits until this much text is ready (of 2048 bytes). */
const FULL_MESSAGE_BYTES = 1_600;

const REFUSALS: ReadonlySet<number> = new Set([48001, 45015, 45047]);

export class CustomerServiceDelivery {
  readonly #options: CustomerServiceDeliveryOptions;
  readonly #quota: number;

  constructor(options: CustomerServiceDeliveryOptions) {
    this.#options = options;
    this.#quota = Math.max(1, options.quota ?? 5);
  }

  /**
   * Sends `answer` to `openId` as it streams. `skipText` is text already delivered passively (the start of the
   * answer), which is not repeated. Never rejects.
   */
  async deliver(openId: string, answer: LiveAnswer, options: { messageKey: string; skipText?: string } = { messageKey: '' }): Promise<CustomerServiceOutcome> {
    const { log } = this.#options;
    const state: StreamState = { sent: 0, unsent: [] };
    try {
      return await this.#stream(openId, answer, options.skipText ?? '', state);
    } catch (error) {
      const refused = error instanceof WeChatApiError && REFUSALS.has(error.errcode);
      if (error instanceof WeChatApiError && error.errcode === 48001) await this.#options.permission.set('denied').catch(() => {});
      log.warn({ messageKey: options.messageKey, err: error, sent: state.sent }, refused
        ? 'WeChat refused a customer-service message; the rest of the answer is left for pickup'
        : 'sending customer-service messages failed; the rest of the answer is left for pickup');
      const finished = await answer.whenFinished();
      const rest = [...state.unsent, ...this.#pieces(this.#remainder(finished.text, options.skipText ?? '', state))].join('\n\n');
      if (rest.trim() !== '') await this.#options.pickup.leave(openId, rest).catch((pickupError: unknown) => log.error({ err: pickupError }, 'could not leave the answer for pickup'));
      return 'refused';
    }
  }

  /**
   * Sends an answer's remaining WeChat text (already converted, e.g. what followed a passive first part) within the
   * quota, the same way the end of a streamed answer is sent. Never rejects.
   */
  async deliverText(openId: string, text: string, answer: LiveAnswer, options: { messageKey: string; media?: AnswerMedia[] }): Promise<CustomerServiceOutcome> {
    const state = { sent: 0, unsent: splitByUtf8Bytes(text, TEXT_MESSAGE_MAX_BYTES) };
    try {
      while (state.unsent.length > 1 && state.sent < this.#quota - 1) {
        await this.#options.channel.sendText(openId, this.#takeMerged(state.unsent));
        state.sent += 1;
      }
      return await this.#finish(openId, answer, options.media ?? [], state);
    } catch (error) {
      if (error instanceof WeChatApiError && error.errcode === 48001) await this.#options.permission.set('denied').catch(() => {});
      this.#options.log.warn({ messageKey: options.messageKey, err: error, sent: state.sent }, 'sending customer-service messages failed; the rest of the answer is left for pickup');
      if (state.unsent.length > 0) await this.#options.pickup.leave(openId, state.unsent.join('\n\n')).catch(() => {});
      return 'refused';
    }
  }

  async #stream(openId: string, answer: LiveAnswer, skipText: string, state: StreamState): Promise<CustomerServiceOutcome> {
    const { channel } = this.#options;
    const segmenter = new StreamSegmenter({ maxBytes: TEXT_MESSAGE_MAX_BYTES });
    let consumed = skipText.length;
    void channel.typing(openId).catch(() => {});
    for (;;) {
      const text = answer.text;
      if (text.length > consumed) {
        state.unsent.push(...this.#pieces(segmenter.push(text.slice(consumed)).join('\n\n')));
        consumed = text.length;
        state.consumed = consumed;
      }
      const finished = answer.finished;
      if (finished !== undefined) state.unsent.push(...this.#pieces(segmenter.flush().join('\n\n')));
      // While the answer streams, keep the last allowed message for the end. The first message goes as soon as a
      // paragraph is complete; later ones wait until they are nearly full, so the quota carries as much as it can.
      while (state.unsent.length > 0 && state.sent < this.#quota - 1 && (state.sent === 0 || finished !== undefined || this.#unsentBytes(state) >= FULL_MESSAGE_BYTES)) {
        await channel.sendText(openId, this.#takeMerged(state.unsent));
        state.sent += 1;
        if (answer.finished === undefined) void channel.typing(openId).catch(() => {});
      }
      if (finished !== undefined) return this.#finish(openId, answer, finished.media, state);
      await answer.nextChange();
    }
  }

  async #finish(openId: string, answer: LiveAnswer, media: AnswerMedia[], state: { sent: number; unsent: string[] }): Promise<CustomerServiceOutcome> {
    const { channel, log } = this.#options;
    let outcome: CustomerServiceOutcome = 'delivered';
    if (state.unsent.length > 0) {
      const rest = state.unsent.join('\n\n');
      if (state.sent < this.#quota && utf8ByteLength(rest) <= TEXT_MESSAGE_MAX_BYTES) {
        await channel.sendText(openId, rest);
        state.unsent = [];
        state.sent += 1;
      } else {
        const last = await this.#lastMessage(openId, answer, rest);
        await channel.sendText(openId, last.text);
        state.unsent = [];
        state.sent += 1;
        outcome = last.linked ? 'linked' : 'truncated';
      }
    }
    for (const item of media) {
      if (state.sent >= this.#quota || channel.sendMedia === undefined || channel.uploadMedia === undefined) {
        log.warn({ kind: item.kind }, 'an image or voice of the answer could not be sent (quota used up or media not supported)');
        continue;
      }
      await channel.sendMedia(openId, item.kind, await channel.uploadMedia(item));
      state.sent += 1;
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

  /** Markdown not yet pushed into the segmenter when a failure interrupted the stream. */
  #remainder(text: string, skipText: string, state: StreamState): string {
    return text.slice(state.consumed ?? skipText.length);
  }
}
