/**
 * The transport every API group uses: JSON GET/POST, multipart upload and binary download against the WeChat
 * API, with the access token added as the `access_token` query parameter.
 *
 * Policy, in this one place:
 * - An answer whose `errcode` is not 0 throws `WeChatApiError` (download endpoints included: WeChat answers
 *   them with a JSON error body).
 * - 40001/40014/42001 for a call made with the provider's token: `tokens.refreshAfterInvalid(token)`, then
 *   one retry with the token it returns. A second invalid-token answer is thrown.
 * - -1 (busy): retried after each of `busyRetryDelaysMs` in turn, then thrown.
 * - No answer within `timeoutMs`, no connection, a non-2xx status, an unreadable body: `WeChatApiTransportError`,
 *   never retried here (a message send that timed out may have been delivered).
 * Secrets — the access token, and the app secret, OAuth tokens and codes that some endpoints take in the
 * query — never appear in an error, its cause, or a log line: both name the method and the path only.
 */
import { inspect } from 'node:util';
import type { Logger } from 'pino';
import type { AccessTokenProvider } from '../access-token/access-token-provider.js';
import { parseJson, stringifyJson } from './json.js';
import { WeChatApiError } from './wechat-api-error.js';
import { WeChatApiTransportError } from './wechat-api-transport-error.js';

export interface WeChatApiClientOptions {
  /** Scheme and host of the API, e.g. `https://api.weixin.qq.com` (a path prefix is kept). */
  baseUrl: string;
  tokens: AccessTokenProvider;
  /** Time one attempt may take, answer body included. Default 10000. */
  timeoutMs?: number;
  log?: Logger;
  fetch?: typeof fetch;
  /** Pause before each retry of a call WeChat answered with -1 (busy); its length is the number of retries. Default [300, 1000]. */
  busyRetryDelaysMs?: readonly number[];
  /** Told about every request to WeChat (each attempt), for metrics; must be quick. */
  onCall?: (call: ApiCallRecord) => void;
}

/** One request to WeChat: its path, and WeChat's errcode (0 when it succeeded) or `transport` when there was no usable answer. */
export interface ApiCallRecord {
  path: string;
  errcode: number | 'transport';
}

export type QueryValue = string | number | boolean | undefined;

export interface CallOptions {
  /** Query parameters; `undefined` values are left out. */
  query?: Record<string, QueryValue>;
  /**
   * Default true. False for endpoints authenticated otherwise (OAuth `sns/*` take appid/secret or an OAuth
   * token): no `access_token` is added and an invalid-token answer is not retried.
   */
  withAccessToken?: boolean;
  /** Overrides the client's `timeoutMs` for this call (large uploads). */
  timeoutMs?: number;
  /**
   * Default true. False for calls that must not be repeated blindly — sending a message: WeChat's -1 does not
   * say whether the message went out, and a user must never see one twice — so a busy answer is thrown at once
   * for the caller (the delivery policy) to decide.
   */
  retryWhenBusy?: boolean;
}

export interface UploadFile {
  data: Uint8Array;
  fileName: string;
  /** Default `application/octet-stream`. */
  contentType?: string;
}

export interface UploadRequest {
  file: UploadFile;
  /** Form field of the file; default `media`, as every WeChat upload endpoint expects. */
  fieldName?: string;
  /** Further text fields, e.g. `description` (a JSON text) for a permanent video. */
  fields?: Record<string, string>;
}

export interface DownloadOptions extends CallOptions {
  /** Sent as a JSON POST body; without it the download is a GET. */
  body?: unknown;
}

export interface DownloadedFile {
  body: Buffer;
  contentType: string;
  /** From `Content-Disposition`, when WeChat names the file. */
  fileName?: string;
}

/** The members every WeChat JSON answer may carry. */
export interface WeChatAnswer {
  errcode?: number;
  errmsg?: string;
}

/** Query parameters whose values are credentials. */
const SECRET_QUERY_NAMES = new Set(['access_token', 'secret', 'refresh_token', 'code']);
const REDACTED = '[REDACTED]';
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_BUSY_RETRY_DELAYS_MS: readonly number[] = [300, 1000];
const JSON_CONTENT_TYPE = /json|^text\/plain/i;

type Method = 'GET' | 'POST';

interface Outgoing {
  method: Method;
  path: string;
  options: CallOptions;
  /** Builds the body for one attempt (a FormData is built afresh for the retry). */
  body?: () => { body: NonNullable<RequestInit['body']>; contentType?: string };
}

