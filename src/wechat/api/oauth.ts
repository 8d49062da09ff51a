/**
 * OAuth web authorization (网页授权): a page inside WeChat sends the user to the authorize URL, WeChat sends
 * them back with a `code`, and the code buys an OAuth access token and the user's openid (and, with
 * `snsapi_userinfo`, their profile). These endpoints take the app secret or an OAuth token — never the
 * account's access token — and the client keeps both out of errors and logs.
 */
import type { WeChatApiClient } from './api-client.js';
import type { Language } from './users.js';

export const DEFAULT_AUTHORIZE_URL = 'https://open.weixin.qq.com/connect/oauth2/authorize';

/** `snsapi_base`: silent, openid only. `snsapi_userinfo`: asks the user, gives the profile. */
export type OAuthScope = 'snsapi_base' | 'snsapi_userinfo';

export interface OAuthApiOptions {
  appId?: string;
  appSecret?: string;
  /** Default `https://open.weixin.qq.com/connect/oauth2/authorize`. */
  authorizeUrl?: string;
}

export interface AuthorizeUrlRequest {
  /** Where WeChat sends the user back (its domain must be the account's authorized domain). */
  redirectUri: string;
  scope: OAuthScope;
  /** Comes back unchanged as `state` (up to 128 bytes of `[a-zA-Z0-9]`); use it against CSRF. */
  state?: string;
}

export interface OAuthToken {
  /** The OAuth access token (not the account's): only for `/sns/userinfo` of this user. */
  accessToken: string;
  expiresInSeconds: number;
  /** Valid for 30 days. */
  refreshToken: string;
  openId: string;
  scope: string;
  unionId?: string;
  /** The user only previewed the page (朋友圈快照页) and has not really authorized. */
  isSnapshotUser: boolean;
}

export interface OAuthUserInfo {
  openId: string;
  nickname: string;
  /** 0 unknown, 1 male, 2 female (WeChat now sends 0). */
  sex: number;
  province: string;
  city: string;
  country: string;
  headImgUrl: string;
  privileges: string[];
  unionId?: string;
}

interface WireOAuthToken {
  access_token: string;
  expires_in: number;
  refresh_token: string;
  openid: string;
  scope: string;
  unionid?: string;
  is_snapshotuser?: number;
}

interface WireUserInfo {
  openid: string;
  nickname?: string;
  sex?: number;
  province?: string;
  city?: string;
  country?: string;
  headimgurl?: string;
  privilege?: string[];
  unionid?: string;
}

export class OAuthApi {
  private readonly authorizeBase: string;

  constructor(
    private readonly client: WeChatApiClient,
    private readonly options: OAuthApiOptions = {},
  ) {
    this.authorizeBase = options.authorizeUrl ?? DEFAULT_AUTHORIZE_URL;
  }

  /**
   * The URL to send the user to. WeChat insists on this parameter order and on the `#wechat_redirect`
   * fragment; `redirect_uri` and `state` are URL-encoded.
   */
  authorizeUrl(request: AuthorizeUrlRequest): string {
    const { appId } = this.credentials(false);
    return (
      `${this.authorizeBase}?appid=${encodeURIComponent(appId)}&redirect_uri=${encodeURIComponent(request.redirectUri)}` +
      `&response_type=code&scope=${request.scope}&state=${encodeURIComponent(request.state ?? '')}#wechat_redirect`
    );
  }

  /** Exchanges the `code` WeChat appended to the redirect (valid 5 minutes, once). */
  async exchangeCode(code: string): Promise<OAuthToken> {
    const { appId, appSecret } = this.credentials(true);
    const answer = await this.client.get<WireOAuthToken>('/sns/oauth2/access_token', {
      withAccessToken: false,
      query: { appid: appId, secret: appSecret, code, grant_type: 'authorization_code' },
    });
    return tokenFromWire(answer);
  }

  /** A fresh OAuth access token for a refresh token. */
  async refresh(refreshToken: string): Promise<OAuthToken> {
    const { appId } = this.credentials(false);
    const answer = await this.client.get<WireOAuthToken>('/sns/oauth2/refresh_token', {
      withAccessToken: false,
      query: { appid: appId, grant_type: 'refresh_token', refresh_token: refreshToken },
    });
    return tokenFromWire(answer);
  }

  /** The user's profile; needs a token of scope `snsapi_userinfo` (else WeChatApiError 48001). */
  async userInfo(accessToken: string, openId: string, lang: Language = 'zh_CN'): Promise<OAuthUserInfo> {
    const answer = await this.client.get<WireUserInfo>('/sns/userinfo', {
      withAccessToken: false,
      query: { access_token: accessToken, openid: openId, lang },
    });
    return {
      openId: answer.openid,
      nickname: answer.nickname ?? '',
      sex: answer.sex ?? 0,
      province: answer.province ?? '',
      city: answer.city ?? '',
      country: answer.country ?? '',
      headImgUrl: answer.headimgurl ?? '',
      privileges: answer.privilege ?? [],
      ...(answer.unionid === undefined ? {} : { unionId: answer.unionid }),
    };
  }

  private credentials(needsSecret: boolean): { appId: string; appSecret: string } {
    const { appId, appSecret } = this.options;
    if (!appId || (needsSecret && !appSecret)) {
      throw new Error(`OAuth needs the account's appId${needsSecret ? ' and appSecret' : ''}: pass them to createWeChatApi / OAuthApi`);
    }
    return { appId, appSecret: appSecret ?? '' };
  }
}

function tokenFromWire(answer: WireOAuthToken): OAuthToken {
  return {
    accessToken: answer.access_token,
    expiresInSeconds: answer.expires_in,
    refreshToken: answer.refresh_token,
    openId: answer.openid,
    scope: answer.scope,
    isSnapshotUser: answer.is_snapshotuser === 1,
    ...(answer.unionid === undefined ? {} : { unionId: answer.unionid }),
  };
}
