/**
 * `GET/POST {WECHAT_PATH}`: WeChat's server verification and message callback, in plaintext, compatible and
 * safe (AES) modes — as a framework-free function from (query, body) to a response, so that the hot path can
 * run directly on `node:http` (see raw-callback-handler.ts).
 *
 * Status codes (SPEC §3): a missing or wrong `signature`/`timestamp`/`nonce`, a wrong `msg_signature`, a stale
 * timestamp, or a plaintext POST while AES is required → 403; an empty body, malformed XML, any DOCTYPE, bad
 * base64, bad padding, a bad length field, a wrong appid, or a safe-mode body without `Encrypt` → 400. (A body
 * over the limit → 413 is decided while reading it.) Nothing rejected reaches the dispatcher. An authentic
 * message always gets a well-formed 200 answer: its reply, `success`, or `EXTERNAL_SERVICE_ERROR_MSG` when
 * something inside failed.
 */
import type { Logger } from 'pino';
import type { WeChatConfig } from '../../config/app-config.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { DeliveryResult, MessageDispatcher } from '../../conversation/message-dispatcher.js';
import { WeChatCryptoError } from '../../wechat/crypto/crypto-error.js';
import type { MessageCrypto } from '../../wechat/crypto/message-crypto.js';
import { signature3, signaturesEqual } from '../../wechat/crypto/signature.js';
import { MessageFormatError, parseMessage } from '../../wechat/message/parse-message.js';
import type { InboundMessage } from '../../wechat/message/types.js';
import { SUCCESS_BODY } from '../../wechat/reply/build-reply.js';
import { parseXml, XmlParseError } from '../../wechat/xml/parse-xml.js';
import type { Query } from './query-string.js';

export interface CallbackProcessorOptions {
  wechat: WeChatConfig;
  /** Present when `WECHAT_AES_KEY` is configured. */
  messageCrypto?: MessageCrypto;
  /** Turns an authentic message into its reply; never rejects (failures become EXTERNAL_SERVICE_ERROR_MSG). */
  dispatcher: MessageDispatcher;
  log: Logger;
  /** Counts rejected requests (`wx_callbacks_rejected_total`). */
  metrics?: Metrics;
  now?: () => number;
}

export interface CallbackResponse {
  status: number;
  contentType: string;
  body: string;
  /**
   * Set when the answer is held for WeChat's retries: answer nothing until it settles — with a response (the
   * answer became ready while WeChat may still be waiting) or with undefined, meaning close the connection without
   * an answer so that WeChat retries. `status`, `contentType` and `body` are then unused.
   */
  held?: Promise<CallbackResponse | undefined>;
  /** Called by the HTTP layer once this response was written (set on a held delivery's late answer). */
  sent?: () => void;
}

export const XML_TYPE = 'application/xml; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

/** A rejected request: the status, and a reason safe to show the caller (no secrets, no request data). */
class Rejection {
  constructor(
    readonly status: 400 | 403,
    readonly reason: string,
  ) {}
}

const single = (value: string | string[] | undefined): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

export class CallbackProcessor {
  readonly #options: CallbackProcessorOptions;
  readonly #now: () => number;
  readonly #toleranceMs: number;

  constructor(options: CallbackProcessorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#toleranceMs = options.wechat.timestampToleranceSeconds * 1000;
  }

  /** Server verification: echoes `echostr` when the signature is valid. */
  verify(query: Query, client: string): CallbackResponse {
    try {
      this.#authenticate(query);
    } catch (error) {
      return this.#reject(error, client, 'GET');
    }
    const echostr = single(query.echostr);
    if (echostr === undefined) return this.#reject(new Rejection(400, 'missing echostr'), client, 'GET');
    return { status: 200, contentType: TEXT_TYPE, body: echostr };
  }

