/**
 * The custom menu: default and conditional menus, validated with WeChat's limits and error codes.
 */
import { utf8ByteLength } from '../../delivery/text/split-by-bytes.js';
import type { FakeMenu, FakeUser } from './fake-state.js';
import { asObject, FakeFailure, json, ok, requireString, type FakeRoute } from './fake-route.js';

const BUTTON_TYPES: ReadonlySet<string> = new Set([
  'click', 'view', 'miniprogram', 'scancode_push', 'scancode_waitmsg', 'pic_sysphoto', 'pic_photo_or_album',
  'pic_weixin', 'location_select', 'media_id', 'view_limited', 'article_id', 'article_view_limited',
]);

/** Error codes for top-level buttons and for sub buttons: count, type, name, key, url. */
const TOP_LEVEL = { count: 40016, type: 40017, name: 40018, key: 40019, url: 40020, nameBytes: 16, maxCount: 3 };
const SUB_LEVEL = { count: 40023, type: 40024, name: 40025, key: 40026, url: 40027, nameBytes: 60, maxCount: 5 };

/** Throws the errcode WeChat gives for the first problem in a button list. */
function checkButtons(buttons: unknown, level: typeof TOP_LEVEL): unknown[] {
  if (!Array.isArray(buttons) || buttons.length === 0 || buttons.length > level.maxCount) throw new FakeFailure(level.count);
  for (const item of buttons) {
    const button = asObject(item);
    const name = button.name;
    if (typeof name !== 'string' || name.length === 0 || utf8ByteLength(name) > level.nameBytes) throw new FakeFailure(level.name);
    if (button.sub_button !== undefined && (!Array.isArray(button.sub_button) || button.sub_button.length > 0)) {
      if (level === SUB_LEVEL) throw new FakeFailure(40022);
      checkButtons(button.sub_button, SUB_LEVEL);
      continue;
    }
    const type = button.type;
    if (typeof type !== 'string' || !BUTTON_TYPES.has(type)) throw new FakeFailure(level.type);
    if (type === 'view' || type === 'miniprogram') {
      if (typeof button.url !== 'string' || button.url.length === 0 || utf8ByteLength(button.url) > 1024) throw new FakeFailure(level.url);
    } else if (!['media_id', 'view_limited', 'article_id', 'article_view_limited'].includes(type)) {
      if (typeof button.key !== 'string' || button.key.length === 0 || utf8ByteLength(button.key) > 128) throw new FakeFailure(level.key);
    }
  }
  return buttons;
}

/** The form `get_current_selfmenu_info` uses: sub buttons under `sub_button.list`. */
function selfMenuForm(buttons: unknown[]): unknown[] {
  return buttons.map((item) => {
    const button = asObject(item);
    return Array.isArray(button.sub_button) && button.sub_button.length > 0
      ? { name: button.name, sub_button: { list: button.sub_button } }
      : button;
  });
}

/** Whether a user matches a conditional menu's rule (tag, language and sex are known to the fake). */
function matches(menu: FakeMenu, user: FakeUser): boolean {
  const rule = menu.matchRule ?? {};
  if (rule.tag_id !== undefined && !user.tagIds.includes(Number(rule.tag_id))) return false;
  if (rule.language !== undefined && rule.language !== user.language) return false;
  // The fake knows no user's sex or location: such rules never match.
  return ['sex', 'country', 'province', 'city'].every((member) => rule[member] === undefined);
}

export const menuRoutes: FakeRoute[] = [
  {
    method: 'POST',
    path: '/cgi-bin/menu/create',
    handle({ json: body }, { state }) {
      state.menu = { menuId: state.next.menuId++, buttons: checkButtons(body.button, TOP_LEVEL) };
      return ok();
    },
  },
  {
    method: 'GET',
    path: '/cgi-bin/menu/get',
    handle(_request, { state }) {
      if (!state.menu) throw new FakeFailure(46003);
      return json({
        menu: { button: state.menu.buttons, menuid: state.menu.menuId },
        ...(state.conditionalMenus.length > 0
          ? { conditionalmenu: state.conditionalMenus.map((menu) => ({ button: menu.buttons, matchrule: menu.matchRule, menuid: menu.menuId })) }
          : {}),
      });
    },
  },
  {
    method: 'GET',
    path: '/cgi-bin/get_current_selfmenu_info',
    handle(_request, { state }) {
      return state.menu ? json({ is_menu_open: 1, selfmenu_info: { button: selfMenuForm(state.menu.buttons) } }) : json({ is_menu_open: 0 });
    },
  },
  {
    method: 'GET',
    path: '/cgi-bin/menu/delete',
    handle(_request, { state }) {
      state.menu = undefined;
      state.conditionalMenus = [];
      return ok();
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/menu/addconditional',
    handle({ json: body }, { state }) {
      if (!state.menu) throw new FakeFailure(65303);
      const matchRule = asObject(body.matchrule);
      if (Object.values(matchRule).every((value) => value === undefined || value === '')) throw new FakeFailure(65304);
      const menu: FakeMenu = { menuId: state.next.menuId++, buttons: checkButtons(body.button, TOP_LEVEL), matchRule };
      state.conditionalMenus.push(menu);
      return json({ menuid: menu.menuId });
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/menu/delconditional',
    handle({ json: body }, { state }) {
      const menuId = Number(body.menuid);
      const index = state.conditionalMenus.findIndex((menu) => menu.menuId === menuId);
      if (index < 0) throw new FakeFailure(65301);
      state.conditionalMenus.splice(index, 1);
      return ok();
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/menu/trymatch',
    handle({ json: body }, { state }) {
      const user = state.users.get(requireString(body.user_id, 65302));
      if (!user) throw new FakeFailure(65302);
      if (!state.menu) throw new FakeFailure(46003);
      // The most recently added matching conditional menu wins, as in WeChat.
      const conditional = [...state.conditionalMenus].reverse().find((menu) => matches(menu, user));
      return json({ button: (conditional ?? state.menu).buttons });
    },
  },
];
