/**
 * A WeChat API call that got no usable answer: no answer in time, no connection, an HTTP status other than
 * 2xx, or a body that is not what the endpoint sends. (An answer with a non-zero `errcode` is a
 * `WeChatApiError` instead.)
 *
 * The message names the method and the path only — never the query string, which carries the access token
 * or the app secret — and `cause` is the underlying error with any such value removed.
 */
export type TransportFailure = 'timeout' | 'network' | 'http-status' | 'invalid-answer';

export interface WeChatApiTransportErrorDetails {
  method: string;
  /** The API path, without query string. */
  path: string;
  /** The HTTP status, for 'http-status' (and 'invalid-answer' when one was received). */
  status?: number;
  cause?: unknown;
}

const DESCRIPTIONS: Record<TransportFailure, string> = {
  timeout: 'no answer in time',
  network: 'the request failed',
  'http-status': 'unexpected HTTP status',
  'invalid-answer': 'the answer is not what the endpoint sends',
};

export class WeChatApiTransportError extends Error {
  override readonly name = 'WeChatApiTransportError';
  readonly failure: TransportFailure;
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;

  constructor(failure: TransportFailure, detail: string | undefined, details: WeChatApiTransportErrorDetails) {
    const description = detail ? `${DESCRIPTIONS[failure]} (${detail})` : DESCRIPTIONS[failure];
    super(`WeChat API ${details.method} ${details.path}: ${description}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.failure = failure;
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
  }

  /**
   * Whether trying again later might succeed. Whether it is *safe* is the caller's decision: a timed-out
   * message send may have been delivered, so the client itself never repeats a call after a transport error.
   */
  get isRetryable(): boolean {
    if (this.failure === 'http-status') return this.status === undefined || this.status >= 500 || this.status === 429;
    return this.failure !== 'invalid-answer';
  }
}
