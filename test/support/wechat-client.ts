/**
 * A test client that behaves like WeChat's server towards the callback: it POSTs one signed message (safe/AES
 * mode by default, through `WeChatEmulator`), waits at most 5 s for each delivery, and delivers the
 * byte-identical request again — at once, up to three deliveries in all — when a delivery times out, its
 * connection is closed or fails, or it is answered with a status other than 200. It stops at the first 200.
 * The delivery rule itself is the product's (`deliverLikeWeChat`, shared with `wx-backend simulate` and the web
 * simulator); this client adds the message builders and the reply as tests look at it.
 *
 * `noteUserMessage` is called (once) before the first delivery: that is when the user sent the message, which
 * opens the customer-service window in a fake WeChat API (`fake.noteUserMessage`).
 */
import { deliverLikeWeChat, WECHAT_DELIVERIES, WECHAT_TIMEOUT_MS, type DeliveryAttempt } from '../../src/simulator/deliver-like-wechat.js';
import { messageXml, randomMsgId, WeChatEmulator, type CallbackAnswer, type DeliveryMode, type SignedDelivery } from '../../src/simulator/wechat-emulator.js';
import type { XmlRecord } from '../../src/wechat/message/types.js';

export { WECHAT_DELIVERIES, WECHAT_TIMEOUT_MS, type DeliveryAttempt };

/** A passive reply as the user sees it (decrypted and its signature checked). */
export interface PassiveReply {
  /** `MsgType`: text, image, voice… */
  type: string;
  /** `Content` of a text reply. */
  content?: string;
  /** `Image.MediaId` / `Voice.MediaId` of a media reply. */
  mediaId?: string;
  fields: XmlRecord;
  /** In safe/compat mode: whether the reply's `MsgSignature` verified. */
  signatureValid?: boolean;
}

export interface Exchange {
  /** The signed request, as WeChat would deliver it again (a byte-identical retry). */
  request: SignedDelivery;
  deliveries: DeliveryAttempt[];
  /**
   * What the 200 answer carried: the passive reply, `'success'`, `''` (an empty body), or undefined when no
   * delivery got a 200 (WeChat gives up: the user sees nothing passively).
   */
  reply: PassiveReply | 'success' | '' | undefined;
  /** performance.now() when the user "sent" the message (just before the first delivery). */
  sentAt: number;
  /** performance.now() when the exchange ended. */
  endedAt: number;
}

export interface WeChatClientOptions {
  token: string;
  aesKey?: string;
  appId: string;
  /** The callback URL, e.g. `http://127.0.0.1:41234/wechat`. */
  callbackUrl: string;
  /** Default `safe` (encrypted). */
  mode?: DeliveryMode;
  /** WeChat's wait per delivery, ms; default 5000. */
  timeoutMs?: number;
  /** Deliveries in all; default 3. */
  maxDeliveries?: number;
  /** The account id (`ToUserName`); default `gh_test_account`. */
  accountId?: string;
  /** Called with the user's openid once per message, before its first delivery. */
  noteUserMessage?: (openId: string) => void;
}

export class WeChatClient {
  readonly emulator: WeChatEmulator;
  readonly #options: WeChatClientOptions;

  constructor(options: WeChatClientOptions) {
    this.#options = options;
    this.emulator = new WeChatEmulator(
      { token: options.token, appId: options.appId, ...(options.aesKey ? { aesKey: options.aesKey } : {}) },
      options.callbackUrl,
    );
  }

  /** A text message from `openId` (a fresh MsgId each time). */
  sendText(openId: string, content: string): Promise<Exchange> {
    return this.send(openId, 'text', { Content: content, MsgId: randomMsgId() });
  }

  /** An image message: WeChat gives a URL of the picture and its media id. */
  sendImage(openId: string, picUrl: string, mediaId: string): Promise<Exchange> {
    return this.send(openId, 'image', { PicUrl: picUrl, MediaId: mediaId, MsgId: randomMsgId() });
  }

  /** A voice message; `recognition` is WeChat's speech recognition result, when the account has it on. */
  sendVoice(openId: string, mediaId: string, recognition?: string): Promise<Exchange> {
    return this.send(openId, 'voice', { MediaId: mediaId, Format: 'amr', ...(recognition === undefined ? {} : { Recognition: recognition }), MsgId: randomMsgId() });
  }

  /** Any message type, with its own fields (`MsgId` included for user messages). */
  send(openId: string, msgType: string, fields: Record<string, string | number>): Promise<Exchange> {
    const xml = messageXml({ from: openId, to: this.#options.accountId ?? 'gh_test_account' }, msgType, fields);
    this.#options.noteUserMessage?.(openId);
    return this.deliver(this.emulator.sign(xml, this.#options.mode ?? 'safe'));
  }

  /** Delivers one signed message as WeChat does: retries the identical request until a 200, at most `maxDeliveries` times. */
  async deliver(delivery: SignedDelivery): Promise<Exchange> {
    const exchange = await deliverLikeWeChat(this.emulator, delivery, {
      timeoutMs: this.#options.timeoutMs ?? WECHAT_TIMEOUT_MS,
      maxDeliveries: this.#options.maxDeliveries ?? WECHAT_DELIVERIES,
    });
    const { deliveries, sentAt, endedAt, answer } = exchange;
    return { request: delivery, deliveries, reply: answer === undefined ? undefined : this.#readReply(answer), sentAt, endedAt };
  }

  #readReply(answer: CallbackAnswer): PassiveReply | 'success' | '' {
    if (answer.problem !== undefined) throw new Error(`the reply cannot be read: ${answer.problem}`);
    const { reply, signatureValid } = answer;
    if (reply === undefined) return answer.body === 'success' ? 'success' : '';
    const type = typeof reply.MsgType === 'string' ? reply.MsgType : '';
    const media = (reply.Image ?? reply.Voice) as XmlRecord | undefined;
    return {
      type,
      ...(typeof reply.Content === 'string' ? { content: reply.Content } : {}),
      ...(media !== undefined && typeof media.MediaId === 'string' ? { mediaId: media.MediaId } : {}),
      fields: reply,
      ...(signatureValid === undefined ? {} : { signatureValid }),
    };
  }
}

/** The text of a passive text reply, or undefined for anything else (success, empty, media, none). */
export function replyText(exchange: Exchange): string | undefined {
  return typeof exchange.reply === 'object' && exchange.reply.type === 'text' ? exchange.reply.content : undefined;
}
