/**
 * JS-SDK: the jsapi ticket and the `wx.config` signature of a page. This fetches the ticket raw; caching and
 * sharing it across instances (it is valid 7200 s and its fetches are rate-limited) is the credential
 * manager's job, like the access token's.
 */
import { randomBytes } from 'node:crypto';
import { jsapiSignature } from '../crypto/signature.js';
import type { WeChatApiClient } from './api-client.js';

/** `jsapi` for `wx.config`; `wx_card` for card APIs. */
export type TicketType = 'jsapi' | 'wx_card';

export interface JsapiTicket {
  ticket: string;
  expiresInSeconds: number;
}

/** What a page passes to `wx.config` (besides `jsApiList`). */
export interface JsapiConfig {
  appId: string;
  /** Unix seconds. */
  timestamp: number;
  nonceStr: string;
  signature: string;
}

export interface JssdkApiOptions {
  /** The account's AppID, which `wx.config` needs. */
  appId?: string;
}

const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export class JssdkApi {
  constructor(
    private readonly client: WeChatApiClient,
    private readonly options: JssdkApiOptions = {},
  ) {}

  /** Fetches a new ticket (`/cgi-bin/ticket/getticket`); not cached here. */
  async fetchTicket(type: TicketType = 'jsapi'): Promise<JsapiTicket> {
    const answer = await this.client.get<{ ticket: string; expires_in: number }>('/cgi-bin/ticket/getticket', { query: { type } });
    return { ticket: answer.ticket, expiresInSeconds: answer.expires_in };
  }

  /**
   * Signs `wx.config` for the page at `url` (its full URL; anything from `#` on is ignored). `timestamp`
   * and `nonceStr` default to now and 16 random letters and digits.
   */
  signJsapiConfig(ticket: string, url: string, options: { timestamp?: number; nonceStr?: string } = {}): JsapiConfig {
    const { appId } = this.options;
    if (!appId) throw new Error("signing wx.config needs the account's appId: pass it to createWeChatApi / JssdkApi");
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    const nonceStr = options.nonceStr ?? randomNonce(16);
    return { appId, timestamp, nonceStr, signature: jsapiSignature({ ticket, nonceStr, timestamp, url }) };
  }
}

function randomNonce(length: number): string {
  // 248 = 4 × 62: dropping bytes at or above it keeps every character equally likely.
  let nonce = '';
  while (nonce.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && nonce.length < length) nonce += NONCE_ALPHABET[byte % NONCE_ALPHABET.length];
    }
  }
  return nonce;
}
