/**
 * Serves `{WECHAT_PATH}` directly on `node:http`, ahead of Fastify (which serves every other route).
 *
 * Why: the callback is the hot path, and its own work (two signatures, AES both ways, XML) costs ~40 µs; Fastify's
 * routing, content-type parsing, hook chain and reply pipeline measured another 30–40 µs per request on top
 * (profiled under load, 2026-11), which alone would miss the benchmark target of 0.8 × a hand-written
 * node:http server. The logic itself lives in the framework-free CallbackProcessor. Answers are written together
 * at the end of each I/O phase of the event loop (response-batch.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Metrics } from '../../metrics/metrics.js';
import { TEXT_TYPE, type CallbackProcessor, type CallbackResponse } from './callback-processor.js';
import { parseQuery } from './query-string.js';
import { ResponseBatch } from './response-batch.js';

export interface RawCallbackOptions {
  path: string;
  bodyLimitBytes: number;
  processor: CallbackProcessor;
  log: Logger;
  /** Counts the rejections decided here (413, and 400 for an unexpected failure). */
  metrics?: Metrics;
  /**
   * True once the server is shutting down: a callback then gets 503 (and its connection is closed) and starts
   * nothing — WeChat retries the message, reaching another instance or this one after its restart.
   */
  closing?: () => boolean;
}

/** Returns a request listener that answers callback requests and returns false for anything else. */
export function createRawCallbackHandler(options: RawCallbackOptions): (request: IncomingMessage, response: ServerResponse) => boolean {
  const { path, bodyLimitBytes, processor, log, metrics } = options;
  const closing = options.closing ?? (() => false);
  const pathWithQuery = `${path}?`;
  const batch = new ResponseBatch((error) => log.error({ err: error }, 'writing a wechat callback answer failed'));

  function send(response: ServerResponse, result: CallbackResponse, close = false): void {
    if (result.held !== undefined) {
      hold(response, result.held);
      return;
    }
    const headers: Record<string, string | number> = {
      'content-type': result.contentType,
      'content-length': Buffer.byteLength(result.body),
    };
    if (close) headers.connection = 'close';
    batch.write(response, result.status, headers, result.body);
  }

  /**
   * Answers nothing while the answer is held: WeChat gives up on this delivery after 5 s and retries. If the reply
   * becomes ready while the connection is still open, it is sent; otherwise the connection is closed unanswered
   * (an empty answer would tell WeChat not to retry).
   */
  function hold(response: ServerResponse, held: Promise<CallbackResponse | undefined>): void {
    held.then(
      (result) => {
        if (response.destroyed || response.writableEnded) return;
        if (result === undefined) {
          response.destroy();
          return;
        }
        send(response, result);
        result.sent?.();
      },
      () => response.destroy(),
    );
  }

  function failed(response: ServerResponse, error: unknown): void {
    log.error({ err: error }, 'wechat callback failed unexpectedly');
    metrics?.callbacksRejected.labels('400').inc();
    send(response, { status: 400, contentType: TEXT_TYPE, body: 'cannot read the message' });
  }

  function tooLarge(request: IncomingMessage, response: ServerResponse): void {
    log.warn({ status: 413, ip: request.socket.remoteAddress, limit: bodyLimitBytes }, 'wechat callback rejected: body over the limit');
    metrics?.callbacksRejected.labels('413').inc();
    // Stop reading: the connection closes after the answer instead of draining an arbitrarily large body.
    send(response, { status: 413, contentType: TEXT_TYPE, body: 'request body too large' }, true);
    response.once('finish', () => request.destroy());
  }

  function shuttingDown(request: IncomingMessage, response: ServerResponse): void {
    metrics?.callbacksRejected.labels('503').inc();
    send(response, { status: 503, contentType: TEXT_TYPE, body: 'shutting down' }, true);
    request.resume();
  }

  return (request, response) => {
    const url = request.url ?? '';
    if (url !== path && !url.startsWith(pathWithQuery)) return false;
    const method = request.method;
    if (method !== 'GET' && method !== 'POST') return false; // Fastify answers 404 as for any unknown route
    if (closing()) {
      shuttingDown(request, response);
      return true;
    }
    const client = request.socket.remoteAddress ?? '';
    const query = parseQuery(url);
    if (method === 'GET') {
      send(response, processor.verify(query, client));
      request.resume();
      return true;
    }
    const declared = Number(request.headers['content-length']);
    if (declared > bodyLimitBytes) {
      tooLarge(request, response);
      return true;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let rejected = false;
    request.on('data', (chunk: Buffer) => {
      if (rejected) return;
      received += chunk.length;
      if (received > bodyLimitBytes) {
        rejected = true;
        tooLarge(request, response);
        return;
      }
      chunks.push(chunk);
    });
    request.on('error', () => {}); // aborted by the client: nothing to answer
    request.on('end', () => {
      if (rejected) return;
      // The body was still coming when the shutdown began.
      if (closing()) {
        shuttingDown(request, response);
        return;
      }
      const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      let result: CallbackResponse | Promise<CallbackResponse>;
      try {
        result = processor.receive(query, body, client); // synchronous when the whole delivery is
      } catch (error) {
        failed(response, error);
        return;
      }
      if (result instanceof Promise) result.then((settled) => send(response, settled), (error: unknown) => failed(response, error));
      else send(response, result);
    });
    return true;
  };
}
