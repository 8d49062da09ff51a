/**
 * Counts what the WeChat side reports (see `WeChatObserver`): every API request by API and errcode, and the access
 * token's fetches — as refreshes by result and, being requests to WeChat too, as `stable_token` API calls.
 */
import type { WeChatObserver } from '../wechat/wechat-services.js';
import type { Metrics } from './metrics.js';

/** The `api` label: the path without `/cgi-bin/` (e.g. `message/custom/send`; `sns/…` paths keep their folder). */
export function apiName(path: string): string {
  return path.replace(/^\/(cgi-bin\/)?/, '');
}

export function wechatMetricsObserver(metrics: Metrics): WeChatObserver {
  return {
    apiCall: ({ path, errcode }) => metrics.wechatApiCalls.inc({ api: apiName(path), errcode: String(errcode) }),
    tokenFetch: ({ errcode }) => {
      metrics.tokenRefreshes.inc({ result: errcode === 0 ? 'ok' : 'error' });
      metrics.wechatApiCalls.inc({ api: 'stable_token', errcode: String(errcode) });
    },
  };
}
