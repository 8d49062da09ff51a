/**
 * WeChat's delivery rule, played against a callback: one signed POST, at most `timeoutMs` (WeChat: 5 s) for the
 * whole answer, and the byte-identical request again — at once — when a delivery times out, its connection fails
 * or it is answered with a status other than 200; at most `maxDeliveries` (WeChat: 3) in all. It stops at the
 * first 200, whose body is what the user sees (a passive reply, or nothing for `success`/an empty body).
 *
 * The one implementation of that rule: `wx-backend simulate`, the web simulator and the tests' WeChat client all
 * deliver through it.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { CallbackAnswer, SignedDelivery, WeChatEmulator } from './wechat-emulator.js';

/** WeChat waits this long for each delivery. */
export const WECHAT_TIMEOUT_MS = 5000;
/** WeChat delivers a message at most this many times. */
export const WECHAT_DELIVERIES = 3;

/**
 * How one delivery ended: the HTTP status, `timeout` (no whole answer within the limit), `refused` (nothing
 * listens at the address: the server is not running) or `closed` (any other connection failure).
 */
export type DeliveryStatus = number | 'timeout' | 'refused' | 'closed';

export interface DeliveryAttempt {
  /** 1 for the first delivery, up to `maxDeliveries`. */
  number: number;
  status: DeliveryStatus;
  /** From sending the delivery to its outcome. */
  ms: number;
  /** performance.now() when the delivery was sent. */
  sentAt: number;
  /** What failed, for `refused`/`closed` (a system error code or message). */
  error?: string;
  /** The start of the body of an answer other than 200 (e.g. why a 403 refused it). */
  body?: string;
}

export interface WeChatExchange {
  /** The signed request, as WeChat delivers it again on a retry. */
  request: SignedDelivery;
  deliveries: DeliveryAttempt[];
  /**
   * The 200 answer, read as WeChat reads it (decrypted, signature checked), or undefined when no delivery got one:
   * WeChat then gives up and the user sees nothing passively.
   */
  answer: CallbackAnswer | undefined;
  /** performance.now() before the first delivery and after the last. */
  sentAt: number;
  endedAt: number;
}

export interface DeliverOptions {
  /** Per delivery; default WECHAT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Default WECHAT_DELIVERIES. */
  maxDeliveries?: number;
  /** Called after each delivery (e.g. to show "no answer in 5 s, WeChat retries"). */
  onAttempt?: (attempt: DeliveryAttempt) => void;
  /** Stops the exchange (the current delivery is abandoned, as on a timeout, and no retry follows). */
  signal?: AbortSignal;
}

export async function deliverLikeWeChat(emulator: WeChatEmulator, delivery: SignedDelivery, options: DeliverOptions = {}): Promise<WeChatExchange> {
  const timeoutMs = options.timeoutMs ?? WECHAT_TIMEOUT_MS;
  const maxDeliveries = options.maxDeliveries ?? WECHAT_DELIVERIES;
  const deliveries: DeliveryAttempt[] = [];
  const sentAt = performance.now();
  for (let number = 1; number <= maxDeliveries && options.signal?.aborted !== true; number++) {
    const started = performance.now();
    const outcome = await post(delivery, timeoutMs, options.signal);
    const attempt: DeliveryAttempt = {
      number,
      status: outcome.status,
      ms: Math.round(performance.now() - started),
      sentAt: started,
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
      ...(typeof outcome.status === 'number' && outcome.status !== 200 ? { body: outcome.body.slice(0, 500) } : {}),
    };
    deliveries.push(attempt);
    options.onAttempt?.(attempt);
    if (outcome.status === 200) {
      return { request: delivery, deliveries, answer: readAnswer(emulator, outcome, delivery), sentAt, endedAt: performance.now() };
    }
  }
  return { request: delivery, deliveries, answer: undefined, sentAt, endedAt: performance.now() };
}

function readAnswer(emulator: WeChatEmulator, outcome: PostOutcome, delivery: SignedDelivery): CallbackAnswer {
  try {
    return emulator.readAnswer(200, outcome.body, outcome.contentType, delivery.mode);
  } catch (error) {
    return { status: 200, body: outcome.body, contentType: outcome.contentType, problem: describe(error) };
  }
}

interface PostOutcome {
  status: DeliveryStatus;
  body: string;
  contentType: string;
  error?: string;
}

/**
 * One delivery on a connection of its own (no keep-alive pool): a delivery abandoned at the time limit closes its
 * connection at once, as WeChat's does — no idle socket is left behind for the server to wait on when it shuts down.
 */
function post(delivery: SignedDelivery, timeoutMs: number, stop: AbortSignal | undefined): Promise<PostOutcome> {
  return new Promise((resolve) => {
    const url = new URL(delivery.url);
    const body = Buffer.from(delivery.body, 'utf8');
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, { method: 'POST', agent: false, headers: { 'content-type': 'text/xml', 'content-length': body.length } });
    let settled = false;
    const finish = (outcome: PostOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stop?.removeEventListener('abort', abandon);
      resolve(outcome);
    };
    // WeChat's limit covers the whole answer, body included.
    const abandon = (): void => {
      finish({ status: 'timeout', body: '', contentType: '' });
      request.destroy();
    };
    const timer = setTimeout(abandon, timeoutMs);
    stop?.addEventListener('abort', abandon, { once: true });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => finish({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), contentType: response.headers['content-type'] ?? '' }));
      response.on('error', (error) => finish({ status: 'closed', body: '', contentType: '', error: systemErrorCode(error) ?? describe(error) }));
    });
    request.on('error', (error) => {
      const code = systemErrorCode(error);
      finish({ status: code === 'ECONNREFUSED' ? 'refused' : 'closed', body: '', contentType: '', error: code ?? describe(error) });
    });
    request.end(body);
  });
}

/** The system error code (`ECONNREFUSED`, `ECONNRESET`, …) behind a failed fetch, if any. */
function systemErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    // A connection refused on every address of a name comes as an AggregateError of the per-address errors.
    if (current instanceof AggregateError) {
      const codes = current.errors.map(systemErrorCode);
      if (codes.length > 0 && codes.every((each) => each === 'ECONNREFUSED')) return 'ECONNREFUSED';
    }
  }
  return undefined;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.cause instanceof Error ? error.cause.message : error.message;
  return String(error);
}
