/**
 * What the operator API (`/admin/api/*`) needs from the rest of the service: the WeChat API calls it makes and
 * the access-token status it reports. The routes depend only on this interface; the running service implements
 * it with the WeChat API client and the access-token manager, tests with a recording fake.
 *
 * Contract for every method: a WeChat error answer rejects with `WeChatApiError` (the routes turn it into 502
 * with its errcode, errmsg and hint); any other rejection is an internal failure (500, details only in the log).
 * The message shapes are the WeChat API client's own (`wechat/api/custom-service.ts`, `template.ts`), so an
 * implementation passes arguments straight through.
 */
import type { WeChatMenu } from '../../conversation/menu/wechat-menu.js';
import type { CustomerServiceMessage as CustomMessage, SendOptions as CustomMessageOptions } from '../../wechat/api/custom-service.js';
import type { TemplateMessage } from '../../wechat/api/template.js';

export type { CustomerServiceMessage as CustomMessage, NewsArticle, MenuMessageItem, SendOptions as CustomMessageOptions } from '../../wechat/api/custom-service.js';
export type { TemplateFieldValue, TemplateMessage } from '../../wechat/api/template.js';

/**
 * The access token's state — never the token, nor any part of it. Times are epoch milliseconds.
 * `ok`: cached; `expiring`: cached, refresh due; `empty`: none cached, nothing failed; `error`: see `error`.
 */
export interface TokenStatus {
  state: 'ok' | 'expiring' | 'empty' | 'error';
  expiresAt?: number;
  obtainedAt?: number;
  lastRefreshAt?: number;
  refreshCount?: number;
  /** The last failure, until a fetch succeeds; `errcode` and `hint` when WeChat answered with an error. */
  error?: { errcode?: number; errmsg: string; hint?: string };
}

export interface AdminServices {
  sendCustomMessage(openId: string, message: CustomMessage, options: CustomMessageOptions): Promise<void>;
  /** Resolves to WeChat's `msgid`, a 64-bit integer kept exact as a decimal string. */
  sendTemplateMessage(message: TemplateMessage): Promise<string>;
  /**
   * The menus WeChat has (set through the API), as JSON-serialisable data, or `undefined` when there is none
   * (WeChat's 46003).
   */
  getMenu(): Promise<object | undefined>;
  /** Replaces the default menu with `menu` (already validated, `reply`/`prompt` stripped). */
  setMenu(menu: WeChatMenu): Promise<void>;
  /** Deletes the default menu and every conditional menu. */
  deleteMenu(): Promise<void>;
  tokenStatus(): Promise<TokenStatus>;
}
