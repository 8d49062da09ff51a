/**
 * Everything the fake WeChat API remembers, open to the tests and the demo that run it: they seed it (users,
 * templates) and check what the product did (menus set, messages sent). Domain names are camelCase; values
 * sent by the product (buttons, template data) are kept in their wire form.
 */

export interface FakeUser {
  openId: string;
  unionId?: string;
  /** False once the user unfollowed (or for an OAuth-only visitor). */
  subscribed: boolean;
  /** Unix seconds of the follow. */
  subscribeTime: number;
  language: string;
  remark: string;
  tagIds: number[];
  subscribeScene: string;
  qrScene: number;
  qrSceneStr: string;
  /** Only OAuth `snsapi_userinfo` reveals these. */
  nickname: string;
  headImgUrl: string;
  /** Date.now() of the user's last message. */
  lastMessageAt: number | undefined;
  /**
   * Date.now() at which the customer-service window ends (45015 from then on); undefined while the user never
   * interacted. Given `lastMessageAt`, `addUser` makes it 48 hours later.
   */
  customerServiceWindowEndsAt: number | undefined;
  /** Customer-service messages still allowed within that window (45047 at 0). */
  customerServiceMessagesLeft: number;
}

/**
 * What a user did that lets the account send them customer-service messages (see `grantCustomerServiceMessages`
 * in message-routes.ts): a message, a menu click (`click`, `scancode_push`, `scancode_waitmsg`), a follow, a scan.
 */
export type FakeInteraction = 'message' | 'menu' | 'subscribe' | 'scan';

export type FakeUserInit = Partial<FakeUser> & { openId: string };

export interface FakeTag {
  id: number;
  name: string;
}

export type FakeMediaType = 'image' | 'voice' | 'video' | 'thumb';

export interface FakeMedia {
  mediaId: string;
  type: FakeMediaType;
  /** Permanent material (add_material) rather than temporary media (media/upload). */
  permanent: boolean;
  fileName: string;
  contentType: string;
  data: Buffer;
  /** Unix seconds. */
  createdAt: number;
  /** Permanent videos: from the `description` field. */
  title?: string;
  introduction?: string;
  /** Permanent images: the URL WeChat would serve them under. */
  url?: string;
}

export interface FakeMenu {
  menuId: number;
  /** As sent (`button`). */
  buttons: unknown[];
  /** Conditional menus only (`matchrule`, as sent). */
  matchRule?: Record<string, unknown>;
}

export interface FakeTemplate {
  templateId: string;
  title: string;
  primaryIndustry: string;
  deputyIndustry: string;
  content: string;
  example: string;
}

export interface FakeTemplateMessage {
  /** 64-bit, beyond 2^53 like WeChat's. */
  msgid: bigint;
  openId: string;
  templateId: string;
  /** As sent. */
  data: unknown;
  url?: string;
  miniProgram?: unknown;
  at: number;
}

export interface FakeCustomerServiceMessage {
  msgtype: string;
  /** The member named by `msgtype`, as sent (`{ content }` for text, `{ media_id }` for an image, …). */
  content: unknown;
  kfAccount?: string;
  at: number;
}

export interface FakeTypingEvent {
  command: 'Typing' | 'CancelTyping';
  at: number;
}

/**
 * What the fake received for one user, as it happens: a customer-service message or a typing command. Demo mode's
 * web simulator subscribes (`onUserEvent`) to show the user what WeChat would have shown them.
 */
export type FakeUserEvent =
  | { kind: 'customer-service'; openId: string; message: FakeCustomerServiceMessage }
  | { kind: 'typing'; openId: string; typing: FakeTypingEvent };

export interface FakeQrCode {
  ticket: string;
  actionName: string;
  scene: number | string;
  /** Temporary codes only. */
  expireSeconds?: number;
  url: string;
  at: number;
}

export interface FakeOAuthGrant {
  openId: string;
  scope: 'snsapi_base' | 'snsapi_userinfo';
}

