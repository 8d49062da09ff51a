/**
 * The outbound half assembled from the configuration: the token store (Redis when shared, else the token file),
 * the access-token manager, the API client and every API group. The server's runtime and the CLI build it the
 * same way, so both share the same cached token (and the same lock) as every other instance.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { AccessTokenManager } from './access-token/access-token-manager.js';
import { jsapiTicketKey } from './access-token/credential-keys.js';
import { CredentialManager } from './access-token/credential-manager.js';
import { FileTokenStore } from './access-token/file-token-store.js';
import { MemoryTokenStore } from './access-token/memory-token-store.js';
import { RedisTokenStore } from './access-token/redis-token-store.js';
import type { TokenStore } from './access-token/token-store.js';
import { WeChatApiClient, type ApiCallRecord } from './api/api-client.js';
import type { JsapiConfig } from './api/jssdk.js';
import { createWeChatApi, type WeChatApi } from './api/wechat-api.js';

export interface WeChatServices {
  tokens: AccessTokenManager;
  client: WeChatApiClient;
  api: WeChatApi;
  store: TokenStore;
  /** The JS-SDK jsapi_ticket, cached and shared through the same store and lock as the access token. */
  jsapiTicket: CredentialManager;
  /** `wx.config` parameters for a page URL, signed with the shared ticket. */
  jsapiConfig(url: string): Promise<JsapiConfig>;
  /** Closes what these services own (the token store; never the Redis connection, which belongs to the caller). */
  close(): Promise<void>;
}

export interface WeChatServicesOptions {
  /** Shared state: tokens live in Redis under `REDIS_PREFIX`. */
  redis?: Redis;
  /** Keep tokens in memory only (demo mode: the in-process fake API issues new tokens on every start). */
  memoryOnly?: boolean;
  /** Overrides `WECHAT_API_BASE` and `WECHAT_APPSECRET` (demo mode points them at its in-process fake API). */
  apiBase?: string;
  appSecret?: string;
  /** Told about every request to WeChat, for metrics: API calls, and the access token's own fetches. */
  observer?: WeChatObserver;
}

export interface WeChatObserver {
  apiCall?(call: ApiCallRecord): void;
  tokenFetch?(fetch: { errcode: number | 'transport' }): void;
}

/** Undefined when `WECHAT_APPSECRET` is not configured: no access token, so no API calls. */
export function createWeChatServices(config: AppConfig, log: Logger, options: WeChatServicesOptions = {}): WeChatServices | undefined {
  const appSecret = options.appSecret ?? config.wechat.appSecret;
  if (!appSecret) return undefined;
  const { appId } = config.wechat;
  const apiBase = options.apiBase ?? config.wechat.apiBase;
  const store: TokenStore = options.memoryOnly
    ? new MemoryTokenStore()
    : options.redis
      ? new RedisTokenStore({ redis: options.redis, keyPrefix: config.redisPrefix })
      : new FileTokenStore({ path: config.tokenFilePath, appId, log });
  const { observer } = options;
  const tokens = new AccessTokenManager({ appId, appSecret, apiBase, store, log, ...(observer?.tokenFetch ? { onFetch: observer.tokenFetch } : {}) });
  const client = new WeChatApiClient({ baseUrl: apiBase, tokens, log, ...(observer?.apiCall ? { onCall: observer.apiCall } : {}) });
  const api = createWeChatApi(client, { appId, appSecret });
  // getticket has a daily quota like the token: one ticket for every instance, refreshed ahead of expiry.
  const jsapiTicket = new CredentialManager({
    store,
    key: jsapiTicketKey(appId),
    log,
    fetchCredential: async () => {
      const { ticket, expiresInSeconds } = await api.jssdk.fetchTicket('jsapi');
      return { value: ticket, expiresInSeconds };
    },
  });
  return {
    tokens,
    client,
    api,
    store,
    jsapiTicket,
    jsapiConfig: async (url) => api.jssdk.signJsapiConfig(await jsapiTicket.get(), url),
    close: () => store.close(),
  };
}
