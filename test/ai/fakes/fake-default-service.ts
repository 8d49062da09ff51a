/**
 * A fake service behind the original `default` contract: any `POST` gets the answer in the reply's format —
 * `json` (`{ message_type, content }`, the contract), `text` (a plain-text body), or the streamed extensions
 * `sse` (`data: {"content": "…"}` events, `event: error` on failure) and `ndjson` (`{"content": "…"}` lines,
 * `{"error": "…"}` on failure). Errors answer a JSON `{ "error": "…" }` with the status.
 */
import {
  DEFAULT_CHUNKS,
  ReplyScript,
  pause,
  sendJson,
  startFakeServiceServer,
  startJsonLines,
  startServerSentEvents,
  streamChunks,
  type FakeReply,
  type RecordedRequest,
} from './fake-service-server.js';

export type FakeDefaultFormat = 'json' | 'text' | 'sse' | 'ndjson';

export interface FakeDefaultReply extends FakeReply {
  /** Default: the service's `format`. */
  format?: FakeDefaultFormat;
  /** `message_type` of a JSON answer; default `text`. */
  messageType?: string;
  /** Answer exactly this body (with `contentType`, default application/json) instead of building one. */
  rawBody?: string;
  contentType?: string;
  /** Status of a `rawBody` answer; default 200. */
  rawStatus?: number;
}

export interface FakeDefaultService {
  /** The endpoint a client is configured with: `{origin}/chat`. */
  url: string;
  requests: RecordedRequest[];
  /** The JSON bodies received. */
  bodies(): Array<Record<string, unknown>>;
  replyNext(...replies: FakeDefaultReply[]): void;
  setDefaultReply(reply: FakeDefaultReply): void;
  close(): Promise<void>;
}

export interface FakeDefaultServiceOptions {
  /** How replies without their own `format` are sent; default `json`. */
  format?: FakeDefaultFormat;
}

export async function startFakeDefaultService(options: FakeDefaultServiceOptions = {}): Promise<FakeDefaultService> {
  const script = new ReplyScript<FakeDefaultReply>({ chunks: DEFAULT_CHUNKS });
  const server = await startFakeServiceServer(async (_request, response, stopped) => {
    const reply = script.take();
    await pause(reply.delayMs ?? 0, stopped);
    if (stopped.aborted) return;
    if (reply.error) return sendJson(response, reply.error.status, { error: reply.error.message ?? `fake error ${reply.error.status}` });
    if (reply.rawBody !== undefined) {
      response.writeHead(reply.rawStatus ?? 200, { 'content-type': reply.contentType ?? 'application/json' });
      response.end(reply.rawBody);
      return;
    }
    const chunks = reply.chunks ?? DEFAULT_CHUNKS;
    const format = reply.format ?? options.format ?? 'json';
    if (format === 'json' || format === 'text') {
      // A whole answer: the pacing still applies, to the body's one write.
      await pause((reply.chunkDelayMs ?? 0) * chunks.length, stopped);
      if (stopped.aborted) return;
      if (format === 'text') {
        response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(chunks.join(''));
      } else {
        sendJson(response, 200, { message_type: reply.messageType ?? 'text', content: chunks.join('') });
      }
      return;
    }
    if (format === 'sse') {
      startServerSentEvents(response);
      const ended = await streamChunks(
        reply,
        response,
        stopped,
        (text) => void response.write(`data: ${JSON.stringify({ content: text })}\n\n`),
        () => void response.write(`event: error\ndata: ${JSON.stringify({ message: 'the agent failed' })}\n\n`),
      );
      if (ended === 'complete') response.end('data: [DONE]\n\n');
      return;
    }
    startJsonLines(response);
    const ended = await streamChunks(
      reply,
      response,
      stopped,
      (text) => void response.write(`${JSON.stringify({ content: text })}\n`),
      () => void response.write(`${JSON.stringify({ error: 'the agent failed' })}\n`),
    );
    if (ended === 'complete') response.end(`${JSON.stringify({ done: true })}\n`);
  });
  return {
    url: `${server.url}/chat`,
    requests: server.requests,
    bodies: () => server.requests.map((request) => request.body as Record<string, unknown>),
    replyNext: (...replies) => script.replyNext(...replies),
    setDefaultReply: (reply) => script.setDefaultReply(reply),
    close: server.close,
  };
}
