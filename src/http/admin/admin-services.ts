/**
 * What the operator API (`/admin/api/*`) needs from the rest of the service: the WeChat API calls it makes and
 * the access-token status it reports. The routes depend only on this interface; the running service implements
 * it with the WeChat API client and the access-token manager, tests with a recording fake.
 *
 * Contract for every method: a WeChat error answer rejects with `WeChatApiError` (the routes turn it into 502
 * with its errcode, errmsg and hint); any other rejection is an internal failure (500, details only in the log).
 * Shapes follow the WeChat API client's (`wechat/api/custom-service.ts`, `template.ts`, `menu.ts`), so an
 * implementation can pass arguments straight through.
 */
import type { WeChatMenu } from '../../conversation/menu/wechat-menu.js';

export interface NewsArticle {
  title: string;
  description?: string;
  /** The page the article opens. */
  url: string;
  picUrl?: string;
}

export interface MenuMessageItem {
  /** Comes back as `bizmsgmenuid` in the user's message when the item is tapped. */
  id: string;
  content: string;
}

/** One customer-service message, by kind; media ids come from media uploads. */
export type CustomMessage =
  | { type: 'text'; content: string }
  | { type: 'image'; mediaId: string }
  | { type: 'voice'; mediaId: string }
  | { type: 'video'; mediaId: string; thumbMediaId?: string; title?: string; description?: string }
  | { type: 'music'; musicUrl: string; hqMusicUrl: string; thumbMediaId: string; title?: string; description?: string }
  /** An external link article (WeChat shows one article per message). */
  | { type: 'news'; article: NewsArticle }
  /** A published article of the account, by its media id. */
  | { type: 'mpnews'; mediaId: string }
  /** A text with tappable choices ("menu message"). */
  | { type: 'msgmenu'; headContent: string; items: MenuMessageItem[]; tailContent?: string };

export interface CustomMessageOptions {
  /** Send as this customer-service account (`kf_account`, e.g. `kf2001@account`). */
  kfAccount?: string;
}

/** A template value, or the value with a colour (`#RRGGBB`, ignored by newer WeChat clients). */
export type TemplateFieldValue = string | { value: string; color?: string };

export interface TemplateMessage {
  openId: string;
  templateId: string;
  /** Keys are the template's placeholders (`{{first.DATA}}` → `first`). */
  data: Record<string, TemplateFieldValue>;
  /** Page opened on tap. */
  url?: string;
  /** Mini program opened on tap (WeChat prefers it over `url`). */
  miniProgram?: { appId: string; pagePath?: string };
  /** Makes the send idempotent: WeChat drops a second send with the same id. */
  clientMessageId?: string;
}

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
