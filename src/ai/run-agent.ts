/**
 * The bounded tool-call loop: one user turn, as many model turns as the tools need.
 *
 * `runAgent` calls `agent.stream`, forwards `text-delta` and `media` parts as they arrive and collects
 * `tool-call` parts. When the model asked for tools, it runs them (in parallel, bounded), appends the assistant
 * message with its `toolCalls` and one `tool` message per result, and calls `agent.stream` again.
 *
 * Bound: after `maxToolRounds` rounds of tool calls the model is asked once more *without* tools, so the user
 * still gets an answer from what the tools returned; tool calls in a round that offered no tools (that last
 * round, or an agent without `capabilities.tools`) are ignored with a warning. So `agent.stream` runs at most
 * `maxToolRounds + 1` times.
 *
 * The stream ends with exactly one `finish` part carrying what the conversation layer stores: the text the user
 * saw and the messages this turn adds after the user's message. The same value is the generator's return value.
 * Failures are thrown, never yielded: an `error` part from the agent is thrown as its `AgentError`, and an
 * abort of `request.signal` throws an `AgentError` of kind `aborted` promptly, even mid-tool.
 *
 * Retries, timeouts and the circuit breaker are not here: wrap the whole run with `ai/resilience.ts`
 * (`policy.stream((signal) => runAgent(agent, { ...request, signal }, options))`); a retry then only happens
 * before anything reached the user, and tools run again only in that case.
 */
import type { Logger } from 'pino';
import { AgentError, type Agent, type AgentPart, type AgentRequest, type ChatMessage, type FinishReason, type ToolCall } from './agent.js';
import { abortableStream } from './abortable-stream.js';
import { ToolRegistry } from './tools/tool-registry.js';
import type { Tool } from './tools/tool.js';

export interface RunAgentOptions {
  /** Tools the model may call. Default none. */
  tools?: ToolRegistry | readonly Tool[];
  /** Rounds of tool calls before the model must answer without tools. Default 5. */
  maxToolRounds?: number;
  /** Tool calls of one round run at most this many at a time. Default 4. */
  toolConcurrency?: number;
  log: Logger;
}

export type Usage = NonNullable<Extract<AgentPart, { type: 'finish' }>['usage']>;

/** The last part of a run. */
export interface RunFinish {
  type: 'finish';
  /** The last model turn's reason. */
  reason: FinishReason;
  /** Summed over the model turns that reported it. */
  usage?: Usage;
  /** Every text delta of the run, joined: what the user was shown. */
  text: string;
  /**
   * What this turn adds to the conversation after the user's message: per tool round the assistant message with
   * its `toolCalls` and the `tool` results, then the final assistant message (`content` possibly empty).
   */
  messages: ChatMessage[];
  /** Rounds in which tools ran. */
  toolRounds: number;
}

export type RunPart = Extract<AgentPart, { type: 'text-delta' | 'media' }> | RunFinish;

const DEFAULT_MAX_TOOL_ROUNDS = 5;
const DEFAULT_TOOL_CONCURRENCY = 4;

/**
 * Runs one user turn (see the module comment). `request.tools` is replaced by the specs of `options.tools`
 * (none for agents without `capabilities.tools`).
 */
