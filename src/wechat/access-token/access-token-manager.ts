import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { WeChatApiError } from '../api/wechat-api-error.js';
import type { AccessTokenProvider } from './access-token-provider.js';
import { stableTokenKey } from './credential-keys.js';
import { CredentialManager } from './credential-manager.js';
import type { CredentialManagerOptions, CredentialSnapshot, FetchedCredential } from './credential-manager.js';
import { StableTokenClient, StableTokenRequestError } from './stable-token-client.js';
import type { TokenStore } from './token-store.js';

export interface AccessTokenManagerOptions
  extends Pick<CredentialManagerOptions, 'refreshAheadSeconds' | 'lockTtlMs' | 'lockWaitMs' | 'pollIntervalMs' | 'forceRefreshIntervalMs' | 'recentFetchMs'> {
  appId: string;
  appSecret: string;
  /** `WECHAT_API_BASE`. */
  apiBase: string;
  store: TokenStore;
  log: Logger;
  /** Bound on one stable_token request (default 5 s). */
  requestTimeoutMs?: number;
  /**
   * Pauses before each retry when WeChat is busy (-1) or unreachable (default 500 ms, then 1.5 s: three attempts).
   * Keep attempts × `requestTimeoutMs` + pauses below `lockTtlMs`.
   */
  busyRetryDelaysMs?: readonly number[];
  /** After an operator error, fetches fail fast with it for this long instead of asking WeChat again (default 60 s). */
  operatorErrorCooldownMs?: number;
  /** Clock in epoch milliseconds (tests move it forward); default `Date.now`. */
  now?: () => number;
  /**
   * Told about every stable_token request (each attempt), for metrics: WeChat's errcode, 0 when a token came, or
   * `transport` when there was no usable answer. Must be quick.
   */
  onFetch?: (fetch: { errcode: number | 'transport' }) => void;
}

export type AccessTokenState = 'ok' | 'expiring' | 'empty' | 'error';

/** What `/readyz`, the admin API and `wx-backend token show` report. Never contains the token itself. */
export interface AccessTokenStatus {
  /**
   * `ok`: a token is cached; `expiring`: cached but due for refresh; `empty`: none cached and no fetch failed;
   * `error`: none usable and the last fetch (or the store) failed — see `error`.
   */
  state: AccessTokenState;
  expiresAt?: number;
  obtainedAt?: number;
  /** Last successful fetch by this instance. */
  lastRefreshAt?: number;
  /** Successful fetches by this instance. */
  refreshCount: number;
  /** The last failure, until a fetch succeeds; `errcode` and `hint` when WeChat answered with an error. */
  error?: { errcode?: number; errmsg: string; hint?: string };
  /** The first 6 characters and an ellipsis, to tell tokens apart. */
  tokenPreview?: string;
}

interface OperatorBlock {
  error: WeChatApiError;
  until: number;
}

/**
 * The access token of one account, fetched with `/cgi-bin/stable_token` and shared through the store (see
 * `CredentialManager` for caching, single-flight and the cross-instance lock).
 *
 * Failure policy: WeChat busy (-1) and network failures are retried with backoff. An operator error (IP not
 * whitelisted, wrong secret or appid, admin confirmation needed) cannot be fixed by retrying: it is logged once at
 * error level with a hint, shown by `status()`, and for `operatorErrorCooldownMs` every fetch fails fast with it
 * without calling WeChat. The secret and tokens never appear in logs or errors.
 */
export class AccessTokenManager implements AccessTokenProvider {
  readonly #appId: string;
  readonly #client: StableTokenClient;
  readonly #credentials: CredentialManager;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #busyRetryDelaysMs: readonly number[];
  readonly #operatorErrorCooldownMs: number;
  #operatorBlock: OperatorBlock | undefined;
  #lastError: AccessTokenStatus['error'];
  #lastRefreshAt: number | undefined;
  #refreshCount = 0;
  readonly #onFetch: AccessTokenManagerOptions['onFetch'];

