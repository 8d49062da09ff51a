import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MenuButton } from '../../../src/wechat/api/menu.js';
import { WeChatApiError } from '../../../src/wechat/api/wechat-api-error.js';
import { rejection, startApiFixture, type ApiFixture } from './api-fixture.js';

const DEFAULT_MENU: MenuButton[] = [
  { type: 'click', name: '今日歌曲', key: 'V1001_TODAY_MUSIC' },
  {
    name: '菜单',
    sub_button: [
      { type: 'view', name: '搜索', url: 'https://www.soso.com/' },
      { type: 'click', name: '赞一下我们', key: 'V1001_GOOD' },
    ],
  },
];
const VIP_MENU: MenuButton[] = [{ type: 'click', name: 'VIP', key: 'VIP' }];

async function errcodeOf(promise: Promise<unknown>): Promise<number> {
  const error = await rejection(promise);
  assert.ok(error instanceof WeChatApiError, String(error));
  return error.errcode;
}

describe('MenuApi', () => {
  let fixture: ApiFixture;
  before(async () => {
    fixture = await startApiFixture();
  });
  after(() => fixture.close());

  it('get() is undefined while there is no menu (46003), and a conditional menu needs a default one (65303)', async () => {
    assert.equal(await fixture.api.menu.get(), undefined);
    assert.equal(fixture.fake.callsTo('/cgi-bin/menu/get').at(-1)?.errcode, 46003);
    assert.equal(await errcodeOf(fixture.api.menu.addConditional(VIP_MENU, { tag_id: '2' })), 65303);
    assert.equal(await errcodeOf(fixture.api.menu.tryMatch('o_any')), 65302);
  });

  it('creates the default menu and reads it back in both forms', async () => {
    const { api } = fixture;
    await api.menu.create(DEFAULT_MENU);
    const current = await api.menu.get();
    assert.deepEqual(current?.buttons, DEFAULT_MENU);
    assert.match(current?.menuId ?? '', /^\d+$/);
    assert.deepEqual(current?.conditionalMenus, []);
    const info = await api.menu.getSelfMenuInfo();
    assert.equal(info.isMenuOpen, true);
    assert.deepEqual(info.buttons[1], { name: '菜单', sub_button: { list: DEFAULT_MENU[1]?.sub_button } });
  });

  it('conditional menus: add, match by tag, delete', async () => {
    const { api, fake } = fixture;
    const vip = await api.tags.create('VIP');
    fake.addUser({ openId: 'o_vip', tagIds: [vip.id] });
    fake.addUser({ openId: 'o_plain' });
    const menuId = await api.menu.addConditional(VIP_MENU, { tag_id: String(vip.id) });
    assert.match(menuId, /^\d+$/);
    assert.deepEqual(await api.menu.tryMatch('o_vip'), VIP_MENU);
    assert.deepEqual(await api.menu.tryMatch('o_plain'), DEFAULT_MENU);
    const current = await api.menu.get();
    assert.deepEqual(current?.conditionalMenus, [{ menuId, buttons: VIP_MENU, matchRule: { tag_id: String(vip.id) } }]);
    await api.menu.deleteConditional(menuId);
    assert.deepEqual(await api.menu.tryMatch('o_vip'), DEFAULT_MENU);
    assert.equal(await errcodeOf(api.menu.deleteConditional(menuId)), 65301);
    assert.equal(await errcodeOf(api.menu.addConditional(VIP_MENU, {})), 65304);
  });

  it('refuses menus WeChat refuses, with its codes', async () => {
    const { api } = fixture;
    const click = (name: string): MenuButton => ({ type: 'click', name, key: 'K' });
    assert.equal(await errcodeOf(api.menu.create([])), 40016);
    assert.equal(await errcodeOf(api.menu.create([click('1'), click('2'), click('3'), click('4')])), 40016);
    assert.equal(await errcodeOf(api.menu.create([click('一二三四五六')])), 40018);
    assert.equal(await errcodeOf(api.menu.create([{ type: 'teleport', name: 'x' }])), 40017);
    assert.equal(await errcodeOf(api.menu.create([{ type: 'click', name: 'x' }])), 40019);
    assert.equal(await errcodeOf(api.menu.create([{ type: 'view', name: 'x' }])), 40020);
    assert.equal(await errcodeOf(api.menu.create([{ name: 'x', sub_button: Array.from({ length: 6 }, (_, index) => click(String(index))) }])), 40023);
    // A refused menu leaves the current one in place.
    assert.deepEqual((await api.menu.get())?.buttons, DEFAULT_MENU);
  });

  it('deletes the default and the conditional menus', async () => {
    const { api } = fixture;
    await api.menu.addConditional(VIP_MENU, { language: 'en' });
    await api.menu.delete();
    assert.equal(await api.menu.get(), undefined);
    assert.deepEqual(await api.menu.getSelfMenuInfo(), { isMenuOpen: false, buttons: [] });
  });
});
