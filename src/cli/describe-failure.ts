/**
 * Expected failures of the WeChat commands, in words for the operator: WeChat's own `errcode`/`errmsg`, then
 * what to do about it. No stack traces: these are answers, not crashes. Callers redact the lines (see
 * `wechat-context.ts`); nothing here adds a secret, but an `errmsg` or a cause comes from elsewhere.
 */
import { CredentialWaitTimeoutError, ForceRefreshThrottledError } from '../wechat/access-token/credential-manager.js';
import { STABLE_TOKEN_PATH, StableTokenRequestError } from '../wechat/access-token/stable-token-client.js';
import { ipFromErrorMessage, WeChatApiError } from '../wechat/api/wechat-api-error.js';
import { WeChatApiTransportError } from '../wechat/api/wechat-api-transport-error.js';

const CONSOLE_BASIC_SETTINGS = 'WeChat console (mp.weixin.qq.com) → 设置与开发 → 基本配置';

/**
 * The action for the access-token errors only an operator can fix (SPEC §6), more specific than the error's
 * generic hint; undefined for any other error.
 */
export function accessTokenAdvice(error: WeChatApiError, appId: string): string | undefined {
  switch (error.errcode) {
    case 40164: {
      const ip = ipFromErrorMessage(error.errmsg);
      return ip === undefined
        ? `this server's IP is not in the IP whitelist: add it in the ${CONSOLE_BASIC_SETTINGS} → IP白名单, then try again`
        : `WeChat refused this server's IP ${ip}: add ${ip} to the IP whitelist (${CONSOLE_BASIC_SETTINGS} → IP白名单), then try again`;
    }
    case 40125:
      return `WECHAT_APPSECRET is wrong: copy the AppSecret from the ${CONSOLE_BASIC_SETTINGS} (reset it there if nobody has it) into WECHAT_APPSECRET`;
    case 40013:
      return `WECHAT_APPID "${appId}" is not a valid AppID: copy the AppID (开发者ID) from the ${CONSOLE_BASIC_SETTINGS} into WECHAT_APPID`;
    case 89503:
      return 'WeChat wants an administrator to confirm calls from this IP (risk control): confirm it in the WeChat console or on the administrator\'s phone, then try again';
    default:
      return undefined;
  }
}

/** One or two lines: what went wrong, then (when known) what to do. */
export function describeFailure(error: unknown, appId: string): string[] {
  if (error instanceof WeChatApiError) {
    const prefix = error.path === STABLE_TOKEN_PATH ? 'cannot get an access token: ' : '';
    const advice = accessTokenAdvice(error, appId) ?? error.hint;
    return [`${prefix}errcode ${error.errcode}: ${error.errmsg}`, ...(advice === undefined ? [] : [`hint: ${advice}`])];
  }
  if (error instanceof WeChatApiTransportError) {
    const advice = error.failure === 'timeout' || error.failure === 'network'
      ? 'check the network and WECHAT_API_BASE'
      : 'is WECHAT_API_BASE the WeChat API (or a proxy that forwards to it)?';
    return [`${error.message}`, `hint: ${advice}`];
  }
  if (error instanceof StableTokenRequestError) {
    return [`cannot get an access token: ${error.message}`, 'hint: check the network and WECHAT_API_BASE'];
  }
  if (error instanceof ForceRefreshThrottledError || error instanceof CredentialWaitTimeoutError) return [error.message];
  // Anything else (an unreadable token file, a Redis command failing) is still reported in one line.
  return [error instanceof Error ? error.message : String(error)];
}
