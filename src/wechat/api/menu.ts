/**
 * The custom menu (自定义菜单): the default menu and conditional (个性化) menus shown to users matching a
 * rule. Buttons are passed through in WeChat's wire form, which operators also write in menu files.
 */
import type { WeChatApiClient } from './api-client.js';
import { WeChatApiError } from './wechat-api-error.js';

/** A menu button as WeChat defines it: up to 3 top-level buttons, up to 5 `sub_button` under each. */
export interface MenuButton {
  /** click, view, miniprogram, scancode_push, scancode_waitmsg, pic_sysphoto, pic_photo_or_album, pic_weixin, location_select, media_id, article_id, article_view_limited; absent on a button with sub_button. */
  type?: string;
  name: string;
  key?: string;
  url?: string;
  media_id?: string;
  appid?: string;
  pagepath?: string;
  article_id?: string;
  sub_button?: MenuButton[];
}

/** Who sees a conditional menu; at least one member. */
export interface MenuMatchRule {
  tag_id?: string;
  sex?: string;
  country?: string;
  province?: string;
  city?: string;
  client_platform_type?: string;
  language?: string;
}

export interface ConditionalMenu {
  menuId: string;
  buttons: MenuButton[];
  matchRule: MenuMatchRule;
}

export interface CurrentMenus {
  /** The default menu. */
  buttons: MenuButton[];
  menuId?: string;
  conditionalMenus: ConditionalMenu[];
}

/** What `get_current_selfmenu_info` reports, whether set through the API or the WeChat console. */
export interface SelfMenuInfo {
  isMenuOpen: boolean;
  /** In that endpoint's own form (sub buttons under `sub_button.list`), passed through. */
  buttons: unknown[];
}

const NO_MENU = 46003;

interface WireMenu {
  button: MenuButton[];
  menuid?: number | string;
}

export class MenuApi {
  constructor(private readonly client: WeChatApiClient) {}

  /** Sets (replaces) the default menu. */
  async create(buttons: MenuButton[]): Promise<void> {
    await this.client.post('/cgi-bin/menu/create', { button: buttons });
  }

  /** The menus set through the API, or undefined when there is none (WeChat's 46003). */
  async get(): Promise<CurrentMenus | undefined> {
    try {
      const answer = await this.client.get<{ menu: WireMenu; conditionalmenu?: (WireMenu & { matchrule: MenuMatchRule })[] }>('/cgi-bin/menu/get');
      return {
        buttons: answer.menu.button,
        ...(answer.menu.menuid === undefined ? {} : { menuId: String(answer.menu.menuid) }),
        conditionalMenus: (answer.conditionalmenu ?? []).map((menu) => ({
          menuId: String(menu.menuid),
          buttons: menu.button,
          matchRule: menu.matchrule,
        })),
      };
    } catch (error) {
      if (error instanceof WeChatApiError && error.errcode === NO_MENU) return undefined;
      throw error;
    }
  }

  async getSelfMenuInfo(): Promise<SelfMenuInfo> {
    const answer = await this.client.get<{ is_menu_open: number; selfmenu_info?: { button?: unknown[] } }>('/cgi-bin/get_current_selfmenu_info');
    return { isMenuOpen: answer.is_menu_open === 1, buttons: answer.selfmenu_info?.button ?? [] };
  }

  /** Deletes the default menu and every conditional menu. */
  async delete(): Promise<void> {
    await this.client.get('/cgi-bin/menu/delete');
  }

  /** Adds a conditional menu (a default menu must exist); resolves to its menu id. */
  async addConditional(buttons: MenuButton[], matchRule: MenuMatchRule): Promise<string> {
    const answer = await this.client.post<{ menuid: number | string }>('/cgi-bin/menu/addconditional', { button: buttons, matchrule: matchRule });
    return String(answer.menuid);
  }

  async deleteConditional(menuId: string): Promise<void> {
    await this.client.post('/cgi-bin/menu/delconditional', { menuid: menuId });
  }

  /** The menu a user (openid or WeChat id) would see. */
  async tryMatch(userId: string): Promise<MenuButton[]> {
    const answer = await this.client.post<{ button: MenuButton[] }>('/cgi-bin/menu/trymatch', { user_id: userId });
    return answer.button;
  }
}
