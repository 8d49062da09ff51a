/**
 * A minimal AccessTokenProvider for the API tests: real tokens from the fake's `stable_token` endpoint
 * (normal mode), cached until WeChat rejects them. It records what the client asks of it, so tests can
 * check the refresh-and-retry-once policy. (The product's manager implements the same interface.)
 */
import type { AccessTokenProvider } from '../../../src/wechat/access-token/access-token-provider.js';

export class StableTokenProvider implements AccessTokenProvider {
  /** The tokens `refreshAfterInvalid` was called with, in order. */
  readonly invalidated: string[] = [];
  /** Tokens fetched from `stable_token`. */
  fetches = 0;
  private cached: string | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly appId: string,
    private readonly appSecret: string,
  ) {}

  async getToken(): Promise<string> {
    this.cached ??= await this.fetchToken();
    return this.cached;
  }

  async refreshAfterInvalid(token: string): Promise<string> {
    this.invalidated.push(token);
    // Only drop the token if it is still the cached one: another caller may already have replaced it.
    if (this.cached === token) this.cached = undefined;
    return this.getToken();
  }

  private async fetchToken(): Promise<string> {
    this.fetches++;
    const response = await fetch(`${this.baseUrl}/cgi-bin/stable_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credential', appid: this.appId, secret: this.appSecret }),
    });
    const answer = (await response.json()) as { access_token?: string; errcode?: number };
    if (!answer.access_token) throw new Error(`stable_token answered errcode ${answer.errcode}`);
    return answer.access_token;
  }
}
