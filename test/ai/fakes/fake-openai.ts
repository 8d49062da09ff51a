/**
 * A fake OpenAI-compatible API: `POST …/chat/completions` (streamed as `data: {chunk}` server-sent events ending
 * in `data: [DONE]`, or one JSON completion), `…/audio/transcriptions` (multipart) and `…/audio/speech` (mp3
 * bytes). Any path prefix is served, so tests can see which URL a client called; `baseUrl` is `{url}/v1`.
 *
 * Tool calls stream like OpenAI's: the id and name in a call's first delta, the JSON arguments split over
 * several later deltas. With `stream_options.include_usage`, a usage chunk with no choices precedes `[DONE]`.
 */
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

export interface FakeToolCall {
  /** Default `call_{n}`. */
  id?: string;
  name: string;
  /** An object is sent as its JSON text; a string is sent as it is (even if it is not JSON). */
  arguments: unknown;
}

export interface FakeChatReply extends FakeReply {
  toolCalls?: FakeToolCall[];
  /** Default `tool_calls` with tool calls, else `stop`. */
  finishReason?: string;
  /** Default `{ prompt_tokens: 11, completion_tokens: <chunks> }`. */
  usage?: { prompt_tokens: number; completion_tokens: number };
}

/** Chat-completion request bodies as received (the parts the tests read). */
export interface ChatCompletionBody {
  model: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages: Array<{ role: string; content: unknown; tool_calls?: unknown; tool_call_id?: string }>;
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
}

export interface TranscriptionCall {
  model: string;
  fileName: string;
  fileType: string;
  fileSize: number;
}

export interface FakeOpenAI {
  /** The server's origin, e.g. http://127.0.0.1:41234. */
  url: string;
  /** `{url}/v1`: what a client is configured with. */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Bodies of the chat-completion requests so far. */
  chatRequests(): ChatCompletionBody[];
  transcriptions: TranscriptionCall[];
  replyNext(...replies: FakeChatReply[]): void;
  setDefaultReply(reply: FakeChatReply): void;
  /** What `/audio/transcriptions` answers. */
  transcriptionText: string;
  /** What `/audio/speech` answers (bytes starting like an mp3). */
  speechAudio: Buffer;
  /** The next audio request (either endpoint) answers this HTTP error. */
  failNextAudio(status: number, message?: string): void;
  close(): Promise<void>;
}

export interface FakeOpenAIOptions {
  /** When set, requests without `Authorization: Bearer {apiKey}` get 401. */
  apiKey?: string;
}

const MP3_BYTES = Buffer.from([0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xfb, 0x90, 0x64]);

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const script = new ReplyScript<FakeChatReply>({ chunks: DEFAULT_CHUNKS });
  const audioFailures: Array<{ status: number; message?: string }> = [];
  const transcriptions: TranscriptionCall[] = [];
  let completionNumber = 0;

  const fake: FakeOpenAI = {
    url: '',
    baseUrl: '',
    requests: [],
    chatRequests: () => fake.requests.filter((request) => request.path.endsWith('/chat/completions')).map((request) => request.body as ChatCompletionBody),
    transcriptions,
    replyNext: (...replies) => script.replyNext(...replies),
    setDefaultReply: (reply) => script.setDefaultReply(reply),
    transcriptionText: 'transcribed speech',
    speechAudio: MP3_BYTES,
    failNextAudio: (status, message) => void audioFailures.push({ status, ...(message === undefined ? {} : { message }) }),
    close: async () => {},
  };

  const server = await startFakeServiceServer(async (request, response, stopped) => {
    if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendError(response, 401, 'Incorrect API key provided.');
    }
    if (request.method === 'POST' && request.path.endsWith('/chat/completions')) {
      completionNumber += 1;
      return answerChat(request, response, stopped, script.take(), `chatcmpl-${completionNumber}`);
    }
    if (request.method === 'POST' && request.path.endsWith('/audio/transcriptions')) {
      const failure = audioFailures.shift();
      if (failure) return sendError(response, failure.status, failure.message);
      const form = await new Response(request.rawBody, { headers: { 'content-type': String(request.headers['content-type']) } }).formData();
      const file = form.get('file');
      transcriptions.push({
        model: String(form.get('model')),
        fileName: file instanceof File ? file.name : '',
        fileType: file instanceof File ? file.type : '',
        fileSize: file instanceof File ? file.size : 0,
      });
      return sendJson(response, 200, { text: fake.transcriptionText });
    }
    if (request.method === 'POST' && request.path.endsWith('/audio/speech')) {
      const failure = audioFailures.shift();
      if (failure) return sendError(response, failure.status, failure.message);
      response.writeHead(200, { 'content-type': 'audio/mpeg' });
      response.end(fake.speechAudio);
      return;
    }
    sendError(response, 404, `Unknown request URL: ${request.method} ${request.path}`);
  });
  fake.url = server.url;
  fake.baseUrl = `${server.url}/v1`;
  fake.requests = server.requests;
  fake.close = server.close;
  return fake;
}

async function answerChat(request: RecordedRequest, response: ServerResponse, stopped: AbortSignal, reply: FakeChatReply, id: string): Promise<void> {
  await pause(reply.delayMs ?? 0, stopped);
  if (stopped.aborted) return;
  if (reply.error) return sendError(response, reply.error.status, reply.error.message);
  const body = request.body as ChatCompletionBody;
  const chunks = reply.chunks ?? DEFAULT_CHUNKS;
  const toolCalls = (reply.toolCalls ?? []).map((call, index) => ({
    id: call.id ?? `call_${index}`,
    name: call.name,
    arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
  }));
  const finishReason = reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');
  const usage = reply.usage ?? { prompt_tokens: 11, completion_tokens: chunks.length };
  const base = { id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model };

  if (body.stream !== true) {
    const message = {
      role: 'assistant',
      content: chunks.join(''),
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) } : {}),
    };
    sendJson(response, 200, {
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message, finish_reason: finishReason }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
    return;
  }

  startServerSentEvents(response);
  const send = (data: unknown): void => void response.write(`data: ${JSON.stringify(data)}\n\n`);
  const choice = (delta: Record<string, unknown>, finish: string | null = null): unknown => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
  send(choice({ role: 'assistant', content: '' }));
  const ended = await streamChunks(
    reply,
    response,
    stopped,
    (text) => send(choice({ content: text })),
    () => send({ error: { message: 'The server had an error while processing your request.', type: 'server_error' } }),
  );
  if (ended !== 'complete') return;
  toolCalls.forEach((call, index) => {
    send(choice({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }));
    for (const piece of splitInThree(call.arguments)) send(choice({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  send(choice({}, finishReason));
  if (body.stream_options?.include_usage === true) send({ ...base, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
  response.end('data: [DONE]\n\n');
}

function sendError(response: ServerResponse, status: number, message?: string): void {
  const type = status === 429 ? 'rate_limit_exceeded' : status === 401 ? 'invalid_api_key' : status >= 500 ? 'server_error' : 'invalid_request_error';
  sendJson(response, status, { error: { message: message ?? `fake error ${status}`, type, param: null, code: type } });
}

function splitInThree(text: string): string[] {
  const third = Math.ceil(text.length / 3);
  return [text.slice(0, third), text.slice(third, 2 * third), text.slice(2 * third)].filter((piece) => piece !== '');
}
