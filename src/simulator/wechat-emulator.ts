/**
 * Plays WeChat's server: builds the POSTs WeChat sends to the callback — signed, and in compatible or safe mode
 * encrypted — and reads the answers back (verifying `MsgSignature` and decrypting). Used by the
 * `wx-backend simulate` command, the integration tests and the web simulator, so nobody needs a real account.
 * WeChat's retry rule on top of it: deliver-like-wechat.ts.
 */
import { randomInt } from 'node:crypto';
import { MessageCrypto } from '../wechat/crypto/message-crypto.js';
import { sha1Signature } from '../wechat/crypto/signature.js';
import type { XmlRecord } from '../wechat/message/types.js';
import { cdata } from '../wechat/reply/cdata.js';
import { parseXml } from '../wechat/xml/parse-xml.js';

export type DeliveryMode = 'plain' | 'compat' | 'safe';

export interface EmulatorCredentials {
  token: string;
  aesKey?: string;
  appId: string;
}

/** One POST exactly as WeChat would send it; sending it again is a byte-identical retry. */
export interface SignedDelivery {
  /** Callback URL with the signed query string. */
  url: string;
  body: string;
  mode: DeliveryMode;
}

export interface CallbackAnswer {
  status: number;
  body: string;
  contentType: string;
  /** The answer's message when it is XML (decrypted in compat/safe mode); undefined for `success`/empty. */
  reply?: XmlRecord;
  /** In compat/safe mode, whether the answer's `MsgSignature` verified. */
  signatureValid?: boolean;
  /** Set (by `deliverLikeWeChat`) when a 200 body is not a reply WeChat could read: the user would see nothing. */
  problem?: string;
}

export interface MessageFields {
  /** The user's openid. */
  from: string;
  /** The account id (gh_…). */
  to: string;
  createTime?: number;
}

const seconds = () => Math.floor(Date.now() / 1000);

/** A random 64-bit-range message id, as a decimal string. */
export const randomMsgId = (): string => `${randomInt(1, 2 ** 47)}${String(randomInt(0, 100000)).padStart(5, '0')}`;

export function textMessageXml(fields: MessageFields & { content: string; msgId?: string }): string {
  return messageXml(fields, 'text', { Content: fields.content, MsgId: fields.msgId ?? randomMsgId() });
}

export function eventXml(fields: MessageFields & { event: string; eventKey?: string }): string {
  return messageXml(fields, 'event', { Event: fields.event, ...(fields.eventKey === undefined ? {} : { EventKey: fields.eventKey }) });
}

/** A flat message of any type; numeric-looking values (ids, coordinates) are written without CDATA. */
export function messageXml(fields: MessageFields, msgType: string, extra: Record<string, string | number>): string {
  const elements = [
    `<ToUserName>${cdata(fields.to)}</ToUserName>`,
    `<FromUserName>${cdata(fields.from)}</FromUserName>`,
    `<CreateTime>${fields.createTime ?? seconds()}</CreateTime>`,
    `<MsgType>${cdata(msgType)}</MsgType>`,
    ...Object.entries(extra).map(([name, value]) =>
      typeof value === 'number' || name === 'MsgId' ? `<${name}>${value}</${name}>` : `<${name}>${cdata(value)}</${name}>`),
  ];
  return `<xml>${elements.join('')}</xml>`;
}

export class WeChatEmulator {
  readonly #credentials: EmulatorCredentials;
  readonly #callbackUrl: string;
  readonly #crypto: MessageCrypto | undefined;

  /** `callbackUrl`: the full callback address, e.g. `http://127.0.0.1:5080/wechat`. */
  constructor(credentials: EmulatorCredentials, callbackUrl: string) {
    this.#credentials = credentials;
    this.#callbackUrl = callbackUrl;
    this.#crypto = credentials.aesKey
      ? new MessageCrypto({ token: credentials.token, aesKey: credentials.aesKey, appId: credentials.appId })
      : undefined;
  }

  /** Signs (and in compat/safe mode encrypts) a message the way WeChat does. */
  sign(messageXml: string, mode: DeliveryMode, options: { timestamp?: number; nonce?: string } = {}): SignedDelivery {
    const timestamp = String(options.timestamp ?? seconds());
    const nonce = options.nonce ?? String(randomInt(100_000_000, 2_000_000_000));
    const query = new URLSearchParams({ signature: sha1Signature(this.#credentials.token, timestamp, nonce), timestamp, nonce });
    const openid = /<FromUserName><!\[CDATA\[([^\]]*)\]\]><\/FromUserName>/.exec(messageXml)?.[1];
    if (openid) query.set('openid', openid);
    if (mode === 'plain') return { url: `${this.#callbackUrl}?${query}`, body: messageXml, mode };
    const crypto = this.#requireCrypto();
    const encrypted = crypto.encrypt(messageXml);
    query.set('encrypt_type', 'aes');
    query.set('msg_signature', crypto.msgSignature(timestamp, nonce, encrypted));
    const to = /<ToUserName>(.*?)<\/ToUserName>/.exec(messageXml)?.[1] ?? '';
    // Compatible mode carries the plaintext fields too; safe mode only the addressee and the ciphertext.
    const body = mode === 'compat'
      ? messageXml.replace(/<\/xml>\s*$/, `<Encrypt>${cdata(encrypted)}</Encrypt></xml>`)
      : `<xml><ToUserName>${to}</ToUserName><Encrypt>${cdata(encrypted)}</Encrypt></xml>`;
    return { url: `${this.#callbackUrl}?${query}`, body, mode };
  }

  /** Sends a delivery and reads the answer. `timeoutMs` plays WeChat's 5 s limit. */
  async deliver(delivery: SignedDelivery, options: { timeoutMs?: number } = {}): Promise<CallbackAnswer> {
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: delivery.body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
    const body = await response.text();
    return this.readAnswer(response.status, body, response.headers.get('content-type') ?? '', delivery.mode);
  }

  /** An answer as WeChat reads it: a 200 with an XML body is parsed (and in compat/safe mode verified and decrypted). */
  readAnswer(status: number, body: string, contentType: string, mode: DeliveryMode): CallbackAnswer {
    const answer: CallbackAnswer = { status, body, contentType };
    if (status !== 200 || body === '' || body === 'success') return answer;
    return { ...answer, ...this.readReply(body, mode) };
  }

  /** Parses an answer body; in compat/safe mode verifies its signature and decrypts it. */
  readReply(body: string, mode: DeliveryMode): { reply: XmlRecord; signatureValid?: boolean } {
    const fields = parseXml(body).fields;
    if (mode === 'plain') return { reply: fields };
    const crypto = this.#requireCrypto();
    const { Encrypt: encrypted, MsgSignature: signature, TimeStamp: timestamp, Nonce: nonce } = fields;
    if (typeof encrypted !== 'string' || typeof timestamp !== 'string' || typeof nonce !== 'string') {
      throw new Error('the answer is not an encrypted reply envelope');
    }
    const signatureValid = crypto.verifyMsgSignature(typeof signature === 'string' ? signature : undefined, timestamp, nonce, encrypted);
    return { reply: parseXml(crypto.decrypt(encrypted)).fields, signatureValid };
  }

  #requireCrypto(): MessageCrypto {
    if (!this.#crypto) throw new Error('compat and safe mode need the EncodingAESKey (WECHAT_AES_KEY)');
    return this.#crypto;
  }
}