export class WeChatApiClient {
  private readonly baseUrl: string;
  private readonly tokens: AccessTokenProvider;
  private readonly timeoutMs: number;
  private readonly log: Logger | undefined;
  private readonly fetchFunction: typeof fetch;
  private readonly busyRetryDelaysMs: readonly number[];
  private readonly onCall: ((call: ApiCallRecord) => void) | undefined;

  constructor(options: WeChatApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.tokens = options.tokens;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.log = options.log;
    this.fetchFunction = options.fetch ?? fetch;
    this.busyRetryDelaysMs = options.busyRetryDelaysMs ?? DEFAULT_BUSY_RETRY_DELAYS_MS;
    this.onCall = options.onCall;
  }

  /** GET returning the JSON answer (64-bit integers as strings, see `json.ts`). */
  get<T extends object = WeChatAnswer>(path: string, options: CallOptions = {}): Promise<T> {
    return this.call({ method: 'GET', path, options }, (response, secrets) => readJsonAnswer<T>(response, 'GET', path, secrets));
  }

  /** POST of a JSON body (a `bigint` is written as a bare integer) returning the JSON answer. */
  post<T extends object = WeChatAnswer>(path: string, body: unknown, options: CallOptions = {}): Promise<T> {
    const text = stringifyJson(body);
    return this.call(
      { method: 'POST', path, options, body: () => ({ body: text, contentType: 'application/json; charset=utf-8' }) },
      (response, secrets) => readJsonAnswer<T>(response, 'POST', path, secrets),
    );
  }

  /** multipart/form-data POST (the file under `media` unless told otherwise) returning the JSON answer. */
  upload<T extends object = WeChatAnswer>(path: string, upload: UploadRequest, options: CallOptions = {}): Promise<T> {
    const { file } = upload;
    const buildForm = (): { body: NonNullable<RequestInit['body']> } => {
      const form = new FormData();
      for (const [name, value] of Object.entries(upload.fields ?? {})) form.append(name, value);
      form.append(upload.fieldName ?? 'media', new Blob([file.data], { type: file.contentType ?? 'application/octet-stream' }), file.fileName);
      return { body: form };
    };
    return this.call({ method: 'POST', path, options, body: buildForm }, (response, secrets) => readJsonAnswer<T>(response, 'POST', path, secrets));
  }

  /**
   * Downloads a file. A JSON answer with a non-zero `errcode` throws like any call; any other answer —
   * including a JSON one without error, such as the `video_url` WeChat gives for a video — is returned as is.
   */
  download(path: string, options: DownloadOptions = {}): Promise<DownloadedFile> {
    const { body, ...callOptions } = options;
    const method: Method = body === undefined ? 'GET' : 'POST';
    const text = body === undefined ? undefined : stringifyJson(body);
    return this.call(
      {
        method,
        path,
        options: callOptions,
        ...(text === undefined ? {} : { body: () => ({ body: text, contentType: 'application/json; charset=utf-8' }) }),
      },
      (response, secrets) => readDownload(response, path, secrets),
    );
  }

