/**
 * `EXTERNAL_SERVICE_TYPE=default`: the original service's HTTP contract, kept as it was.
 *
 * Request: `POST EXTERNAL_SERVICE_URL` with JSON `{ user_id, message_type, content, timestamp, ...extra }` — the
 * WeChat message's own fields when `request.inbound` is given, else derived from the newest user message
 * (`text`, or `image` with the image URL as content); `timestamp` in seconds.
 *
 * Answer, by what the service sends:
 * - JSON `{ message_type, content }`: `content` is the answer (an `image`/`voice` type with a URL becomes a
 *   `media` part); a JSON object without a string `content` is `invalid`.
 * - any other body: the text itself is the answer (an empty body is `invalid`).
 * - streamed, as an extension: `text/event-stream` whose `data:` lines are text or JSON `{ "content": "…" }`
 *   (ended by the body or `[DONE]`; an `error` event fails the turn), or NDJSON (`application/x-ndjson`) lines
 *   `{ "content": "…" }` / `{ "error": "…" }`. Each piece is passed on as it arrives.
 * The service keeps any history itself: only the current message is sent.
 */
import { AgentError, lastUserText, type Agent, type AgentPart, type AgentRequest, type ChatMessage } from '../agent.js';
import { errorOfFailedRequest, parseJsonObject } from './provider-errors.js';
import { readLines } from './read-lines.js';
import { readServerSentEvents } from './read-server-sent-events.js';
import { bearerHeader, postToService } from './request-service.js';

export interface HttpAgentOptions {
  /** `EXTERNAL_SERVICE_URL`: the endpoint itself. */
  url: string;
  /** Sent as a bearer token when set. */
  apiKey?: string;
  /** Provider name in logs, metrics and errors; default `default`. */
  name?: string;
}

/** The request body of the original contract. */
export interface HttpAgentRequestBody extends Record<string, unknown> {
  user_id: string;
  message_type: string;
  content: string;
  timestamp: number;
}

const STREAMED_TEXT_FIELDS = ['content', 'delta', 'text', 'answer'] as const;

export class HttpAgent implements Agent {
  readonly name: string;
  readonly url: string;
  private readonly apiKey: string | undefined;

  constructor(options: HttpAgentOptions) {
    this.name = options.name ?? 'default';
    this.url = options.url;
    this.apiKey = options.apiKey;
  }

  async *stream(request: AgentRequest): AsyncGenerator<AgentPart> {
    const response = await postToService(this.name, {
      url: this.url,
      body: requestBodyOf(request),
      headers: { accept: 'application/json, text/plain, text/event-stream, application/x-ndjson', ...bearerHeader(this.apiKey) },
      signal: request.signal,
    });
    const contentType = response.headers.get('content-type') ?? '';
    if (response.body !== null && contentType.includes('text/event-stream')) {
      yield* this.streamServerSentEvents(response.body, request.signal);
    } else if (response.body !== null && /ndjson|jsonl/.test(contentType)) {
      yield* this.streamJsonLines(response.body, request.signal);
    } else {
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        throw errorOfFailedRequest(this.name, error, request.signal);
      }
      yield this.answerOf(text);
    }
    yield { type: 'finish', reason: 'stop' };
  }

  private answerOf(body: string): AgentPart {
    const trimmed = body.trim();
    if (trimmed === '') throw new AgentError(this.name, 'invalid', `${this.name}: the service answered an empty body`);
    if (!trimmed.startsWith('{')) return { type: 'text-delta', text: body };
    const answer = parseJsonObject(trimmed);
    if (answer === undefined) return { type: 'text-delta', text: body };
    if (typeof answer.content !== 'string') {
      throw new AgentError(this.name, 'invalid', `${this.name}: the JSON answer has no string "content"`);
    }
    const messageType = answer.message_type;
    if ((messageType === 'image' || messageType === 'voice') && /^https?:\/\//.test(answer.content)) {
      return { type: 'media', kind: messageType, url: answer.content };
    }
    return { type: 'text-delta', text: answer.content };
  }

  private async *streamServerSentEvents(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<AgentPart> {
    for await (const event of readServerSentEvents(this.name, body, signal)) {
      if (event.data === '[DONE]') return;
      if (event.event === 'error') throw new AgentError(this.name, 'server', `${this.name}: ${textOfPiece(event.data) || 'error event'}`);
      const text = textOfPiece(event.data);
      if (text !== '') yield { type: 'text-delta', text };
    }
  }

  private async *streamJsonLines(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<AgentPart> {
    for await (const line of readLines(this.name, body, signal)) {
      if (line.trim() === '') continue;
      const piece = parseJsonObject(line);
      if (piece === undefined) throw new AgentError(this.name, 'invalid', `${this.name}: unreadable stream line`);
      if (typeof piece.error === 'string') throw new AgentError(this.name, 'server', `${this.name}: ${piece.error}`);
      const text = textOfPiece(line);
      if (text !== '') yield { type: 'text-delta', text };
      if (piece.done === true) return;
    }
  }
}

/** The contract's request body for this turn. */
export function requestBodyOf(request: AgentRequest): HttpAgentRequestBody {
  const fields = request.inbound === undefined ? derivedFields(request.messages) : request.inbound;
  return {
    ...fields.extra,
    user_id: request.userId,
    message_type: fields.messageType,
    content: fields.content,
    timestamp: fields.timestamp,
  };
}

function derivedFields(messages: readonly ChatMessage[]): { messageType: string; content: string; timestamp: number; extra?: Record<string, unknown> } {
  const timestamp = Math.floor(Date.now() / 1000);
  const text = lastUserText(messages);
  const newest = messages.findLast((message) => message.role === 'user');
  const image = newest?.role === 'user' && typeof newest.content !== 'string' ? newest.content.find((part) => part.type === 'image') : undefined;
  if (text === '' && image?.type === 'image' && image.url !== undefined) return { messageType: 'image', content: image.url, timestamp };
  return { messageType: 'text', content: text, timestamp };
}

/** A streamed piece: JSON with one of the usual text fields, or plain text. */
function textOfPiece(data: string): string {
  const piece = data.trimStart().startsWith('{') ? parseJsonObject(data) : undefined;
  if (piece === undefined) return data;
  for (const field of STREAMED_TEXT_FIELDS) {
    const value = piece[field];
    if (typeof value === 'string') return value;
  }
  return typeof piece.message === 'string' ? piece.message : '';
}
