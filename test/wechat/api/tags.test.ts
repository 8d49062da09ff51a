import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WeChatApiError } from '../../../src/wechat/api/wechat-api-error.js';
import { rejection, startApiFixture, type ApiFixture } from './api-fixture.js';

const openIds = Array.from({ length: 120 }, (_, index) => `o_tagged_${index}`);

async function errcodeOf(promise: Promise<unknown>): Promise<number> {
  const error = await rejection(promise);
  assert.ok(error instanceof WeChatApiError, String(error));
  return error.errcode;
}

describe('TagsApi', () => {
  let fixture: ApiFixture;
  before(async () => {
    fixture = await startApiFixture({ fake: { listPageSize: 50 } });
    for (const openId of openIds) fixture.fake.addUser({ openId });
  });
  after(() => fixture.close());

  it('creates, lists, renames and deletes tags', async () => {
    const { api } = fixture;
    const tag = await api.tags.create('客户');
    assert.equal(tag.name, '客户');
    assert.ok(tag.id >= 100);
    assert.deepEqual(await api.tags.list(), [
      { id: 2, name: '星标组', count: 0 },
      { id: tag.id, name: '客户', count: 0 },
    ]);
    await api.tags.update(tag.id, '老客户');
    assert.equal((await api.tags.list()).find((candidate) => candidate.id === tag.id)?.name, '老客户');
    await api.tags.delete(tag.id);
    assert.deepEqual((await api.tags.list()).map((candidate) => candidate.id), [2]);
  });

  it('tags and untags users in calls of at most 50, and lists a tag\'s users by page', async () => {
    const { api, fake } = fixture;
    const tag = await api.tags.create('批量');
    const before = fake.callsTo('/cgi-bin/tags/members/batchtagging').length;
    await api.tags.tagUsers(tag.id, openIds);
    assert.deepEqual(
      fake.callsTo('/cgi-bin/tags/members/batchtagging').slice(before).map((call) => (call.body as { openid_list: string[] }).openid_list.length),
      [50, 50, 20],
    );
    assert.equal((await api.tags.list()).find((candidate) => candidate.id === tag.id)?.count, 120);
    assert.deepEqual(await api.tags.tagsOfUser(openIds[7] ?? ''), [tag.id]);

    const first = await api.tags.members(tag.id);
    assert.equal(first.openIds.length, 50);
    const members = [...first.openIds];
    for (let next = first.nextOpenId; next !== undefined; ) {
      const page = await api.tags.members(tag.id, next);
      members.push(...page.openIds);
      next = page.nextOpenId;
    }
    assert.deepEqual(members, openIds);

    await api.tags.untagUsers(tag.id, openIds.slice(0, 60));
    assert.equal((await api.tags.list()).find((candidate) => candidate.id === tag.id)?.count, 60);
    assert.deepEqual(await api.tags.tagsOfUser(openIds[7] ?? ''), []);
  });

  it('WeChat\'s refusals: duplicate or long names, system tags, unknown ids and openids', async () => {
    const { api } = fixture;
    await api.tags.create('唯一');
    assert.equal(await errcodeOf(api.tags.create('唯一')), 45157);
    assert.equal(await errcodeOf(api.tags.create('长'.repeat(11))), 45158);
    assert.equal(await errcodeOf(api.tags.update(2, '星标')), 45058);
    assert.equal(await errcodeOf(api.tags.delete(2)), 45058);
    assert.equal(await errcodeOf(api.tags.delete(99_999)), 45159);
    assert.equal(await errcodeOf(api.tags.tagUsers(2, ['o_nobody'])), 40003);
    assert.equal(await errcodeOf(api.tags.tagsOfUser('o_nobody')), 40003);
  });
});
