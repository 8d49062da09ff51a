/**
 * A fake Dify app API: `POST /v1/chat-messages` streamed as server-sent events (`ping`, `message` or
 * `agent_message` deltas, `message_file`, `message_end` with usage; failures as an `error` event) or answered
 * in one JSON (`response_mode: 'blocking'`), and `POST /v1/files/upload`.
 *
 * Conversations as Dify keeps them: an empty `conversation_id` starts a new one (its id is in every event);
 * a known id continues it; an unknown id, or another user's, answers 404 "Conversation Not Exists.".
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  DEFAULT_CHUNKS,
  ReplyScript,
  pause,
  sendJson,
  startFakeServiceServer,
  startServerSentEvents,
  streamChunks,
  type FakeReply,
  type RecordedRequest,
} from './fake-service-server.js';

export interface FakeDifyReply extends FakeReply {
  /** Stream `agent_message` events instead of `message` (an agent app). */
  agent?: boolean;
  /** Image URLs the app "produced", sent as `message_file` events before `message_end`. */
  files?: string[];
  /** The in-stream `error` event's fields for `failAfterChunks`; default status 500. */
  streamError?: { status?: number; code?: string; message?: string };
  /** `metadata.usage`'s counts; default `prompt_tokens` 21, `completion_tokens` <chunks>. */
  usage?: { prompt_tokens: number; completion_tokens: number };
}

export interface DifyChatBody {
  inputs: Record<string, unknown>;
  query: string;
  response_mode: string;
  conversation_id?: string;
  user: string;
  files?: Array<{ type: string; transfer_method: string; url?: string; upload_file_id?: string }>;
}

export interface DifyUpload {
  id: string;
  user: string;
  name: string;
  type: string;
  size: number;
}

export interface FakeDify {
  /** The server's origin. */
  url: string;
  /** `{url}/v1`: the API base a client is configured with. */
  baseUrl: string;
  requests: RecordedRequest[];
  chatRequests(): DifyChatBody[];
  /** Conversation id → the user it belongs to. */
  conversations: Map<string, string>;
  uploads: DifyUpload[];
  replyNext(...replies: FakeDifyReply[]): void;
  setDefaultReply(reply: FakeDifyReply): void;
  close(): Promise<void>;
}

export interface FakeDifyOptions {
  /** When set, requests without `Authorization: Bearer {apiKey}` get 401. */
  apiKey?: string;
}

export async function startFakeDify(options: FakeDifyOptions = {}): Promise<FakeDify> {
  const script = new ReplyScript<FakeDifyReply>({ chunks: DEFAULT_CHUNKS });
  const conversations = new Map<string, string>();
  const uploads: DifyUpload[] = [];
  const server = await startFakeServiceServer(async (request, response, stopped) => {
    if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendError(response, 401, 'unauthorized', 'Access token is invalid');
    }
    if (request.method === 'POST' && request.path === '/v1/chat-messages') return answerChat(request, response, stopped, script.take(), conversations);
    if (request.method === 'POST' && request.path === '/v1/files/upload') {
      const form = await new Response(request.rawBody, { headers: { 'content-type': String(request.headers['content-type']) } }).formData();
      const file = form.get('file');
      if (!(file instanceof File)) return sendError(response, 400, 'no_file_uploaded', 'Please upload your file.');
      const upload = { id: randomUUID(), user: String(form.get('user')), name: file.name, type: file.type, size: file.size };
      uploads.push(upload);
      return sendJson(response, 201, { id: upload.id, name: upload.name, size: upload.size, extension: upload.name.split('.').pop(), mime_type: upload.type });
    }
    sendError(response, 404, 'not_found', 'The requested URL was not found on the server.');
  });
  return {
    url: server.url,
    baseUrl: `${server.url}/v1`,
    requests: server.requests,
    chatRequests: () => server.requests.filter((request) => request.path === '/v1/chat-messages').map((request) => request.body as DifyChatBody),
    conversations,
    uploads,
    replyNext: (...replies) => script.replyNext(...replies),
    setDefaultReply: (reply) => script.setDefaultReply(reply),
    close: server.close,
  };
}

async function answerChat(
  request: RecordedRequest,
  response: ServerResponse,
  stopped: AbortSignal,
  reply: FakeDifyReply,
  conversations: Map<string, string>,
): Promise<void> {
  await pause(reply.delayMs ?? 0, stopped);
  if (stopped.aborted) return;
  const body = request.body as DifyChatBody;
  if (typeof body?.query !== 'string' || typeof body.user !== 'string') return sendError(response, 400, 'invalid_param', 'query and user are required');
  let conversationId = body.conversation_id ?? '';
  if (conversationId !== '' && conversations.get(conversationId) !== body.user) return sendError(response, 404, 'not_found', 'Conversation Not Exists.');
  if (reply.error) return sendError(response, reply.error.status, statusCode(reply.error.status), reply.error.message ?? `fake error ${reply.error.status}`);
  if (conversationId === '') {
    conversationId = randomUUID();
    conversations.set(conversationId, body.user);
  }
  const chunks = reply.chunks ?? DEFAULT_CHUNKS;
  const messageId = randomUUID();
  const taskId = randomUUID();
  const created = Math.floor(Date.now() / 1000);
  const counts = reply.usage ?? { prompt_tokens: 21, completion_tokens: chunks.length };
  const usage = { ...counts, total_tokens: counts.prompt_tokens + counts.completion_tokens };

  if (body.response_mode !== 'streaming') {
    sendJson(response, 200, { event: 'message', task_id: taskId, id: messageId, message_id: messageId, conversation_id: conversationId, mode: 'chat', answer: chunks.join(''), metadata: { usage }, created_at: created });
    return;
  }
  startServerSentEvents(response);
  const send = (data: Record<string, unknown>): void => void response.write(`data: ${JSON.stringify(data)}\n\n`);
  response.write('event: ping\n\n');
  const common = { conversation_id: conversationId, message_id: messageId, task_id: taskId, created_at: created };
  const ended = await streamChunks(
    reply,
    response,
    stopped,
    (text) => send({ event: reply.agent === true ? 'agent_message' : 'message', id: messageId, answer: text, ...common }),
    () => {
      const failure = reply.streamError ?? {};
      const status = failure.status ?? 500;
      send({ event: 'error', task_id: taskId, message_id: messageId, status, code: failure.code ?? statusCode(status), message: failure.message ?? 'internal server error' });
    },
  );
  if (ended !== 'complete') return;
  for (const url of reply.files ?? []) send({ event: 'message_file', id: randomUUID(), type: 'image', belongs_to: 'assistant', url, conversation_id: conversationId });
  send({ event: 'message_end', id: messageId, ...common, metadata: { usage } });
  response.end();
}

function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  sendJson(response, status, { code, message, status });
}

function statusCode(status: number): string {
  if (status === 401) return 'unauthorized';
  if (status === 429) return 'too_many_requests';
  if (status >= 500) return 'internal_server_error';
  return 'invalid_param';
}