export async function* runAgent(agent: Agent, request: AgentRequest, options: RunAgentOptions): AsyncGenerator<RunPart, RunFinish, undefined> {
  const registry = options.tools instanceof ToolRegistry ? options.tools : new ToolRegistry(options.tools ?? []);
  const maxToolRounds = options.maxToolRounds ?? DEFAULT_MAX_TOOL_ROUNDS;
  const concurrency = options.toolConcurrency ?? DEFAULT_TOOL_CONCURRENCY;
  const log = options.log;
  const specs = agent.capabilities?.tools === true && registry.size > 0 ? registry.specs() : [];
  const { signal } = request;
  const aborted = (): AgentError => new AgentError(agent.name, 'aborted', 'the request was aborted', { cause: signal.reason });

  const conversation = [...request.messages];
  const added: ChatMessage[] = [];
  let text = '';
  let usage: Usage | undefined;

  for (let toolRounds = 0; ; toolRounds++) {
    const offerTools = specs.length > 0 && toolRounds < maxToolRounds;
    const roundRequest = { ...request, messages: [...conversation], tools: offerTools ? specs : undefined };
    const round = yield* streamRound(agent, roundRequest, toolRounds + 1, aborted);
    text += round.text;
    usage = addUsage(usage, round.usage);

    if (round.calls.length === 0 || !offerTools) {
      if (round.calls.length > 0) {
        log.warn({ agent: agent.name, toolRounds, calls: round.calls.map((call) => call.name) },
          'ignoring tool calls from a round that offered no tools');
      }
      added.push({ role: 'assistant', content: round.text });
      const finish: RunFinish = { type: 'finish', reason: round.reason, usage, text, messages: added, toolRounds };
      yield finish;
      return finish;
    }

    if (signal.aborted) throw aborted();
    log.debug({ agent: agent.name, round: toolRounds + 1, calls: round.calls.map((call) => call.name) }, 'running tools');
    const results = await raceAbort(registry.executeAll(round.calls, { userId: request.userId, signal, log }, concurrency), signal, aborted);
    if (signal.aborted) throw aborted();
    const roundMessages: ChatMessage[] = [
      { role: 'assistant', content: round.text, toolCalls: round.calls },
      ...results.map((result): ChatMessage => ({ role: 'tool', toolCallId: result.toolCallId, name: result.name, content: result.content })),
    ];
    conversation.push(...roundMessages);
    added.push(...roundMessages);
    if (toolRounds + 1 === maxToolRounds) {
      log.warn({ agent: agent.name, maxToolRounds }, 'tool round limit reached; asking for an answer without tools');
    }
  }
}

interface RoundOutcome {
  text: string;
  calls: ToolCall[];
  reason: FinishReason;
  usage: Usage | undefined;
}

/** One model turn: forwards text and media, collects tool calls and the finish. */
async function* streamRound(agent: Agent, request: AgentRequest, roundNumber: number, aborted: () => AgentError): AsyncGenerator<RunPart, RoundOutcome, undefined> {
  let text = '';
  const calls: ToolCall[] = [];
  let finish: Extract<AgentPart, { type: 'finish' }> | undefined;
  for await (const part of abortableStream(agent.stream(request), request.signal, aborted)) {
    switch (part.type) {
      case 'text-delta':
        text += part.text;
        yield part;
        break;
      case 'media':
        yield part;
        break;
      case 'tool-call':
        // Some services (Ollama) give no call ids; the tool message must still point at its call.
        calls.push({ ...part.call, id: part.call.id || `call_${roundNumber}_${calls.length + 1}` });
        break;
      case 'finish':
        finish = part;
        break;
      case 'error':
        throw part.error;
    }
  }
  // A stream that ends without `finish` breaks the contract mildly; its content is still usable.
  const reason = finish?.reason ?? (calls.length > 0 ? 'tool-calls' : 'stop');
  return { text, calls, reason, usage: finish?.usage };
}

function addUsage(total: Usage | undefined, usage: Usage | undefined): Usage | undefined {
  if (usage === undefined) return total;
  if (total === undefined) return { ...usage };
  const sum = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
  return { inputTokens: sum(total.inputTokens, usage.inputTokens), outputTokens: sum(total.outputTokens, usage.outputTokens) };
}

/** Settles with `work`, or rejects with `aborted()` as soon as `signal` aborts. */
async function raceAbort<T>(work: Promise<T>, signal: AbortSignal, aborted: () => AgentError): Promise<T> {
  if (signal.aborted) throw aborted();
  let onAbort: () => void = () => {};
  const abortion = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, abortion]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
