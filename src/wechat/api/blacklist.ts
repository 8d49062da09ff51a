/**
 * The account's blacklist: blocked users cannot message the account or see its pushes.
 */
import type { WeChatApiClient } from './api-client.js';
import { chunks } from './chunks.js';
import { allPages, openIdPageFromWire, type OpenIdPage, type WireOpenIdPage } from './openid-page.js';

/** The most openids `batchblacklist` and `batchunblacklist` take per call. */
export const BATCH_BLACKLIST_LIMIT = 20;

export class BlacklistApi {
  constructor(private readonly client: WeChatApiClient) {}

  /** One page (up to 10000) of blocked users, starting after `beginOpenId`. */
  async list(beginOpenId?: string): Promise<OpenIdPage> {
    return openIdPageFromWire(await this.client.post<WireOpenIdPage>('/cgi-bin/tags/members/getblacklist', { begin_openid: beginOpenId ?? '' }));
  }

  /** Every page of blocked users in turn (empty pages are not yielded). */
  pages(): AsyncGenerator<OpenIdPage> {
    return allPages((next) => this.list(next));
  }

  /** Blocks users, in calls of at most 20. */
  async block(openIds: readonly string[]): Promise<void> {
    for (const chunk of chunks(openIds, BATCH_BLACKLIST_LIMIT)) {
      await this.client.post('/cgi-bin/tags/members/batchblacklist', { openid_list: chunk });
    }
  }

  /** Unblocks users, in calls of at most 20. */
  async unblock(openIds: readonly string[]): Promise<void> {
    for (const chunk of chunks(openIds, BATCH_BLACKLIST_LIMIT)) {
      await this.client.post('/cgi-bin/tags/members/batchunblacklist', { openid_list: chunk });
    }
  }
}
