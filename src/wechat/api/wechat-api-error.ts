/**
 * The one error type for a WeChat API answer that carries a non-zero `errcode`, and the catalogue of codes the
 * service treats specially. `hint` is a sentence for the operator (what to do), never containing a secret.
 */

/** The access token was rejected: drop it (if still cached), refresh, retry once. */
export const INVALID_TOKEN_CODES: ReadonlySet<number> = new Set([40001, 40014, 42001]);

/** Errors an operator must fix (credentials, IP whitelist, account state); retrying cannot help. */
export const OPERATOR_ERROR_CODES: ReadonlySet<number> = new Set([40164, 40125, 40013, 89503, 41002, 41004]);

const HINTS: Record<number, string> = {
  [-1]: 'WeChat is busy; try again shortly (reads are retried automatically, message sends never are)',
  40001: 'the access token is invalid or was replaced by another fetch of it',
  40013: 'WECHAT_APPID is not a valid appid',
  40014: 'the access token is malformed',
  40125: 'WECHAT_APPSECRET is wrong (reset it in the WeChat console and update the configuration)',
  40164: 'this server\'s IP is not in the account\'s IP whitelist (WeChat console → Basic configuration → IP whitelist)',
  41002: 'WECHAT_APPID is missing',
  41004: 'WECHAT_APPSECRET is missing',
  42001: 'the access token expired',
  45009: 'the daily quota of this API is used up',
  45015: 'the user has not interacted with the account in the last 48 hours',
  45047: 'the customer-service message quota for this user message is used up',
  48001: 'the account has no permission for this API (unverified accounts cannot use customer-service messages)',
  89503: 'this call needs the administrator\'s confirmation (IP risk control); confirm it in the WeChat console',
};

/** Extracts the IP address WeChat names in a 40164 `errmsg` ("invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist"). */
export function ipFromErrorMessage(errmsg: string): string | undefined {
  const match = /invalid ip ([0-9a-fA-F.:]+)/.exec(errmsg);
  return match?.[1];
}

export class WeChatApiError extends Error {
  override readonly name = 'WeChatApiError';
  readonly errcode: number;
  readonly errmsg: string;
  readonly hint: string | undefined;
  /** The API path that failed, without query string (never contains the token). */
  readonly path: string | undefined;

  constructor(errcode: number, errmsg: string, path?: string) {
    const hint = hintFor(errcode, errmsg);
    super(`WeChat API ${path ?? ''} errcode ${errcode}: ${errmsg}${hint ? ` (${hint})` : ''}`.replace('  ', ' '));
    this.errcode = errcode;
    this.errmsg = errmsg;
    this.hint = hint;
    this.path = path;
  }

  get isInvalidToken(): boolean {
    return INVALID_TOKEN_CODES.has(this.errcode);
  }

  get isOperatorError(): boolean {
    return OPERATOR_ERROR_CODES.has(this.errcode);
  }

  /** Worth retrying after a pause: WeChat busy (-1). */
  get isRetryable(): boolean {
    return this.errcode === -1;
  }
}

function hintFor(errcode: number, errmsg: string): string | undefined {
  const hint = HINTS[errcode];
  if (errcode === 40164) {
    const ip = ipFromErrorMessage(errmsg);
    return ip ? `${hint}; add ${ip} to it` : hint;
  }
  return hint;
}
