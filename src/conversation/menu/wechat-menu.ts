/**
 * The custom menu in WeChat's own wire shape — the body of `/cgi-bin/menu/create` — and what a menu click does
 * in this service. Field names are WeChat's (`sub_button`, `media_id`, `appid`, `pagepath`, `article_id`) so a
 * menu copied from WeChat's documentation or console works unchanged.
 */

/** Every button type WeChat accepts, in the order of its documentation. */
export const MENU_BUTTON_TYPES = [
  'click',
  'view',
  'miniprogram',
  'scancode_push',
  'scancode_waitmsg',
  'pic_sysphoto',
  'pic_photo_or_album',
  'pic_weixin',
  'location_select',
  'media_id',
  'article_id',
  'article_view_limited',
  // Older name of a published-media button; WeChat still accepts it.
  'view_limited',
] as const;

export type MenuButtonType = (typeof MENU_BUTTON_TYPES)[number];

/** A button that does something; which of the optional fields it carries depends on `type`. */
export interface MenuLeafButton {
  type: MenuButtonType;
  name: string;
  /** click, scancode_*, pic_*, location_select: the `EventKey` of the event WeChat sends. */
  key?: string;
  /** view: the page opened; miniprogram: the page opened by clients without mini-program support. */
  url?: string;
  /** media_id, view_limited: the permanent material shown. */
  media_id?: string;
  /** miniprogram: the mini program's appid and page. */
  appid?: string;
  pagepath?: string;
  /** article_id, article_view_limited: the published article shown. */
  article_id?: string;
}

/** A top-level button that only opens its sub-menu. */
export interface MenuParentButton {
  name: string;
  sub_button: MenuLeafButton[];
}

export type MenuButton = MenuLeafButton | MenuParentButton;

/** A menu as WeChat takes it: 1–3 top-level buttons, each a leaf or a parent of 1–5 leaves. */
export interface WeChatMenu {
  button: MenuButton[];
}

/**
 * What clicking a `click` button does besides sending WeChat's CLICK event: answer with a fixed text, or ask the
 * assistant `prompt` as if the user had typed it.
 */
export type MenuAction = { reply: string } | { prompt: string };

/** Actions by button `key`. */
export type MenuActions = ReadonlyMap<string, MenuAction>;

/** A validated menu: what WeChat gets (actions stripped) and what each click does here. */
export interface MenuDefinition {
  menu: WeChatMenu;
  actions: MenuActions;
}
