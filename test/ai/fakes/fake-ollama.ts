/**
 * A fake Ollama: `POST /api/chat` streamed as NDJSON (`{"message": {...}, "done": false}` lines, then a `done`
 * line with `done_reason` and token counts), or one JSON object with `"stream": false`. Errors are answered as
 * Ollama does: a status with `{"error": "…"}`, or an `{"error": "…"}` line once the stream has started.
 */
import type { ServerResponse } from 'node:http';
import {
  DEFAULT_CHUNKS,
  ReplyScript,
  pause,
  sendJson,
  startFakeServiceServer,
  startJsonLines,
  streamChunks,
  type FakeReply,
  type RecordedRequest,
} from './fake-service-server.js';

export interface FakeOllamaReply extends FakeReply {
  /** Sent in one message after the text, as Ollama does (arguments as objects). */
  toolCalls?: Array<{ name: string; arguments: Record<string, unknown>; id?: string }>;
  /** Default `stop`. */
  doneReason?: string;
  /** End the body cleanly without the final `done` line. */
  omitDone?: boolean;
  /** The final line's token counts; default `prompt_eval_count` 12, `eval_count` <chunks>. */
  usage?: { prompt_eval_count: number; eval_count: number };
}

export interface OllamaChatBody {
  model: string;
  stream?: boolean;
  messages: Array<{ role: string; content: string; images?: string[]; tool_calls?: unknown; tool_name?: string }>;
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
}

export interface FakeOllama {
  /** e.g. http://127.0.0.1:41234 — Ollama's base URL. */
  url: string;
  requests: RecordedRequest[];
  chatRequests(): OllamaChatBody[];
  replyNext(...replies: FakeOllamaReply[]): void;
  setDefaultReply(reply: FakeOllamaReply): void;
  close(): Promise<void>;
}

export async function startFakeOllama(): Promise<FakeOllama> {
  const script = new ReplyScript<FakeOllamaReply>({ chunks: DEFAULT_CHUNKS });
  const server = await startFakeServiceServer(async (request, response, stopped) => {
    if (request.method === 'POST' && request.path === '/api/chat') return answerChat(request, response, stopped, script.take());
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('404 page not found');
  });
  return {
    url: server.url,
    requests: server.requests,
    chatRequests: () => server.requests.filter((request) => request.path === '/api/chat').map((request) => request.body as OllamaChatBody),
    replyNext: (...replies) => script.replyNext(...replies),
    setDefaultReply: (reply) => script.setDefaultReply(reply),
    close: server.close,
  };
}

async function answerChat(request: RecordedRequest, response: ServerResponse, stopped: AbortSignal, reply: FakeOllamaReply): Promise<void> {
  await pause(reply.delayMs ?? 0, stopped);
  if (stopped.aborted) return;
  if (reply.error) return sendJson(response, reply.error.status, { error: reply.error.message ?? `fake error ${reply.error.status}` });
  const body = request.body as OllamaChatBody;
  const chunks = reply.chunks ?? DEFAULT_CHUNKS;
  const line = (fields: Record<string, unknown>): Record<string, unknown> => ({ model: body.model, created_at: new Date().toISOString(), ...fields });
  const toolCalls = (reply.toolCalls ?? []).map((call) => ({ ...(call.id === undefined ? {} : { id: call.id }), function: { name: call.name, arguments: call.arguments } }));
  const final = line({
    message: { role: 'assistant', content: '' },
    done: true,
    done_reason: reply.doneReason ?? 'stop',
    total_duration: 1_000_000,
    prompt_eval_count: reply.usage?.prompt_eval_count ?? 12,
    eval_count: reply.usage?.eval_count ?? chunks.length,
  });

  if (body.stream === false) {
    sendJson(response, 200, { ...final, message: { role: 'assistant', content: chunks.join(''), ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) } });
    return;
  }
  startJsonLines(response);
  const send = (value: unknown): void => void response.write(`${JSON.stringify(value)}\n`);
  const ended = await streamChunks(
    reply,
    response,
    stopped,
    (text) => send(line({ message: { role: 'assistant', content: text }, done: false })),
    () => send({ error: 'an error was encountered while running the model: unexpected EOF' }),
  );
  if (ended !== 'complete') return;
  if (toolCalls.length > 0) send(line({ message: { role: 'assistant', content: '', tool_calls: toolCalls }, done: false }));
  if (reply.omitDone !== true) send(final);
  response.end();
}
