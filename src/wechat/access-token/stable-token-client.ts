import { WeChatApiError } from '../api/wechat-api-error.js';

export const STABLE_TOKEN_PATH = '/cgi-bin/stable_token';

export interface StableTokenClientOptions {
  /** `WECHAT_API_BASE`, without a trailing slash. */
  apiBase: string;
  appId: string;
  appSecret: string;
  /** Bound on one request, answer included (default 5 s). */
  timeoutMs?: number;
}

export interface StableToken {
  accessToken: string;
  expiresInSeconds: number;
}

/**
 * The request did not get a WeChat answer: network failure, timeout, an HTTP error from a proxy, or a body that is
 * not a stable_token answer. `retryable` says whether trying again soon may help. Messages never contain the
 * request or response body.
 */
export class StableTokenRequestError extends Error {
  override readonly name = 'StableTokenRequestError';
  readonly retryable: boolean;
  /** HTTP status, when an answer arrived. */
  readonly status: number | undefined;

  constructor(message: string, options: { retryable: boolean; status?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable;
    this.status = options.status;
  }
}

/**
 * `POST /cgi-bin/stable_token`: in normal mode WeChat hands every caller the same token while it is valid, unlike
 * `/cgi-bin/token`, where each fetch replaces the previous token. Answers are classified here — `WeChatApiError`
 * for an `errcode`, `StableTokenRequestError` otherwise — and the retry policy is the caller's.
 */
export class StableTokenClient {
  readonly #url: string;
  readonly #appId: string;
  readonly #appSecret: string;
  readonly #timeoutMs: number;

  constructor(options: StableTokenClientOptions) {
    this.#url = `${options.apiBase.replace(/\/+$/, '')}${STABLE_TOKEN_PATH}`;
    this.#appId = options.appId;
    this.#appSecret = options.appSecret;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** `forceRefresh` makes WeChat issue a new token and invalidate the current one (limited by WeChat; use sparingly). */
  async fetchToken(forceRefresh: boolean): Promise<StableToken> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credential', appid: this.#appId, secret: this.#appSecret, force_refresh: forceRefresh }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const reason = timedOut ? `no answer within ${this.#timeoutMs} ms` : describeNetworkError(error);
      throw new StableTokenRequestError(`${STABLE_TOKEN_PATH} request to ${this.#url} failed: ${reason}`, { retryable: true, cause: error });
    }
    if (!response.ok) {
      throw new StableTokenRequestError(`${STABLE_TOKEN_PATH} answered HTTP ${response.status}`, {
        retryable: response.status >= 500 || response.status === 429,
        status: response.status,
      });
    }
    return this.#parse(text, response.status);
  }

  #parse(text: string, status: number): StableToken {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new StableTokenRequestError(`${STABLE_TOKEN_PATH} answered with something that is not JSON (${text.length} characters)`, { retryable: true, status });
    }
    const answer = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (typeof answer.errcode === 'number' && answer.errcode !== 0) {
      const errmsg = typeof answer.errmsg === 'string' ? answer.errmsg : '';
      throw new WeChatApiError(answer.errcode, this.#withoutSecret(errmsg), STABLE_TOKEN_PATH);
    }
    const { access_token: accessToken, expires_in: expiresIn } = answer;
    if (typeof accessToken !== 'string' || accessToken === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
      throw new StableTokenRequestError(`${STABLE_TOKEN_PATH} answered without access_token/expires_in`, { retryable: false, status });
    }
    return { accessToken, expiresInSeconds: expiresIn };
  }

  /** WeChat does not echo the secret, but an error message is shown to operators, so make sure of it. */
  #withoutSecret(text: string): string {
    return this.#appSecret === '' ? text : text.split(this.#appSecret).join('[REDACTED]');
  }
}

/** undici's `fetch failed` hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, …). */
function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error.message;
}
