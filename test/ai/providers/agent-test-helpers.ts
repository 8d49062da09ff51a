/** Requests and stream collection for the provider tests. */
import { AgentError, type Agent, type AgentPart, type AgentRequest, type AgentSession, type ChatMessage } from '../../../src/ai/agent.js';

/** An `AgentSession` in a Map, as the context store would keep it for one user. */
export class MemorySession implements AgentSession {
  readonly values = new Map<string, unknown>();
  get(key: string): unknown {
    return this.values.get(key);
  }
  set(key: string, value: unknown): void {
    if (value === undefined) this.values.delete(key);
    else this.values.set(key, value);
  }
}

/** A request with sensible defaults: one user message `text` ('Hi' by default), a live signal, a fresh session. */
export function agentRequest(overrides: Partial<AgentRequest> & { text?: string } = {}): AgentRequest {
  const { text, ...rest } = overrides;
  const messages: ChatMessage[] = [{ role: 'user', content: text ?? 'Hi' }];
  return { userId: 'o_test_user', messages, signal: new AbortController().signal, session: new MemorySession(), ...rest };
}

export interface StreamOutcome {
  parts: AgentPart[];
  /** The joined text deltas. */
  text: string;
  /** What was thrown or yielded as an `error` part. */
  error: unknown;
}

/** Every part of one turn; an error (thrown or yielded) ends the collection. */
export async function collectStream(agent: Agent, request: AgentRequest): Promise<StreamOutcome> {
  const parts: AgentPart[] = [];
  let error: unknown;
  try {
    for await (const part of agent.stream(request)) {
      parts.push(part);
      if (part.type === 'error') {
        error = part.error;
        break;
      }
    }
  } catch (thrown) {
    error = thrown;
  }
  const text = parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('');
  return { parts, text, error };
}

/** The `AgentError` a turn ended with; fails the test when it ended otherwise. */
export async function agentErrorOf(agent: Agent, request: AgentRequest): Promise<AgentError> {
  const outcome = await collectStream(agent, request);
  if (!(outcome.error instanceof AgentError)) {
    throw new Error(`expected an AgentError, got ${outcome.error === undefined ? `a complete turn (${JSON.stringify(outcome.parts)})` : String(outcome.error)}`);
  }
  return outcome.error;
}

/** The text of a message's content as a service received it: a string, or the text parts of an array. */
export function textOfContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => (typeof part === 'object' && part !== null && (part as { type?: unknown }).type === 'text' ? String((part as { text?: unknown }).text) : ''))
    .filter((text) => text !== '')
    .join('\n');
}
