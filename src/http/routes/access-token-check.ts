import type { CheckOutcome, ReadinessCheck } from './health.js';
import type { AccessTokenManager } from '../../wechat/access-token/access-token-manager.js';

/**
 * `/readyz`'s access-token entry. A token that cannot be fetched is `degraded`, not `error`: passive replies
 * still work without one, so the instance must stay in rotation, while the operator sees why API calls fail
 * (with WeChat's hint, e.g. the IP to whitelist). Never shows the token.
 */
export function accessTokenCheck(tokens: AccessTokenManager | undefined): ReadinessCheck {
  return {
    name: 'access-token',
    check: async (): Promise<CheckOutcome> => {
      if (!tokens) return { status: 'not-configured', detail: 'WECHAT_APPSECRET not set: WeChat API calls (customer-service messages, menu, users) are off' };
      const status = await tokens.status();
      if (status.state === 'error') {
        const error = status.error;
        const code = error?.errcode === undefined ? '' : ` (errcode ${error.errcode})`;
        return { status: 'degraded', detail: `cannot get an access token${code}: ${error?.hint ?? error?.errmsg ?? 'unknown error'}` };
      }
      if (status.state === 'empty') return { status: 'ok', detail: 'no access token fetched yet (fetched on first use)' };
      return { status: 'ok', detail: `access token valid until ${new Date(status.expiresAt ?? 0).toISOString()}` };
    },
  };
}
