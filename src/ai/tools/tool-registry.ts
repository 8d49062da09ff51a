/**
 * The tools offered to the model, and the one place tool calls are executed.
 *
 * `execute` never rejects: an unknown tool, invalid arguments, a throw or a timeout all become a result with
 * `isError` whose content tells the model what went wrong, so it can correct itself or answer without the tool.
 * Results are strings (objects as JSON), cut to `maxResultLength` characters so one chatty tool cannot blow up
 * the context.
 */
import type { Logger } from 'pino';
import type { ToolCall, ToolSpec } from '../agent.js';
import { ToolError, type Tool, type ToolOutput } from './tool.js';

export interface ToolRegistryOptions {
  /** Per-call timeout unless the tool sets its own, in milliseconds. Default 10 000. */
  timeoutMs?: number;
  /** Longest result handed to the model, in characters. Default 8 000. */
  maxResultLength?: number;
}

export interface ToolCallContext {
  userId: string;
  signal: AbortSignal;
  log: Logger;
}

export interface ToolResult {
  toolCallId: string;
  name: string;
  /** What the model reads: the output, or an explanation of the failure. */
  content: string;
  isError: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESULT_LENGTH = 8_000;

export class ToolRegistry {
  readonly #tools = new Map<string, Tool>();
  readonly #timeoutMs: number;
  readonly #maxResultLength: number;

  constructor(tools: Iterable<Tool> = [], options: ToolRegistryOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxResultLength = options.maxResultLength ?? DEFAULT_MAX_RESULT_LENGTH;
    for (const tool of tools) this.add(tool);
  }

  /** Adds a tool; a second tool with the same name is a programming error. */
  add(tool: Tool): this {
    if (this.#tools.has(tool.name)) throw new Error(`a tool named "${tool.name}" is already registered`);
    this.#tools.set(tool.name, tool);
    return this;
  }

  get(name: string): Tool | undefined {
    return this.#tools.get(name);
  }

  get size(): number {
    return this.#tools.size;
  }

  /** What the model is told about the tools, in registration order. */
  specs(): ToolSpec[] {
    return [...this.#tools.values()].map((tool) => tool.spec);
  }

  /** Runs one call; resolves (never rejects) with the result for the model. */
  async execute(call: ToolCall, context: ToolCallContext): Promise<ToolResult> {
    const result = (content: string, isError: boolean): ToolResult => ({
      toolCallId: call.id,
      name: call.name,
      content: this.#truncate(content),
      isError,
    });
    const tool = this.#tools.get(call.name);
    const log = context.log.child({ tool: call.name, toolCallId: call.id });
    if (tool === undefined) {
      log.warn('the model called an unknown tool');
      const known = [...this.#tools.keys()].join(', ') || 'none';
      return result(`Error: there is no tool named "${call.name}". Available tools: ${known}.`, true);
    }
    const timeoutMs = tool.timeoutMs ?? this.#timeoutMs;
    const started = performance.now();
    try {
      const output = await withTimeout(timeoutMs, context.signal, (signal) =>
        tool.invoke(call.arguments, { userId: context.userId, signal, log }));
      log.debug({ durationMs: Math.round(performance.now() - started) }, 'tool call done');
      return result(serialise(output), false);
    } catch (error) {
      if (error instanceof ToolTimeoutError) {
        log.warn({ timeoutMs }, 'tool call timed out');
        return result(`Error: the tool "${call.name}" did not answer within ${timeoutMs} ms.`, true);
      }
      if (context.signal.aborted) return result('Error: the request was cancelled.', true);
      if (error instanceof ToolError) {
        log.info({ err: error }, 'tool call refused');
        return result(`Error: ${error.message}`, true);
      }
      log.warn({ err: error }, 'tool call failed');
      return result(`Error: the tool "${call.name}" failed unexpectedly. Answer without it, or try again later.`, true);
    }
  }

  /**
   * Runs calls in parallel, at most `concurrency` at a time; results come back in the order of `calls`
   * (the order the tool messages are given to the model).
   */
  async executeAll(calls: readonly ToolCall[], context: ToolCallContext, concurrency = 4): Promise<ToolResult[]> {
    const results: ToolResult[] = new Array<ToolResult>(calls.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < calls.length) {
        const index = next++;
        results[index] = await this.execute(calls[index]!, context);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, calls.length)) }, worker));
    return results;
  }

  #truncate(content: string): string {
    if (content.length <= this.#maxResultLength) return content;
    let end = this.#maxResultLength;
    // Do not cut a surrogate pair in half.
    const last = content.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--;
    return `${content.slice(0, end)}\n[truncated: ${content.length - end} more characters]`;
  }
}

class ToolTimeoutError extends Error {}

/**
 * Runs `work` with a signal that aborts after `timeoutMs` or with `parent`, and settles at that moment even if the
 * work ignores its signal (its eventual outcome is then dropped).
 */
async function withTimeout<T>(timeoutMs: number, parent: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let onAbort: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const stopped = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new ToolTimeoutError();
      controller.abort(error);
      reject(error);
    }, timeoutMs);
    onAbort = () => {
      controller.abort(parent.reason);
      reject(parent.reason instanceof Error ? parent.reason : new Error('aborted'));
    };
    if (parent.aborted) onAbort();
    else parent.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work(controller.signal), stopped]);
  } finally {
    clearTimeout(timer);
    parent.removeEventListener('abort', onAbort!);
  }
}

function serialise(output: ToolOutput | undefined): string {
  if (typeof output === 'string') return output;
  if (output === undefined) return '(no output)';
  return JSON.stringify(output) ?? '(no output)';
}
