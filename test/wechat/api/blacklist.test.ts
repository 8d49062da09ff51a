import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WeChatApiError } from '../../../src/wechat/api/wechat-api-error.js';
import { rejection, startApiFixture, type ApiFixture } from './api-fixture.js';

const openIds = Array.from({ length: 45 }, (_, index) => `o_blocked_${index}`);

describe('BlacklistApi', () => {
  let fixture: ApiFixture;
  before(async () => {
    fixture = await startApiFixture({ fake: { listPageSize: 20 } });
    for (const openId of openIds) fixture.fake.addUser({ openId });
  });
  after(() => fixture.close());

  it('blocks in calls of at most 20, lists by page, unblocks', async () => {
    const { api, fake } = fixture;
    assert.deepEqual(await api.blacklist.list(), { total: 0, openIds: [], nextOpenId: undefined });
    await api.blacklist.block(openIds);
    assert.deepEqual(
      fake.callsTo('/cgi-bin/tags/members/batchblacklist').map((call) => (call.body as { openid_list: string[] }).openid_list.length),
      [20, 20, 5],
    );
    const first = await api.blacklist.list();
    assert.equal(first.total, 45);
    assert.equal(first.openIds.length, 20);
    const blocked: string[] = [];
    for await (const page of api.blacklist.pages()) blocked.push(...page.openIds);
    assert.deepEqual(blocked, openIds);

    await api.blacklist.unblock(openIds.slice(0, 40));
    assert.deepEqual((await api.blacklist.list()).openIds, openIds.slice(40));
    assert.deepEqual([...fake.state.blacklist], openIds.slice(40));
  });

  it('an unknown openid fails the whole batch with 40003', async () => {
    const error = await rejection(fixture.api.blacklist.block([openIds[0] ?? '', 'o_nobody']));
    assert.ok(error instanceof WeChatApiError && error.errcode === 40003);
    assert.ok(!fixture.fake.state.blacklist.has(openIds[0] ?? ''));
  });
});
