/**
 * `EXTERNAL_SERVICE_TYPE=openai`: any OpenAI-compatible chat-completions API through the official SDK —
 * streamed text, tool calls, vision, usage — plus speech to text (`/audio/transcriptions`) and text to speech
 * (`/audio/speech`).
 *
 * The SDK never retries (`maxRetries: 0`): retries, backoff and the circuit breaker belong to the resilience
 * policy, which sees this adapter's classification. The caller's signal is the deadline; the SDK's own timeout
 * is only a backstop.
 */
import OpenAI, { APIConnectionError, APIError, APIUserAbortError, toFile } from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import {
  AgentError,
  errorKindOfStatus,
  type Agent,
  type AgentCapabilities,
  type AgentPart,
  type AgentRequest,
  type FinishReason,
} from '../agent.js';
import { createNodeHttpFetch, type NodeHttpFetch } from './node-http-fetch.js';
import { toOpenAIMessages, toOpenAITool } from './openai-messages.js';
import { ToolCallAssembler } from './openai-tool-calls.js';
import { baseUrlOf } from './service-url.js';

export const OPENAI_DEFAULT_URL = 'https://api.openai.com/v1';
export const OPENAI_DEFAULT_MODEL = 'gpt-4o-mini';

/** Sent when no key is configured: local OpenAI-compatible servers ignore it, and the SDK insists on one. */
const PLACEHOLDER_API_KEY = 'no-api-key';

export interface OpenAIAgentOptions {
  /** Base URL (`…/v1`) or the full endpoint (`…/v1/chat/completions`); default `OPENAI_DEFAULT_URL`. */
  url?: string;
  /** Absent for local servers that need none. */
  apiKey?: string;
  /** Default `OPENAI_DEFAULT_MODEL`. */
  model?: string;
  /** The SDK's own per-request limit, ms (default 600 000); the request's signal normally ends a call first. */
  timeoutMs?: number;
  /** Ask for token usage at the end of the stream (`stream_options.include_usage`); default true. */
  includeUsage?: boolean;
  /** The service offers `/audio/transcriptions` and `/audio/speech`; default true. */
  speech?: boolean;
  /** Default `whisper-1`. */
  transcriptionModel?: string;
  /** Default `tts-1`. */
  speechModel?: string;
  /** Default `alloy`. */
  speechVoice?: string;
  /** Provider name in logs, metrics and errors; default `openai`. */
  name?: string;
}

export class OpenAIAgent implements Agent {
  readonly name: string;
  readonly capabilities: AgentCapabilities;
  readonly model: string;
  /** The SDK's `baseURL`, derived from `options.url`. */
  readonly baseUrl: string;
  private readonly client: OpenAI;
  private readonly fetch: NodeHttpFetch;
  private readonly includeUsage: boolean;
  private readonly transcriptionModel: string;
  private readonly speechModel: string;
  private readonly speechVoice: string;

  constructor(options: OpenAIAgentOptions = {}) {
    this.name = options.name ?? 'openai';
    this.model = options.model ?? OPENAI_DEFAULT_MODEL;
    this.baseUrl = baseUrlOf(options.url ?? OPENAI_DEFAULT_URL, '/chat/completions');
    this.includeUsage = options.includeUsage ?? true;
    this.transcriptionModel = options.transcriptionModel ?? 'whisper-1';
    this.speechModel = options.speechModel ?? 'tts-1';
    this.speechVoice = options.speechVoice ?? 'alloy';
    const speech = options.speech ?? true;
    this.capabilities = { vision: true, imageUrls: true, tools: true, speechToText: speech, textToSpeech: speech };
    this.fetch = createNodeHttpFetch();
    this.client = new OpenAI({
      fetch: this.fetch,
      apiKey: options.apiKey === undefined || options.apiKey === '' ? PLACEHOLDER_API_KEY : options.apiKey,
      baseURL: this.baseUrl,
      maxRetries: 0,
      timeout: options.timeoutMs ?? 600_000,
    });
  }

