/**
 * The agent specification: the one contract between wx-backend and every AI service.
 *
 * Built-in providers (`default` HTTP agent, `openai`, `ollama`, `dify`, `echo`) and a custom agent
 * (`CUSTOM_SERVICE_MODULE`) all implement `Agent`. Nothing here knows about WeChat: the conversation layer turns
 * a WeChat message plus its stored context into an `AgentRequest`, and turns the streamed `AgentPart`s into
 * replies, customer-service messages or a pickup.
 *
 * One call of `stream` is one model turn. When the model asks for tools it ends the turn with `tool-call` parts
 * and `finish` (`reason: 'tool-calls'`); the framework (`ai/run-agent.ts`) runs the tools and calls `stream`
 * again with the results appended — a bounded loop that lives in one place, not in every provider. An agent that
 * runs its own tools (Dify, a custom agent) simply never emits `tool-call`.
 *
 * Errors: an agent either throws or yields an `error` part, with an `AgentError` that says whether trying again
 * could help (`retryable`). Providers only classify; `ai/resilience.ts` decides about retries, timeouts and the
 * circuit breaker. Every agent must stop promptly when `request.signal` aborts.
 *
 * ```ts
 * // A custom agent (CUSTOM_SERVICE_MODULE=./my-agent.ts), default export:
 * const agent: Agent = {
 *   name: 'my-agent',
 *   async *stream(request) {
 *     const question = lastUserText(request.messages);
 *     yield { type: 'text-delta', text: `You said: ${question}` };
 *     yield { type: 'finish', reason: 'stop' };
 *   },
 * };
 * export default agent;
 * ```
 */

/** An image given to the model: a URL it may fetch, or the bytes (downloaded from WeChat when a URL will not do). */
export interface ImagePart {
  type: 'image';
  url?: string;
  data?: Uint8Array;
  /** e.g. `image/jpeg`; required with `data`. */
  mimeType?: string;
}

export interface TextPart {
  type: 'text';
  text: string;
}

export type UserContent = string | Array<TextPart | ImagePart>;

export interface ToolCall {
  /** The model's id for this call; echoed in the `tool` message carrying its result. */
  id: string;
  name: string;
  /** Parsed JSON arguments as the model produced them (validated by the framework, not by providers). */
  arguments: unknown;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: UserContent }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string };

/** A tool as the model sees it: name, description and JSON Schema of its parameters. */
export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema (draft 2020-12 subset: type object, properties, required). */
  parameters: Record<string, unknown>;
}

/**
 * Small per-user state an agent may keep across turns, stored with the conversation context (memory or Redis):
 * e.g. Dify's `conversation_id`. Values must be JSON-serialisable.
 */
export interface AgentSession {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

export interface AgentRequest {
  /** Stable id of the user (the WeChat openid). */
  userId: string;
  /** Context first, the new user message last. A configured `SYSTEM_PROMPT` comes first as a `system` message. */
  messages: ChatMessage[];
  /** Tools the model may call; absent or empty = none. Agents without tool support ignore them. */
  tools?: ToolSpec[];
  /** Aborted on timeout, shutdown or when the answer is no longer wanted. */
  signal: AbortSignal;
  session: AgentSession;
  /**
   * The WeChat message this turn answers, in the original service's terms, for agents that want more than the
   * chat messages (the `default` HTTP agent forwards these fields as they were).
   */
  inbound?: { messageType: string; content: string; timestamp: number; extra?: Record<string, unknown> };
}

export type FinishReason = 'stop' | 'length' | 'tool-calls' | 'content-filter' | 'other';

/** What a turn streams, in order: any number of deltas/media/tool calls, then exactly one `finish` (or an error). */
export type AgentPart =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-call'; call: ToolCall }
  /** Media the agent produced: an image or voice to send to the user (uploaded through the WeChat API). */
  | { type: 'media'; kind: 'image' | 'voice'; url?: string; data?: Uint8Array; mimeType?: string }
  | { type: 'finish'; reason: FinishReason; usage?: { inputTokens?: number; outputTokens?: number } }
  | { type: 'error'; error: AgentError };

/** What an agent can take; absent flags are false. The conversation layer adapts its requests to them. */
export interface AgentCapabilities {
  /** Understands `image` parts. */
  vision?: boolean;
  /** Fetches image URLs itself (else images are downloaded and passed as bytes). */
  imageUrls?: boolean;
  /** Honours `tools` by emitting `tool-call` parts. */
  tools?: boolean;
  /** Turns speech into text: `transcribe` is implemented. */
  speechToText?: boolean;
  /** Turns text into speech: `speak` is implemented. */
  textToSpeech?: boolean;
}

export interface Agent {
  /** Provider name for logs and metrics (`openai`, `ollama`, `dify`, `default`, `echo`, or a custom one). */
  readonly name: string;
  readonly capabilities?: AgentCapabilities;
  /** One model turn (see the module comment). Must end with a `finish` part or throw/yield an `AgentError`. */
  stream(request: AgentRequest): AsyncIterable<AgentPart>;
  /** Speech to text, for voice messages without WeChat's `Recognition`. */
  transcribe?(audio: { data: Uint8Array; mimeType: string }, signal: AbortSignal): Promise<string>;
  /** Text to speech, for voice answers. */
  speak?(text: string, signal: AbortSignal): Promise<{ data: Uint8Array; mimeType: string }>;
  /** Releases connections; called on shutdown. */
  close?(): Promise<void>;
}

export type AgentErrorKind =
  /** Could not reach the service, or the connection broke. */
  | 'network'
  /** The service answered 5xx / overloaded. */
  | 'server'
  /** 429 / rate limited. */
  | 'rate-limit'
  /** The request was refused as invalid (4xx other than auth and 429), or the answer could not be understood. */
  | 'invalid'
  /** Wrong or missing credentials (401/403). */
  | 'auth'
  /** `request.signal` aborted (timeout or shutdown). */
  | 'aborted';

const RETRYABLE_KINDS: ReadonlySet<AgentErrorKind> = new Set(['network', 'server', 'rate-limit']);

/** The one error type agents report; `retryable` is the adapter's classification, the policy decides. */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  readonly kind: AgentErrorKind;
  readonly retryable: boolean;
  /** HTTP status, when the service answered one. */
  readonly status: number | undefined;
  /** Provider name. */
  readonly provider: string;

  constructor(provider: string, kind: AgentErrorKind, message: string, options: { status?: number; cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.provider = provider;
    this.kind = kind;
    this.status = options.status;
    this.retryable = options.retryable ?? RETRYABLE_KINDS.has(kind);
  }
}

/** The classification of an HTTP status a service answered with. */
export function errorKindOfStatus(status: number): AgentErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate-limit';
  if (status >= 500) return 'server';
  return 'invalid';
}

/** The text of the last user message (its text parts joined), or '' — a convenience for simple agents. */
export function lastUserText(messages: readonly ChatMessage[]): string {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index]!;
    if (message.role !== 'user') continue;
    if (typeof message.content === 'string') return message.content;
    return message.content.filter((part): part is TextPart => part.type === 'text').map((part) => part.text).join('\n');
  }
  return '';
}
