/**
 * The common ground of the fake AI services: a real HTTP server on a loopback port that records every request
 * and hands it to the fake's route, plus the scripting every fake shares — a queue of replies (delays, chunks
 * arriving over time, HTTP errors, failures and cut connections mid-stream) consumed one per chat request.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; undefined when the body is not JSON (see `rawBody`). */
  body: unknown;
  rawBody: Buffer;
  /** performance.now() at arrival. */
  at: number;
}

/**
 * Answers one request. `stopped` aborts when the client goes away (or the server closes), so that a route
 * pacing a slow stream stops writing to nobody.
 */
export type FakeRoute = (request: RecordedRequest, response: ServerResponse, stopped: AbortSignal) => Promise<void> | void;

export interface FakeServiceServer {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  /** Every request so far, in arrival order (a live array). */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startFakeServiceServer(route: FakeRoute): Promise<FakeServiceServer> {
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();
  const server = createServer((incoming, response) => {
    const pieces: Buffer[] = [];
    incoming.on('data', (piece: Buffer) => pieces.push(piece));
    incoming.on('end', () => {
      const rawBody = Buffer.concat(pieces);
      const recorded: RecordedRequest = {
        method: incoming.method ?? 'GET',
        path: (incoming.url ?? '/').split('?')[0]!,
        headers: incoming.headers,
        body: parseJson(rawBody),
        rawBody,
        at: performance.now(),
      };
      requests.push(recorded);
      const stopped = new AbortController();
      const stop = (): void => stopped.abort();
      closing.signal.addEventListener('abort', stop, { once: true });
      response.on('close', () => {
        closing.signal.removeEventListener('abort', stop);
        stop();
      });
      Promise.resolve(route(recorded, response, stopped.signal)).catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, { error: String(error) });
        else response.destroy();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A URL nothing listens on: connecting is refused. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** What the next chat request gets; each fake extends it with its service's own features. */
export interface FakeReply {
  /** The answer, streamed chunk by chunk (joined when the client did not ask for a stream). */
  chunks?: string[];
  /** Wait before answering at all (headers included). */
  delayMs?: number;
  /** Pause before each chunk after the first (and before the end of the stream): a stream arriving over time. */
  chunkDelayMs?: number;
  /** Answer with this HTTP status and an error body in the service's format, instead of an answer. */
  error?: { status: number; message?: string };
  /** After this many chunks, report a failure inside the stream the service's way (error line/event). */
  failAfterChunks?: number;
  /** After this many chunks, cut the connection. */
  dropAfterChunks?: number;
}

export const DEFAULT_CHUNKS = ['Hello', ' from', ' the fake'];

/** Replies queued for the next requests; the default answers when the queue is empty. */
export class ReplyScript<Reply extends FakeReply> {
  private readonly queue: Reply[] = [];
  constructor(private defaultReply: Reply) {}

  /** The next requests get these replies, in order. */
  replyNext(...replies: Reply[]): void {
    this.queue.push(...replies);
  }

  /** What requests get once the queue is empty. */
  setDefaultReply(reply: Reply): void {
    this.defaultReply = reply;
  }

  take(): Reply {
    return this.queue.shift() ?? this.defaultReply;
  }
}

/** Resolves after `ms`, or at once when `stopped` aborts (never rejects). */
export function pause(ms: number, stopped: AbortSignal): Promise<void> {
  if (ms <= 0 || stopped.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    stopped.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      stopped.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Streams `reply.chunks` through `writeChunk`, paced by `chunkDelayMs`, honouring `failAfterChunks` (calls
 * `writeFailure` and ends) and `dropAfterChunks` (destroys the connection). Resolves with how it ended.
 */
export async function streamChunks(
  reply: FakeReply,
  response: ServerResponse,
  stopped: AbortSignal,
  writeChunk: (text: string, index: number) => void,
  writeFailure: () => void,
): Promise<'complete' | 'failed' | 'dropped' | 'stopped'> {
  const chunks = reply.chunks ?? DEFAULT_CHUNKS;
  for (let index = 0; index < chunks.length; index++) {
    if (index > 0) await pause(reply.chunkDelayMs ?? 0, stopped);
    if (stopped.aborted) return 'stopped';
    if (reply.failAfterChunks === index) {
      writeFailure();
      response.end();
      return 'failed';
    }
    if (reply.dropAfterChunks === index) {
      await drop(response, stopped);
      return 'dropped';
    }
    writeChunk(chunks[index]!, index);
  }
  if (reply.failAfterChunks !== undefined && reply.failAfterChunks >= chunks.length) {
    writeFailure();
    response.end();
    return 'failed';
  }
  if (reply.dropAfterChunks !== undefined && reply.dropAfterChunks >= chunks.length) {
    await drop(response, stopped);
    return 'dropped';
  }
  await pause(chunks.length > 0 ? (reply.chunkDelayMs ?? 0) : 0, stopped);
  return stopped.aborted ? 'stopped' : 'complete';
}

/** Cuts the connection mid-body, once what was written has had time to reach the client. */
async function drop(response: ServerResponse, stopped: AbortSignal): Promise<void> {
  await pause(20, stopped);
  response.destroy();
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

export function startServerSentEvents(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  response.flushHeaders();
}

export function startJsonLines(response: ServerResponse, contentType = 'application/x-ndjson'): void {
  response.writeHead(200, { 'content-type': contentType });
  response.flushHeaders();
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
