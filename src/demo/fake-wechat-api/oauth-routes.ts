/**
 * OAuth web authorization (`/sns/*`): authenticated by appid/secret or by an OAuth token, never by the
 * account's access token. Codes come from `issueOAuthCode` on the fake's handle (the user's side of the
 * authorization happens on open.weixin.qq.com, which the fake does not play).
 */
import type { FakeOAuthGrant } from './fake-state.js';
import { FakeFailure, json, randomId, requireUser, type FakeContext, type FakeRoute } from './fake-route.js';

const OAUTH_TOKEN_TTL_SECONDS = 7200;

function checkAppId(context: FakeContext, appId: string | null): void {
  if (!appId) throw new FakeFailure(41002);
  if (appId !== context.appId) throw new FakeFailure(40013);
}

/** Issues an OAuth access token and a refresh token for a grant, in WeChat's answer form. */
function tokenAnswer(context: FakeContext, grant: FakeOAuthGrant) {
  const { state } = context;
  const accessToken = randomId(64);
  const refreshToken = randomId(64);
  state.oauthAccessTokens.set(accessToken, { ...grant, expiresAt: Date.now() + OAUTH_TOKEN_TTL_SECONDS * 1000 });
  state.oauthRefreshTokens.set(refreshToken, grant);
  const user = state.users.get(grant.openId);
  return json({
    access_token: accessToken,
    expires_in: OAUTH_TOKEN_TTL_SECONDS,
    refresh_token: refreshToken,
    openid: grant.openId,
    scope: grant.scope,
    ...(user?.unionId ? { unionid: user.unionId } : {}),
  });
}

export const oauthRoutes: FakeRoute[] = [
  {
    method: 'GET',
    path: '/sns/oauth2/access_token',
    accessToken: false,
    handle({ query }, context) {
      checkAppId(context, query.get('appid'));
      const secret = query.get('secret');
      if (!secret) throw new FakeFailure(41004);
      if (secret !== context.appSecret) throw new FakeFailure(40125);
      if (query.get('grant_type') !== 'authorization_code') throw new FakeFailure(40002);
      const grant = context.state.oauthCodes.get(query.get('code') ?? '');
      if (!grant) throw new FakeFailure(40029);
      if (grant.used) throw new FakeFailure(40163);
      grant.used = true;
      return tokenAnswer(context, { openId: grant.openId, scope: grant.scope });
    },
  },
  {
    method: 'GET',
    path: '/sns/oauth2/refresh_token',
    accessToken: false,
    handle({ query }, context) {
      checkAppId(context, query.get('appid'));
      if (query.get('grant_type') !== 'refresh_token') throw new FakeFailure(40002);
      const grant = context.state.oauthRefreshTokens.get(query.get('refresh_token') ?? '');
      if (!grant) throw new FakeFailure(40030);
      return tokenAnswer(context, grant);
    },
  },
  {
    method: 'GET',
    path: '/sns/userinfo',
    accessToken: false,
    handle({ query }, context) {
      const token = query.get('access_token');
      if (!token) throw new FakeFailure(41001);
      const grant = context.state.oauthAccessTokens.get(token);
      if (!grant) throw new FakeFailure(40001);
      if (grant.expiresAt <= Date.now()) throw new FakeFailure(42001);
      if (query.get('openid') !== grant.openId) throw new FakeFailure(40003);
      if (grant.scope !== 'snsapi_userinfo') throw new FakeFailure(48001);
      const user = requireUser(context, grant.openId);
      return json({
        openid: user.openId,
        nickname: user.nickname,
        sex: 0,
        province: '',
        city: '',
        country: '',
        headimgurl: user.headImgUrl,
        privilege: [],
        ...(user.unionId ? { unionid: user.unionId } : {}),
      });
    },
  },
];
