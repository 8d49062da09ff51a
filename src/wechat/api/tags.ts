/**
 * User tags (标签): at most 100 per account, 20 per user; ids 0, 1 and 2 are WeChat's own and cannot be
 * changed. Tagged users are what conditional menus and tag-targeted pushes select by.
 */
import type { WeChatApiClient } from './api-client.js';
import { chunks } from './chunks.js';
import { openIdPageFromWire, type WireOpenIdPage } from './openid-page.js';

export interface Tag {
  id: number;
  name: string;
  /** Users carrying the tag. */
  count: number;
}

export interface TagMembersPage {
  openIds: string[];
  /** Pass to the next `members` call; undefined once exhausted. */
  nextOpenId: string | undefined;
}

/** The most openids `members/batchtagging` and `members/batchuntagging` take per call. */
export const BATCH_TAGGING_LIMIT = 50;

export class TagsApi {
  constructor(private readonly client: WeChatApiClient) {}

  /** Creates a tag (name ≤ 30 bytes, unique); resolves to its id. */
  async create(name: string): Promise<{ id: number; name: string }> {
    const answer = await this.client.post<{ tag: { id: number; name: string } }>('/cgi-bin/tags/create', { tag: { name } });
    return { id: answer.tag.id, name: answer.tag.name };
  }

  async list(): Promise<Tag[]> {
    const answer = await this.client.get<{ tags?: Tag[] }>('/cgi-bin/tags/get');
    return (answer.tags ?? []).map(({ id, name, count }) => ({ id, name, count }));
  }

  async update(id: number, name: string): Promise<void> {
    await this.client.post('/cgi-bin/tags/update', { tag: { id, name } });
  }

  /** Deletes a tag (and removes it from its users). */
  async delete(id: number): Promise<void> {
    await this.client.post('/cgi-bin/tags/delete', { tag: { id } });
  }

  /** One page (up to 10000) of the users carrying a tag, starting after `nextOpenId`. */
  async members(tagId: number, nextOpenId?: string): Promise<TagMembersPage> {
    const answer = await this.client.post<WireOpenIdPage>('/cgi-bin/user/tag/get', { tagid: tagId, next_openid: nextOpenId ?? '' });
    const { openIds, nextOpenId: next } = openIdPageFromWire(answer);
    return { openIds, nextOpenId: next };
  }

  /** Tags users, in calls of at most 50. */
  async tagUsers(tagId: number, openIds: readonly string[]): Promise<void> {
    for (const chunk of chunks(openIds, BATCH_TAGGING_LIMIT)) {
      await this.client.post('/cgi-bin/tags/members/batchtagging', { openid_list: chunk, tagid: tagId });
    }
  }

  /** Removes a tag from users, in calls of at most 50. */
  async untagUsers(tagId: number, openIds: readonly string[]): Promise<void> {
    for (const chunk of chunks(openIds, BATCH_TAGGING_LIMIT)) {
      await this.client.post('/cgi-bin/tags/members/batchuntagging', { openid_list: chunk, tagid: tagId });
    }
  }

  /** The ids of the tags a user carries. */
  async tagsOfUser(openId: string): Promise<number[]> {
    const answer = await this.client.post<{ tagid_list?: number[] }>('/cgi-bin/tags/getidlist', { openid: openId });
    return answer.tagid_list ?? [];
  }
}
