/**
 * Followers: profile, batch profiles, the list of followers (paged by `next_openid`) and remarks. Since 2021
 * WeChat no longer returns nicknames or avatars here (only through OAuth with `snsapi_userinfo`).
 */
import type { WeChatApiClient } from './api-client.js';
import { chunks } from './chunks.js';
import { allPages, openIdPageFromWire, type OpenIdPage, type WireOpenIdPage } from './openid-page.js';

export type Language = 'zh_CN' | 'zh_TW' | 'en';

export interface UserInfo {
  openId: string;
  /** False for someone who has unfollowed: WeChat then sends nothing else. */
  subscribed: boolean;
  language?: string;
  /** Unix seconds of the last follow. */
  subscribeTime?: number;
  /** Only when the account is bound to a WeChat Open Platform account. */
  unionId?: string;
  remark?: string;
  tagIds: number[];
  /** e.g. ADD_SCENE_QR_CODE, ADD_SCENE_SEARCH. */
  subscribeScene?: string;
  qrScene?: number;
  qrSceneStr?: string;
}

/** A page of followers. */
export type UserListPage = OpenIdPage;

/** The most profiles `/cgi-bin/user/info/batchget` returns per call. */
export const BATCH_INFO_LIMIT = 100;

interface WireUserInfo {
  subscribe: number;
  openid: string;
  language?: string;
  subscribe_time?: number;
  unionid?: string;
  remark?: string;
  tagid_list?: number[];
  subscribe_scene?: string;
  qr_scene?: number;
  qr_scene_str?: string;
}

export class UsersApi {
  constructor(private readonly client: WeChatApiClient) {}

  /** One follower's profile. Unknown openid: WeChatApiError 40003. */
  async get(openId: string, lang: Language = 'zh_CN'): Promise<UserInfo> {
    return fromWire(await this.client.get<WireUserInfo>('/cgi-bin/user/info', { query: { openid: openId, lang } }));
  }

  /** Profiles of many followers, in the order asked, in calls of at most 100. */
  async getMany(openIds: readonly string[], lang: Language = 'zh_CN'): Promise<UserInfo[]> {
    const profiles: UserInfo[] = [];
    for (const chunk of chunks(openIds, BATCH_INFO_LIMIT)) {
      const answer = await this.client.post<{ user_info_list?: WireUserInfo[] }>('/cgi-bin/user/info/batchget', {
        user_list: chunk.map((openid) => ({ openid, lang })),
      });
      profiles.push(...(answer.user_info_list ?? []).map(fromWire));
    }
    return profiles;
  }

  /** One page of followers (up to 10000), starting after `nextOpenId`. */
  async list(nextOpenId?: string): Promise<UserListPage> {
    return openIdPageFromWire(await this.client.get<WireOpenIdPage>('/cgi-bin/user/get', { query: { next_openid: nextOpenId } }));
  }

  /** Every page of followers in turn (empty pages are not yielded). */
  pages(): AsyncGenerator<UserListPage> {
    return allPages((next) => this.list(next));
  }

  /** Every follower's openid. */
  async *openIds(): AsyncGenerator<string> {
    for await (const page of this.pages()) yield* page.openIds;
  }

  /** Sets the remark the account keeps about a follower (at most 30 characters). */
  async updateRemark(openId: string, remark: string): Promise<void> {
    await this.client.post('/cgi-bin/user/info/updateremark', { openid: openId, remark });
  }
}

function fromWire(user: WireUserInfo): UserInfo {
  return {
    openId: user.openid,
    subscribed: user.subscribe === 1,
    tagIds: user.tagid_list ?? [],
    ...(user.language === undefined ? {} : { language: user.language }),
    ...(user.subscribe_time === undefined ? {} : { subscribeTime: user.subscribe_time }),
    ...(user.unionid === undefined ? {} : { unionId: user.unionid }),
    ...(user.remark === undefined ? {} : { remark: user.remark }),
    ...(user.subscribe_scene === undefined ? {} : { subscribeScene: user.subscribe_scene }),
    ...(user.qr_scene === undefined ? {} : { qrScene: user.qr_scene }),
    ...(user.qr_scene_str === undefined ? {} : { qrSceneStr: user.qr_scene_str }),
  };
}
