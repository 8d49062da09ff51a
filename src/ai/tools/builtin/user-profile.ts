/**
 * `user_profile`: what the account knows about the user it is talking to — follow time, language, the remark
 * the operators gave them and their tags. WeChat no longer provides nicknames or avatars (only through OAuth),
 * so the model is told not to expect a name.
 *
 * The tool always looks up the current user (`context.userId`) and takes no parameters, so the model cannot be
 * talked into reading other followers' profiles.
 *
 * The profile comes through `UserProfileSource` so `ai/` stays independent of `wechat/`. The application wires it
 * to the WeChat API, e.g.:
 *
 * ```ts
 * const profiles: UserProfileSource = {
 *   async getUser(openId) {
 *     const user = await api.users.get(openId);
 *     const tagNames = new Map((await api.tags.list()).map((tag) => [tag.id, tag.name])); // worth caching
 *     return {
 *       subscribed: user.subscribed, subscribeTime: user.subscribeTime, language: user.language,
 *       remark: user.remark, tags: user.tagIds.map((id) => tagNames.get(id) ?? String(id)),
 *     };
 *   },
 * };
 * registry.add(createUserProfileTool(profiles));
 * ```
 */
import { z } from 'zod';
import { defineTool, type Tool } from '../tool.js';

export interface UserProfile {
  /** False when the user no longer follows the account; WeChat then tells nothing else. */
  subscribed: boolean;
  /** When they last followed, Unix seconds. */
  subscribeTime?: number;
  /** WeChat client language, e.g. `zh_CN`, `en`. */
  language?: string;
  /** The operators' note on the user. */
  remark?: string;
  /** Tag names (or ids, when names are unknown). */
  tags?: string[];
}

/** Looks up a follower by openid; rejects when the lookup fails. */
export interface UserProfileSource {
  getUser(openId: string): Promise<UserProfile>;
}

export function createUserProfileTool(source: UserProfileSource): Tool {
  return defineTool({
    name: 'user_profile',
    description:
      'Profile of the user you are talking to: whether and since when they follow the account, their language, ' +
      'the remark and tags the account gave them. WeChat does not provide their name.',
    parameters: z.object({}),
    async execute(_args, context) {
      const profile = await source.getUser(context.userId);
      if (!profile.subscribed) return { subscribed: false };
      return {
        subscribed: true,
        subscribedSince: profile.subscribeTime === undefined ? undefined : new Date(profile.subscribeTime * 1000).toISOString(),
        language: profile.language || undefined,
        remark: profile.remark || undefined,
        tags: profile.tags ?? [],
      };
    },
  });
}
