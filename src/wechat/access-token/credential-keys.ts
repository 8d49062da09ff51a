/**
 * Store keys of each kind of credential. The appid is part of every key, so that a store shared by several
 * accounts — or reused after `WECHAT_APPID` changed — never hands one account's credential to another, and the
 * kind is part of it because WeChat keeps them apart: a token from `/cgi-bin/stable_token` and one from
 * `/cgi-bin/token` are separate credentials, and fetching one does not refresh the other.
 */

/** Access token fetched with `POST /cgi-bin/stable_token`. */
export function stableTokenKey(appId: string): string {
  return `stable_token:${appId}`;
}

/** JS-SDK `jsapi_ticket` (from `/cgi-bin/ticket/getticket?type=jsapi`). */
export function jsapiTicketKey(appId: string): string {
  return `jsapi_ticket:${appId}`;
}
