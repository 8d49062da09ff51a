import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WeChatApiError } from '../../../src/wechat/api/wechat-api-error.js';
import { rejection, startApiFixture, type ApiFixture } from './api-fixture.js';

const openIdOf = (index: number): string => `o_user_${String(index).padStart(4, '0')}`;

describe('UsersApi', () => {
  let fixture: ApiFixture;
  before(async () => {
    fixture = await startApiFixture({ fake: { listPageSize: 100 } });
    for (let index = 0; index < 250; index++) fixture.fake.addUser({ openId: openIdOf(index), language: index % 2 ? 'en' : 'zh_CN' });
    fixture.fake.addUser({ openId: 'o_unionid', unionId: 'u_123', remark: 'VIP', tagIds: [2], qrScene: 42, subscribeScene: 'ADD_SCENE_QR_CODE', subscribeTime: 1_700_000_000 });
    fixture.fake.addUser({ openId: 'o_left', subscribed: false });
  });
  after(() => fixture.close());

  it('gets one profile in domain form', async () => {
    assert.deepEqual(await fixture.api.users.get('o_unionid', 'en'), {
      openId: 'o_unionid',
      subscribed: true,
      language: 'zh_CN',
      subscribeTime: 1_700_000_000,
      unionId: 'u_123',
      remark: 'VIP',
      tagIds: [2],
      subscribeScene: 'ADD_SCENE_QR_CODE',
      qrScene: 42,
      qrSceneStr: '',
    });
    assert.deepEqual(fixture.fake.callsTo('/cgi-bin/user/info').at(-1)?.query, { openid: 'o_unionid', lang: 'en' });
    assert.deepEqual(await fixture.api.users.get('o_left'), { openId: 'o_left', subscribed: false, tagIds: [] });
  });

  it('an unknown openid is 40003', async () => {
    const error = await rejection(fixture.api.users.get('o_nobody'));
    assert.ok(error instanceof WeChatApiError && error.errcode === 40003);
  });

  it('gets many profiles in calls of at most 100, in order', async () => {
    const wanted = Array.from({ length: 230 }, (_, index) => openIdOf(229 - index));
    const before = fixture.fake.callsTo('/cgi-bin/user/info/batchget').length;
    const profiles = await fixture.api.users.getMany(wanted);
    assert.deepEqual(profiles.map((profile) => profile.openId), wanted);
    const calls = fixture.fake.callsTo('/cgi-bin/user/info/batchget').slice(before);
    assert.deepEqual(calls.map((call) => (call.body as { user_list: unknown[] }).user_list.length), [100, 100, 30]);
    assert.deepEqual(await fixture.api.users.getMany([]), []);
  });

  it('lists followers page by page, and all of them through the async iterators', async () => {
    const first = await fixture.api.users.list();
    assert.equal(first.total, 251);
    assert.equal(first.openIds.length, 100);
    assert.equal(first.nextOpenId, openIdOf(99));
    const second = await fixture.api.users.list(first.nextOpenId);
    assert.equal(second.openIds[0], openIdOf(100));

    const pages = [];
    for await (const page of fixture.api.users.pages()) pages.push(page.openIds.length);
    assert.deepEqual(pages, [100, 100, 51]);
    const everyone = [];
    for await (const openId of fixture.api.users.openIds()) everyone.push(openId);
    assert.equal(everyone.length, 251);
    assert.equal(new Set(everyone).size, 251);
    assert.ok(!everyone.includes('o_left'), 'unfollowed users are not listed');
  });

  it('sets a remark (at most 30 characters)', async () => {
    await fixture.api.users.updateRemark(openIdOf(1), '老客户');
    assert.equal((await fixture.api.users.get(openIdOf(1))).remark, '老客户');
    const error = await rejection(fixture.api.users.updateRemark(openIdOf(1), 'x'.repeat(31)));
    assert.ok(error instanceof WeChatApiError && error.errcode === 40035);
  });
});