  async *stream(request: AgentRequest): AsyncGenerator<AgentPart> {
    const tools = request.tools ?? [];
    const parameters: ChatCompletionCreateParamsStreaming = {
      model: this.model,
      messages: toOpenAIMessages(this.name, request.messages),
      stream: true,
      ...(this.includeUsage ? { stream_options: { include_usage: true } } : {}),
      ...(tools.length > 0 ? { tools: tools.map(toOpenAITool) } : {}),
    };
    const toolCalls = new ToolCallAssembler();
    let finishReason: FinishReason | undefined;
    let usage: { inputTokens?: number; outputTokens?: number } | undefined;
    try {
      const chunks = await this.client.chat.completions.create(parameters, { signal: request.signal });
      for await (const chunk of chunks) {
        if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
        // Only the first choice is asked for (no `n`); other indices would be another answer, not more of this one.
        const choice = chunk.choices.find((candidate) => candidate.index === 0);
        if (choice === undefined) continue;
        const text = textOf(choice.delta);
        if (text !== '') yield { type: 'text-delta', text };
        for (const delta of choice.delta.tool_calls ?? []) toolCalls.add(delta);
        if (choice.finish_reason) finishReason = finishReasonOf(choice.finish_reason);
      }
    } catch (error) {
      throw this.classify(error, request.signal);
    }
    // The SDK ends an aborted stream quietly instead of throwing.
    if (request.signal.aborted) throw this.classify(new APIUserAbortError(), request.signal);
    const calls = toolCalls.calls();
    for (const call of calls) yield { type: 'tool-call', call };
    // Some compatible servers say `stop` after tool calls; the calls still have to be run.
    const reason = calls.length > 0 ? 'tool-calls' : (finishReason ?? 'other');
    yield { type: 'finish', reason, ...(usage === undefined ? {} : { usage }) };
  }

  async transcribe(audio: { data: Uint8Array; mimeType: string }, signal: AbortSignal): Promise<string> {
    try {
      const file = await toFile(audio.data, `audio.${extensionOf(audio.mimeType)}`, { type: audio.mimeType });
      const transcription = await this.client.audio.transcriptions.create({ file, model: this.transcriptionModel }, { signal });
      return transcription.text;
    } catch (error) {
      throw this.classify(error, signal);
    }
  }

  async speak(text: string, signal: AbortSignal): Promise<{ data: Uint8Array; mimeType: string }> {
    try {
      const response = await this.client.audio.speech.create(
        { model: this.speechModel, voice: this.speechVoice, input: text, response_format: 'mp3' },
        { signal },
      );
      return { data: new Uint8Array(await response.arrayBuffer()), mimeType: 'audio/mpeg' };
    } catch (error) {
      throw this.classify(error, signal);
    }
  }

  async close(): Promise<void> {
    this.fetch.close();
  }

  /** The SDK's errors in the spec's terms; order matters, as the abort and connection errors are `APIError`s too. */
  private classify(error: unknown, signal: AbortSignal): AgentError {
    if (error instanceof AgentError) return error;
    if (signal.aborted || error instanceof APIUserAbortError) {
      return new AgentError(this.name, 'aborted', `${this.name}: the request was aborted`, { cause: signal.reason });
    }
    if (error instanceof APIConnectionError) return new AgentError(this.name, 'network', `${this.name}: ${error.message}`, { cause: error });
    if (error instanceof APIError) {
      // No status: an `error` object inside an already-started stream, i.e. the server failed mid-answer.
      const kind = error.status === undefined ? 'server' : errorKindOfStatus(error.status);
      return new AgentError(this.name, kind, `${this.name}: ${error.message}`, { cause: error, ...(error.status === undefined ? {} : { status: error.status }) });
    }
    if (error instanceof SyntaxError) return new AgentError(this.name, 'invalid', `${this.name}: unreadable stream chunk (${error.message})`, { cause: error });
    // Anything else comes from reading the body: the connection broke mid-stream.
    const message = error instanceof Error ? error.message : String(error);
    return new AgentError(this.name, 'network', `${this.name}: ${message}`, { cause: error });
  }
}

function textOf(delta: ChatCompletionChunk.Choice.Delta): string {
  // A refusal is the model's answer too; the user should see it rather than nothing.
  return (delta.content ?? '') + (delta.refusal ?? '');
}

function finishReasonOf(reason: ChatCompletionChunk.Choice['finish_reason']): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    case 'content_filter':
      return 'content-filter';
    default:
      return 'other';
  }
}

const AUDIO_EXTENSIONS: Record<string, string> = {
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/mp4': 'm4a',
  'audio/x-m4a': 'm4a',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/ogg': 'ogg',
  'audio/webm': 'webm',
  'audio/flac': 'flac',
  'audio/amr': 'amr',
  'audio/silk': 'silk',
};

/** The transcription endpoint recognises the format by the file name's extension. */
function extensionOf(mimeType: string): string {
  const base = mimeType.split(';')[0]!.trim().toLowerCase();
  return AUDIO_EXTENSIONS[base] ?? (base.split('/')[1] || 'bin');
}