  constructor(options: AccessTokenManagerOptions) {
    this.#onFetch = options.onFetch;
    this.#appId = options.appId;
    this.#log = options.log.child({ component: 'access-token' });
    this.#now = options.now ?? Date.now;
    this.#busyRetryDelaysMs = options.busyRetryDelaysMs ?? [500, 1_500];
    this.#operatorErrorCooldownMs = options.operatorErrorCooldownMs ?? 60_000;
    this.#client = new StableTokenClient({ apiBase: options.apiBase, appId: options.appId, appSecret: options.appSecret, timeoutMs: options.requestTimeoutMs });
    this.#credentials = new CredentialManager({
      store: options.store,
      key: stableTokenKey(options.appId),
      fetchCredential: (forceRefresh) => this.#fetch(forceRefresh),
      refreshAheadSeconds: options.refreshAheadSeconds,
      lockTtlMs: options.lockTtlMs,
      lockWaitMs: options.lockWaitMs,
      pollIntervalMs: options.pollIntervalMs,
      forceRefreshIntervalMs: options.forceRefreshIntervalMs,
      recentFetchMs: options.recentFetchMs,
      log: this.#log,
      now: this.#now,
    });
  }

  getToken(): Promise<string> {
    return this.#credentials.get();
  }

  refreshAfterInvalid(token: string): Promise<string> {
    return this.#credentials.refreshAfterInvalid(token);
  }

  /**
   * Fetches a token now (`wx-backend token refresh`, admin API), also during an operator-error cool-down: the
   * operator asking is the signal that the cause may be fixed. `force` makes WeChat issue a new token,
   * invalidating the current one everywhere.
   */
  async refresh(options: { force?: boolean } = {}): Promise<AccessTokenStatus> {
    this.#operatorBlock = undefined;
    await this.#credentials.refresh(options);
    return this.status();
  }

  async status(): Promise<AccessTokenStatus> {
    const status: AccessTokenStatus = { state: 'empty', refreshCount: this.#refreshCount };
    if (this.#lastRefreshAt !== undefined) status.lastRefreshAt = this.#lastRefreshAt;
    if (this.#lastError !== undefined) status.error = { ...this.#lastError };
    let snapshot: CredentialSnapshot | undefined;
    try {
      snapshot = await this.#credentials.peek();
    } catch (error) {
      return { ...status, state: 'error', error: { errmsg: `token store unreachable: ${error instanceof Error ? error.message : String(error)}` } };
    }
    if (snapshot === undefined) return { ...status, state: this.#lastError === undefined ? 'empty' : 'error' };
    return {
      ...status,
      state: snapshot.refreshDue ? 'expiring' : 'ok',
      expiresAt: snapshot.expiresAt,
      obtainedAt: snapshot.obtainedAt,
      tokenPreview: `${snapshot.value.slice(0, 6)}…`,
    };
  }

  async #fetch(forceRefresh: boolean): Promise<FetchedCredential> {
    const block = this.#operatorBlock;
    if (block !== undefined && this.#now() < block.until) throw block.error;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const token = await this.#client.fetchToken(forceRefresh);
        this.#recordSuccess();
        this.#reportFetch(0);
        return { value: token.accessToken, expiresInSeconds: token.expiresInSeconds };
      } catch (error) {
        this.#reportFetch(error instanceof WeChatApiError ? error.errcode : 'transport');
        const delayMs = this.#busyRetryDelaysMs[attempt];
        if (isRetryable(error) && delayMs !== undefined) {
          this.#log.warn({ appId: this.#appId, attempt: attempt + 1, retryInMs: delayMs, ...describeFailure(error) }, 'fetching the access token failed; retrying');
          await sleep(delayMs);
          continue;
        }
        this.#recordFailure(error);
        throw error;
      }
    }
  }

  #reportFetch(errcode: number | 'transport'): void {
    try {
      this.#onFetch?.({ errcode });
    } catch {
      // Counting must not change the outcome of a fetch.
    }
  }

  #recordSuccess(): void {
    if (this.#operatorBlock !== undefined) this.#log.info({ appId: this.#appId }, 'access token obtained again; the operator error is resolved');
    this.#operatorBlock = undefined;
    this.#lastError = undefined;
    this.#lastRefreshAt = this.#now();
    this.#refreshCount += 1;
  }

  #recordFailure(error: unknown): void {
    const failure = describeFailure(error);
    this.#lastError = failure;
    if (!(error instanceof WeChatApiError && error.isOperatorError)) {
      this.#log.warn({ appId: this.#appId, ...failure }, 'fetching the access token failed');
      return;
    }
    // errmsg carries a request id that changes every time: the same errcode is the same problem.
    const alreadyReported = this.#operatorBlock?.error.errcode === error.errcode;
    this.#operatorBlock = { error, until: this.#now() + this.#operatorErrorCooldownMs };
    if (alreadyReported) {
      this.#log.debug({ appId: this.#appId, errcode: error.errcode }, 'the operator error persists');
    } else {
      this.#log.error({ appId: this.#appId, ...failure, cooldownMs: this.#operatorErrorCooldownMs }, 'WeChat refused the access token: an operator must fix this; fetches fail fast meanwhile');
    }
  }
}

function isRetryable(error: unknown): boolean {
  if (error instanceof WeChatApiError) return error.isRetryable;
  return error instanceof StableTokenRequestError && error.retryable;
}

function describeFailure(error: unknown): { errcode?: number; errmsg: string; hint?: string } {
  if (error instanceof WeChatApiError) {
    return error.hint === undefined ? { errcode: error.errcode, errmsg: error.errmsg } : { errcode: error.errcode, errmsg: error.errmsg, hint: error.hint };
  }
  return { errmsg: error instanceof Error ? error.message : String(error) };
}
