/**
 * Followers: profiles, the paged follower list and remarks.
 */
import type { FakeUser } from './fake-state.js';
import { asObject, FakeFailure, json, ok, openIdPage, requireUser, type FakeRoute } from './fake-route.js';

const BATCH_INFO_LIMIT = 100;
const REMARK_LIMIT = 30;

/** `/cgi-bin/user/info`'s answer: no nickname or avatar (WeChat stopped sending them in 2021). */
function userInfo(user: FakeUser): Record<string, unknown> {
  if (!user.subscribed) return { subscribe: 0, openid: user.openId, ...(user.unionId ? { unionid: user.unionId } : {}) };
  return {
    subscribe: 1,
    openid: user.openId,
    language: user.language,
    subscribe_time: user.subscribeTime,
    ...(user.unionId ? { unionid: user.unionId } : {}),
    remark: user.remark,
    groupid: 0,
    tagid_list: user.tagIds,
    subscribe_scene: user.subscribeScene,
    qr_scene: user.qrScene,
    qr_scene_str: user.qrSceneStr,
  };
}

export const userRoutes: FakeRoute[] = [
  {
    method: 'GET',
    path: '/cgi-bin/user/info',
    handle({ query }, context) {
      const openId = query.get('openid');
      if (!openId) throw new FakeFailure(41009);
      return json(userInfo(requireUser(context, openId)));
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/user/info/batchget',
    handle({ json: body }, context) {
      const list = body.user_list;
      if (!Array.isArray(list) || list.length === 0 || list.length > BATCH_INFO_LIMIT) throw new FakeFailure(40032);
      return json({ user_info_list: list.map((item) => userInfo(requireUser(context, asObject(item).openid))) });
    },
  },
  {
    method: 'GET',
    path: '/cgi-bin/user/get',
    handle({ query }, { state, listPageSize }) {
      const followers = [...state.users.values()].filter((user) => user.subscribed).map((user) => user.openId);
      return json({ total: followers.length, ...openIdPage(followers, query.get('next_openid') ?? '', listPageSize) });
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/user/info/updateremark',
    handle({ json: body }, context) {
      const user = requireUser(context, body.openid);
      if (typeof body.remark !== 'string' || [...body.remark].length > REMARK_LIMIT) throw new FakeFailure(40035);
      user.remark = body.remark;
      return ok();
    },
  },
];