  private async call<T>(outgoing: Outgoing, read: (response: Response, secrets: string[]) => Promise<T>): Promise<T> {
    const { method, path } = outgoing;
    let token = outgoing.options.withAccessToken === false ? undefined : await this.tokens.getToken();
    let tokenRefreshed = false;
    let busyRetries = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(outgoing, token, attempt, read);
      } catch (error) {
        if (!(error instanceof WeChatApiError)) throw error;
        if (error.isInvalidToken && token !== undefined && !tokenRefreshed) {
          tokenRefreshed = true;
          this.log?.warn({ method, path, errcode: error.errcode }, 'WeChat API rejected the access token; refreshing it and retrying once');
          token = await this.tokens.refreshAfterInvalid(token);
          continue;
        }
        const pause = this.busyRetryDelaysMs[busyRetries];
        if (error.isRetryable && pause !== undefined && outgoing.options.retryWhenBusy !== false) {
          busyRetries++;
          this.log?.warn({ method, path, errcode: error.errcode, retryInMs: pause }, 'WeChat API is busy; retrying');
          await sleep(pause);
          continue;
        }
        throw error;
      }
    }
  }

  private async attempt<T>(
    outgoing: Outgoing,
    token: string | undefined,
    attempt: number,
    read: (response: Response, secrets: string[]) => Promise<T>,
  ): Promise<T> {
    const { method, path, options } = outgoing;
    const url = new URL(`${this.baseUrl}${path}`);
    const secrets: string[] = [];
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value === undefined) continue;
      url.searchParams.set(name, String(value));
      if (SECRET_QUERY_NAMES.has(name) && String(value).length > 0) secrets.push(String(value));
    }
    if (token !== undefined) {
      url.searchParams.set('access_token', token);
      secrets.push(token);
    }
    const prepared = outgoing.body?.();
    const headers: Record<string, string> = prepared?.contentType ? { 'content-type': prepared.contentType } : {};
    const signal = AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs);
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    try {
      const response = await this.fetchFunction(url, { method, headers, signal, ...(prepared ? { body: prepared.body } : {}) });
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        throw new WeChatApiTransportError('http-status', `HTTP ${response.status}`, { method, path, status: response.status });
      }
      const result = await read(response, secrets);
      this.log?.debug({ method, path, attempt, status: response.status, durationMs: elapsed() }, 'WeChat API call');
      this.record(path, 0);
      return result;
    } catch (error) {
      const failure = error instanceof WeChatApiError || error instanceof WeChatApiTransportError
        ? error
        : signal.aborted
          ? new WeChatApiTransportError('timeout', `after ${options.timeoutMs ?? this.timeoutMs} ms`, { method, path, cause: withoutSecrets(error, secrets) })
          : new WeChatApiTransportError('network', networkCode(error), { method, path, cause: withoutSecrets(error, secrets) });
      this.log?.debug(
        { method, path, attempt, durationMs: elapsed(), ...(failure instanceof WeChatApiError ? { errcode: failure.errcode } : { failure: failure.failure }) },
        'WeChat API call failed',
      );
      this.record(path, failure instanceof WeChatApiError ? failure.errcode : 'transport');
      throw failure;
    }
  }

  private record(path: string, errcode: number | 'transport'): void {
    try {
      this.onCall?.({ path, errcode });
    } catch {
      // Counting must not change the outcome of a call.
    }
  }
}

async function readJsonAnswer<T>(response: Response, method: Method, path: string, secrets: string[]): Promise<T> {
  const text = await response.text();
  let value: unknown;
  try {
    value = parseJson(text);
  } catch {
    throw new WeChatApiTransportError('invalid-answer', 'not JSON', { method, path, status: response.status });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new WeChatApiTransportError('invalid-answer', 'not a JSON object', { method, path, status: response.status });
  }
  throwIfError(value, path, secrets);
  return value as T;
}

async function readDownload(response: Response, path: string, secrets: string[]): Promise<DownloadedFile> {
  const contentType = response.headers.get('content-type') ?? 'application/octet-stream';
  const body = Buffer.from(await response.arrayBuffer());
  if (JSON_CONTENT_TYPE.test(contentType)) {
    let value: unknown;
    try {
      value = parseJson(body.toString('utf8'));
    } catch {
      value = undefined;
    }
    if (value !== null && typeof value === 'object') throwIfError(value, path, secrets);
  }
  const fileName = fileNameFrom(response.headers.get('content-disposition'));
  return { body, contentType, ...(fileName === undefined ? {} : { fileName }) };
}

function throwIfError(answer: object, path: string, secrets: string[]): void {
  const { errcode, errmsg } = answer as { errcode?: unknown; errmsg?: unknown };
  const code = typeof errcode === 'string' ? Number(errcode) : errcode;
  if (typeof code !== 'number' || code === 0 || Number.isNaN(code)) return;
  throw new WeChatApiError(code, redact(typeof errmsg === 'string' ? errmsg : '', secrets), path);
}

/** `attachment; filename="MEDIA_ID.jpg"`, `filename=x.amr` or RFC 5987 `filename*=UTF-8''…`. */
function fileNameFrom(disposition: string | null): string | undefined {
  if (!disposition) return undefined;
  const extended = /filename\*\s*=\s*(?:[\w-]+)?'[^']*'([^;]+)/i.exec(disposition);
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(disposition);
  const name = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2]?.trim();
  return name ? name : undefined;
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((result, secret) => result.replaceAll(secret, REDACTED), text);
}

/** The error itself, unless a secret shows anywhere in it (message, stack, causes): then a copy without. */
function withoutSecrets(error: unknown, secrets: readonly string[]): unknown {
  const text = error instanceof Error ? inspect(error, { depth: 5 }) : String(error);
  if (!secrets.some((secret) => text.includes(secret))) return error;
  const copy = new Error(redact(error instanceof Error ? error.message : String(error), secrets));
  copy.name = error instanceof Error ? error.name : 'Error';
  copy.stack = redact(copy.stack ?? '', secrets);
  return copy;
}

/** e.g. ECONNREFUSED from undici's `fetch failed` (the code sits on the cause). */
function networkCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = cause?.code ?? (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
