/**
 * `EXTERNAL_SERVICE_TYPE=ollama`: Ollama's native chat API (`POST /api/chat`, streamed as NDJSON) — text,
 * images as base64 bytes, and tool calls.
 *
 * Ollama cannot fetch image URLs, so `capabilities.imageUrls` is false: the conversation layer downloads images
 * and passes their bytes. An image part with only a remote URL is refused as `invalid` rather than dropped.
 */
import {
  AgentError,
  type Agent,
  type AgentCapabilities,
  type AgentPart,
  type AgentRequest,
  type ChatMessage,
  type FinishReason,
  type ToolCall,
  type ToolSpec,
} from '../agent.js';
import { base64OfImage } from './image-data.js';
import { parseJsonObject } from './provider-errors.js';
import { readLines } from './read-lines.js';
import { bearerHeader, postToService } from './request-service.js';
import { endpointUrl } from './service-url.js';

export const OLLAMA_DEFAULT_URL = 'http://127.0.0.1:11434';
export const OLLAMA_DEFAULT_MODEL = 'llama3.2';

export interface OllamaAgentOptions {
  /** Base (`http://127.0.0.1:11434`) or the full `/api/chat` endpoint; default `OLLAMA_DEFAULT_URL`. */
  url?: string;
  /** Default `OLLAMA_DEFAULT_MODEL`. */
  model?: string;
  /** Sent as a bearer token, for an Ollama behind an authenticating proxy. */
  apiKey?: string;
  /** Provider name in logs, metrics and errors; default `ollama`. */
  name?: string;
}

/** Ollama's wire shapes, as far as this adapter reads and writes them. */
interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  images?: string[];
  tool_calls?: Array<{ function: { name: string; arguments: Record<string, unknown> } }>;
  tool_name?: string;
}

interface OllamaChunk {
  message?: { content?: string; tool_calls?: Array<{ id?: string; function?: { name?: string; arguments?: unknown } }> };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

export class OllamaAgent implements Agent {
  readonly name: string;
  readonly capabilities: AgentCapabilities = { vision: true, imageUrls: false, tools: true };
  readonly model: string;
  /** The `/api/chat` URL requests go to. */
  readonly chatUrl: string;
  private readonly apiKey: string | undefined;

  constructor(options: OllamaAgentOptions = {}) {
    this.name = options.name ?? 'ollama';
    this.model = options.model ?? OLLAMA_DEFAULT_MODEL;
    this.chatUrl = endpointUrl(options.url ?? OLLAMA_DEFAULT_URL, '/api/chat');
    this.apiKey = options.apiKey;
  }

  async *stream(request: AgentRequest): AsyncGenerator<AgentPart> {
    const tools = request.tools ?? [];
    const body = {
      model: this.model,
      messages: request.messages.map((message) => this.toOllamaMessage(message)),
      stream: true,
      ...(tools.length > 0 ? { tools: tools.map(toOllamaTool) } : {}),
    };
    const response = await postToService(this.name, { url: this.chatUrl, body, headers: bearerHeader(this.apiKey), signal: request.signal });
    if (response.body === null) throw new AgentError(this.name, 'invalid', `${this.name}: empty response body`);
    const calls: ToolCall[] = [];
    for await (const line of readLines(this.name, response.body, request.signal)) {
      if (line.trim() === '') continue;
      const chunk = parseJsonObject(line) as OllamaChunk | undefined;
      if (chunk === undefined) throw new AgentError(this.name, 'invalid', `${this.name}: unreadable stream line`);
      // Ollama reports failures after the 200 (model crashed, out of memory) as an `error` line.
      if (typeof chunk.error === 'string') throw new AgentError(this.name, 'server', `${this.name}: ${chunk.error}`);
      const text = chunk.message?.content ?? '';
      if (text !== '') yield { type: 'text-delta', text };
      for (const call of chunk.message?.tool_calls ?? []) calls.push(toToolCall(call, calls.length));
      if (chunk.done === true) {
        for (const call of calls) yield { type: 'tool-call', call };
        yield { type: 'finish', reason: calls.length > 0 ? 'tool-calls' : finishReasonOf(chunk.done_reason), usage: usageOf(chunk) };
        return;
      }
    }
    // A clean end of the body without the `done` line means the answer was cut short.
    throw new AgentError(this.name, 'network', `${this.name}: the stream ended before the answer was done`);
  }

  private toOllamaMessage(message: ChatMessage): OllamaMessage {
    switch (message.role) {
      case 'system':
        return { role: 'system', content: message.content };
      case 'assistant':
        if (message.toolCalls === undefined || message.toolCalls.length === 0) return { role: 'assistant', content: message.content };
        return {
          role: 'assistant',
          content: message.content,
          tool_calls: message.toolCalls.map((call) => ({ function: { name: call.name, arguments: argumentsObject(call.arguments) } })),
        };
      case 'tool':
        return { role: 'tool', content: message.content, tool_name: message.name };
      case 'user': {
        if (typeof message.content === 'string') return { role: 'user', content: message.content };
        const texts: string[] = [];
        const images: string[] = [];
        for (const part of message.content) {
          if (part.type === 'text') {
            texts.push(part.text);
            continue;
          }
          const base64 = base64OfImage(part);
          if (base64 === undefined) {
            throw new AgentError(this.name, 'invalid', `${this.name}: images must be passed as bytes (capabilities.imageUrls is false)`);
          }
          images.push(base64);
        }
        return { role: 'user', content: texts.join('\n'), ...(images.length > 0 ? { images } : {}) };
      }
    }
  }
}

function toOllamaTool(tool: ToolSpec): unknown {
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

/** Ollama gives arguments as an object already; older versions give no call id, so one is made up. */
function toToolCall(call: NonNullable<NonNullable<OllamaChunk['message']>['tool_calls']>[number], index: number): ToolCall {
  const name = call.function?.name ?? '';
  return { id: call.id ?? `call_${index}`, name, arguments: call.function?.arguments ?? {} };
}

/** Ollama wants an object; arguments the model got wrong (kept as text by the framework) go back as `{}`. */
function argumentsObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function finishReasonOf(reason: string | undefined): FinishReason {
  if (reason === undefined || reason === 'stop') return 'stop';
  if (reason === 'length') return 'length';
  return 'other';
}

function usageOf(chunk: OllamaChunk): { inputTokens?: number; outputTokens?: number } {
  return {
    ...(typeof chunk.prompt_eval_count === 'number' ? { inputTokens: chunk.prompt_eval_count } : {}),
    ...(typeof chunk.eval_count === 'number' ? { outputTokens: chunk.eval_count } : {}),
  };
}