export interface FakeWeChatState {
  /** Whether the account may use customer-service messages and typing (verified accounts); 48001 if not. */
  customServicePermission: boolean;
  /** Customer-service messages allowed within 48 hours of a user message (WeChat: 5). */
  customServiceQuota: number;
  /** Customer-service messages allowed within 1 minute of a menu click, follow or scan (WeChat: 3). */
  customServiceEventQuota: number;
  /** By openid, in follow order (the order `/cgi-bin/user/get` lists them in). */
  users: Map<string, FakeUser>;
  tags: Map<number, FakeTag>;
  blacklist: Set<string>;
  menu: FakeMenu | undefined;
  conditionalMenus: FakeMenu[];
  media: Map<string, FakeMedia>;
  templates: Map<string, FakeTemplate>;
  templateMessages: FakeTemplateMessage[];
  /** Customer-service messages sent, by openid. */
  customerServiceMessages: Map<string, FakeCustomerServiceMessage[]>;
  /** Typing commands received, by openid. */
  typing: Map<string, FakeTypingEvent[]>;
  qrCodes: Map<string, FakeQrCode>;
  /** OAuth codes not yet exchanged (a code works once). */
  oauthCodes: Map<string, FakeOAuthGrant & { used: boolean }>;
  oauthAccessTokens: Map<string, FakeOAuthGrant & { expiresAt: number }>;
  oauthRefreshTokens: Map<string, FakeOAuthGrant>;
  /** Every jsapi/wx_card ticket handed out. */
  jsapiTickets: string[];
  /** Id counters. */
  next: { tagId: number; menuId: number; msgid: bigint };
}

/** Ids 0–2 are WeChat's own tags; 2 is the star group every account has. */
export const SYSTEM_TAG_IDS: ReadonlySet<number> = new Set([0, 1, 2]);

export function createFakeState(options: { customServicePermission: boolean; customServiceQuota: number; customServiceEventQuota?: number }): FakeWeChatState {
  return {
    customServicePermission: options.customServicePermission,
    customServiceQuota: options.customServiceQuota,
    customServiceEventQuota: options.customServiceEventQuota ?? 3,
    users: new Map(),
    tags: new Map([[2, { id: 2, name: '星标组' }]]),
    blacklist: new Set(),
    menu: undefined,
    conditionalMenus: [],
    media: new Map(),
    templates: new Map(),
    templateMessages: [],
    customerServiceMessages: new Map(),
    typing: new Map(),
    qrCodes: new Map(),
    oauthCodes: new Map(),
    oauthAccessTokens: new Map(),
    oauthRefreshTokens: new Map(),
    jsapiTickets: [],
    // 2^62 + a little: well beyond 2^53, so a msgid that went through a double would come back changed.
    next: { tagId: 100, menuId: 208_379_533, msgid: 4_611_686_018_427_387_904n + 12_345n },
  };
}

/** How long a user's message lets the account send customer-service messages. */
export const MESSAGE_WINDOW_MS = 48 * 3600_000;

/** A follower with realistic defaults for whatever `init` leaves out. */
export function newFakeUser(init: FakeUserInit, quota: number): FakeUser {
  return {
    subscribed: true,
    subscribeTime: Math.floor(Date.now() / 1000),
    language: 'zh_CN',
    remark: '',
    tagIds: [],
    subscribeScene: 'ADD_SCENE_SEARCH',
    qrScene: 0,
    qrSceneStr: '',
    nickname: `用户${init.openId.slice(-4)}`,
    headImgUrl: `https://thirdwx.qlogo.cn/mmopen/vi_32/${init.openId}/132`,
    lastMessageAt: undefined,
    customerServiceWindowEndsAt: init.lastMessageAt === undefined ? undefined : init.lastMessageAt + MESSAGE_WINDOW_MS,
    customerServiceMessagesLeft: quota,
    ...init,
  };
}
