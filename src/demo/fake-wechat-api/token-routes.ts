/**
 * Credentials: the access token (stable and classic) and JS-SDK tickets.
 */
import { FakeFailure, ok, json, randomId, type FakeContext, type FakeRoute } from './fake-route.js';

/** appid and secret checked in WeChat's order: grant type, appid, secret. */
function checkCredentials(context: FakeContext, grantType: unknown, appId: unknown, secret: unknown): void {
  if (grantType !== 'client_credential') throw new FakeFailure(40002);
  if (typeof appId !== 'string' || appId === '') throw new FakeFailure(41002);
  if (appId !== context.appId) throw new FakeFailure(40013);
  if (typeof secret !== 'string' || secret === '') throw new FakeFailure(41004);
  if (secret !== context.appSecret) throw new FakeFailure(40125);
}

export const tokenRoutes: FakeRoute[] = [
  {
    method: 'POST',
    path: '/cgi-bin/stable_token',
    accessToken: false,
    handle({ json: body }, context) {
      checkCredentials(context, body.grant_type, body.appid, body.secret);
      const { token, expiresInSeconds } = context.tokens.stable(body.force_refresh === true);
      return json({ access_token: token, expires_in: expiresInSeconds });
    },
  },
  {
    method: 'GET',
    path: '/cgi-bin/token',
    accessToken: false,
    handle({ query }, context) {
      checkCredentials(context, query.get('grant_type'), query.get('appid'), query.get('secret'));
      const { token, expiresInSeconds } = context.tokens.classic();
      return json({ access_token: token, expires_in: expiresInSeconds });
    },
  },
  {
    method: 'GET',
    path: '/cgi-bin/ticket/getticket',
    handle({ query }, context) {
      const type = query.get('type');
      if (type !== 'jsapi' && type !== 'wx_card') throw new FakeFailure(40097);
      const ticket = randomId(64);
      context.state.jsapiTickets.push(ticket);
      return ok({ ticket, expires_in: 7200 });
    },
  },
];
