/**
 * Every API group over one client: `createWeChatApi(client, account).users.get(openId)` and so on.
 */
import type { WeChatApiClient } from './api-client.js';
import { BlacklistApi } from './blacklist.js';
import { CustomServiceApi } from './custom-service.js';
import { JssdkApi } from './jssdk.js';
import { MediaApi } from './media.js';
import { MenuApi } from './menu.js';
import { OAuthApi } from './oauth.js';
import { QrcodeApi } from './qrcode.js';
import { TagsApi } from './tags.js';
import { TemplateApi } from './template.js';
import { UsersApi } from './users.js';

export interface WeChatApiOptions {
  /** The account's AppID: OAuth and `jssdk.signJsapiConfig` need it (they throw without it). */
  appId?: string;
  /** The app secret: OAuth's code exchange needs it. */
  appSecret?: string;
  /** Default `https://mp.weixin.qq.com/cgi-bin/showqrcode`. */
  showQrcodeUrl?: string;
  /** Default `https://open.weixin.qq.com/connect/oauth2/authorize`. */
  oauthAuthorizeUrl?: string;
}

export interface WeChatApi {
  customService: CustomServiceApi;
  media: MediaApi;
  menu: MenuApi;
  users: UsersApi;
  tags: TagsApi;
  blacklist: BlacklistApi;
  template: TemplateApi;
  qrcode: QrcodeApi;
  oauth: OAuthApi;
  jssdk: JssdkApi;
}

export function createWeChatApi(client: WeChatApiClient, options: WeChatApiOptions = {}): WeChatApi {
  return {
    customService: new CustomServiceApi(client),
    media: new MediaApi(client),
    menu: new MenuApi(client),
    users: new UsersApi(client),
    tags: new TagsApi(client),
    blacklist: new BlacklistApi(client),
    template: new TemplateApi(client),
    qrcode: new QrcodeApi(client, { showQrcodeUrl: options.showQrcodeUrl }),
    oauth: new OAuthApi(client, { appId: options.appId, appSecret: options.appSecret, authorizeUrl: options.oauthAuthorizeUrl }),
    jssdk: new JssdkApi(client, { appId: options.appId }),
  };
}
