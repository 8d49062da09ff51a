/**
 * User tags and the blacklist (which WeChat files under the tags API).
 */
import { utf8ByteLength } from '../../delivery/text/split-by-bytes.js';
import { SYSTEM_TAG_IDS, type FakeTag, type FakeWeChatState } from './fake-state.js';
import {
  asObject,
  FakeFailure,
  json,
  ok,
  openIdPage,
  requireOpenIdList,
  requireUser,
  type FakeContext,
  type FakeRoute,
} from './fake-route.js';

const TAG_LIMIT = 100;
const TAGS_PER_USER_LIMIT = 20;
const TAG_NAME_BYTES = 30;
const BATCH_TAGGING_LIMIT = 50;
const BATCH_BLACKLIST_LIMIT = 20;

function checkTagName(state: FakeWeChatState, name: unknown, exceptId?: number): string {
  if (typeof name !== 'string' || name.length === 0) throw new FakeFailure(45157);
  if (utf8ByteLength(name) > TAG_NAME_BYTES) throw new FakeFailure(45158);
  for (const tag of state.tags.values()) if (tag.name === name && tag.id !== exceptId) throw new FakeFailure(45157);
  return name;
}

function findTag(state: FakeWeChatState, id: unknown): FakeTag {
  const tag = state.tags.get(Number(id));
  if (!tag) throw new FakeFailure(45159);
  return tag;
}

/** A user-defined tag (the system ones cannot be changed: 45058). */
function findOwnTag(state: FakeWeChatState, id: unknown): FakeTag {
  if (SYSTEM_TAG_IDS.has(Number(id))) throw new FakeFailure(45058);
  return findTag(state, id);
}

/** All users of an openid list, checked before any is changed (WeChat applies a batch whole or not at all). */
function usersOf(context: FakeContext, list: unknown, limit: number) {
  return requireOpenIdList(list, limit).map((openId) => requireUser(context, openId));
}

export const tagRoutes: FakeRoute[] = [
  {
    method: 'POST',
    path: '/cgi-bin/tags/create',
    handle({ json: body }, { state }) {
      const name = checkTagName(state, asObject(body.tag).name);
      if ([...state.tags.keys()].filter((id) => !SYSTEM_TAG_IDS.has(id)).length >= TAG_LIMIT) throw new FakeFailure(45056);
      const tag = { id: state.next.tagId++, name };
      state.tags.set(tag.id, tag);
      return json({ tag });
    },
  },
  {
    method: 'GET',
    path: '/cgi-bin/tags/get',
    handle(_request, { state }) {
      const users = [...state.users.values()];
      return json({
        tags: [...state.tags.values()].map((tag) => ({ ...tag, count: users.filter((user) => user.tagIds.includes(tag.id)).length })),
      });
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/tags/update',
    handle({ json: body }, { state }) {
      const requested = asObject(body.tag);
      const tag = findOwnTag(state, requested.id);
      tag.name = checkTagName(state, requested.name, tag.id);
      return ok();
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/tags/delete',
    handle({ json: body }, { state }) {
      const tag = findOwnTag(state, asObject(body.tag).id);
      state.tags.delete(tag.id);
      for (const user of state.users.values()) user.tagIds = user.tagIds.filter((id) => id !== tag.id);
      return ok();
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/user/tag/get',
    handle({ json: body }, { state, listPageSize }) {
      const tag = findTag(state, body.tagid);
      const members = [...state.users.values()].filter((user) => user.tagIds.includes(tag.id)).map((user) => user.openId);
      return json(openIdPage(members, typeof body.next_openid === 'string' ? body.next_openid : '', listPageSize));
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/tags/members/batchtagging',
    handle({ json: body }, context) {
      const tag = findTag(context.state, body.tagid);
      const users = usersOf(context, body.openid_list, BATCH_TAGGING_LIMIT);
      if (users.some((user) => !user.tagIds.includes(tag.id) && user.tagIds.length >= TAGS_PER_USER_LIMIT)) throw new FakeFailure(45059);
      for (const user of users) if (!user.tagIds.includes(tag.id)) user.tagIds.push(tag.id);
      return ok();
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/tags/members/batchuntagging',
    handle({ json: body }, context) {
      const tag = findTag(context.state, body.tagid);
      for (const user of usersOf(context, body.openid_list, BATCH_TAGGING_LIMIT)) user.tagIds = user.tagIds.filter((id) => id !== tag.id);
      return ok();
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/tags/getidlist',
    handle({ json: body }, context) {
      return json({ tagid_list: requireUser(context, body.openid).tagIds });
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/tags/members/getblacklist',
    handle({ json: body }, { state, listPageSize }) {
      const blocked = [...state.blacklist];
      const after = typeof body.begin_openid === 'string' ? body.begin_openid : '';
      return json({ total: blocked.length, ...openIdPage(blocked, after, listPageSize) });
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/tags/members/batchblacklist',
    handle({ json: body }, context) {
      for (const user of usersOf(context, body.openid_list, BATCH_BLACKLIST_LIMIT)) context.state.blacklist.add(user.openId);
      return ok();
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/tags/members/batchunblacklist',
    handle({ json: body }, context) {
      for (const user of usersOf(context, body.openid_list, BATCH_BLACKLIST_LIMIT)) context.state.blacklist.delete(user.openId);
      return ok();
    },
  },
];