  /**
   * A message delivery. Never throws or rejects: every failure becomes a response. Synchronous when the whole
   * delivery is (see MessageDispatcher).
   */
  receive(query: Query, body: string, client: string): CallbackResponse | Promise<CallbackResponse> {
    let parsed: { message: InboundMessage; encrypted: boolean };
    try {
      parsed = this.#readMessage(query, body);
    } catch (error) {
      return this.#reject(error, client, 'POST');
    }
    const { message, encrypted } = parsed;
    const delivery = this.#options.dispatcher.dispatch(message);
    return delivery instanceof Promise ? delivery.then((settled) => this.#respond(settled, encrypted)) : this.#respond(delivery, encrypted);
  }

  #respond({ replyXml, later, lateReplySent }: DeliveryResult, encrypted: boolean): CallbackResponse {
    if (later !== undefined) {
      const held = later.then(
        (reply) => {
          if (reply === undefined) return undefined;
          const response = this.#respond({ replyXml: reply, source: 'waited', messageKey: '' }, encrypted);
          return lateReplySent === undefined || reply === '' ? response : { ...response, sent: lateReplySent };
        },
        () => undefined,
      );
      return { status: 0, contentType: TEXT_TYPE, body: '', held };
    }
    if (replyXml === '') return { status: 200, contentType: TEXT_TYPE, body: SUCCESS_BODY };
    const { messageCrypto } = this.#options;
    return { status: 200, contentType: XML_TYPE, body: encrypted && messageCrypto ? messageCrypto.encryptReply(replyXml) : replyXml };
  }

  /** Verifies `signature` over token/timestamp/nonce and the timestamp window; returns the timestamp and nonce. */
  #authenticate(query: Query): { timestamp: string; nonce: string } {
    const signature = single(query.signature);
    const timestamp = single(query.timestamp);
    const nonce = single(query.nonce);
    if (!signature || !timestamp || !nonce) throw new Rejection(403, 'missing signature, timestamp or nonce');
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(this.#now() - Number(timestamp) * 1000) > this.#toleranceMs) {
      throw new Rejection(403, 'timestamp outside the accepted window');
    }
    if (!signaturesEqual(signature3(this.#options.wechat.token, timestamp, nonce), signature)) {
      throw new Rejection(403, 'invalid signature');
    }
    return { timestamp, nonce };
  }

  /** Everything between the raw request and a parsed message; throws a Rejection for bad input. */
  #readMessage(query: Query, body: string): { message: InboundMessage; encrypted: boolean } {
    const { timestamp, nonce } = this.#authenticate(query);
    const { messageCrypto, wechat } = this.#options;
    if (body.trim() === '') throw new Rejection(400, 'empty body');
    const envelope = parseXml(body);
    const encrypted = query.encrypt_type === 'aes';
    let fields = envelope.fields;
    if (encrypted) {
      if (!messageCrypto) throw new Rejection(400, 'encrypted message, but WECHAT_AES_KEY is not configured');
      const payload = fields.Encrypt;
      if (typeof payload !== 'string' || payload === '') throw new Rejection(400, 'encrypted mode without an Encrypt element');
      // msg_signature before decrypting: nothing about the plaintext (padding, length, appid) is revealed to a
      // sender who cannot sign.
      if (!messageCrypto.verifyMsgSignature(single(query.msg_signature), timestamp, nonce, payload)) {
        throw new Rejection(403, 'invalid msg_signature');
      }
      fields = parseXml(messageCrypto.decrypt(payload)).fields;
    } else if (messageCrypto && !wechat.allowPlaintext) {
      throw new Rejection(403, 'plaintext message refused: WECHAT_AES_KEY is set (set WECHAT_ALLOW_PLAINTEXT=true to accept)');
    }
    return { message: parseMessage(fields), encrypted };
  }

  /** Maps an input error to its response. */
  #reject(error: unknown, client: string, method: string): CallbackResponse {
    let rejection: Rejection;
    if (error instanceof Rejection) rejection = error;
    else if (error instanceof XmlParseError) rejection = new Rejection(400, `malformed XML (${error.code})`);
    else if (error instanceof WeChatCryptoError) rejection = new Rejection(400, `cannot decrypt message (${error.code})`);
    else if (error instanceof MessageFormatError) rejection = new Rejection(400, 'not a WeChat message');
    else {
      // A bug, not bad input: still a client error to WeChat (it retries), never a 5xx, and a log line.
      this.#options.log.error({ err: error, method }, 'reading a callback request failed unexpectedly');
      rejection = new Rejection(400, 'cannot read the message');
    }
    this.#options.log.warn({ status: rejection.status, reason: rejection.reason, ip: client, method }, 'wechat callback rejected');
    this.#options.metrics?.callbacksRejected.labels(String(rejection.status)).inc();
    return { status: rejection.status, contentType: TEXT_TYPE, body: rejection.reason };
  }
}
