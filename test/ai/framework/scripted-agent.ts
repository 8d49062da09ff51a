/**
 * In-process agents for framework tests: each call of `stream` plays the next scripted turn and the requests
 * are recorded. A turn is a list of parts or a function of the request (for timing and abort behaviour).
 */
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import type { Agent, AgentCapabilities, AgentPart, AgentRequest, AgentSession } from '../../../src/ai/agent.js';

export type ScriptedTurn = AgentPart[] | ((request: AgentRequest, call: number) => AsyncIterable<AgentPart>);

export interface ScriptedAgent extends Agent {
  readonly requests: AgentRequest[];
}

/** Plays `turns` in order; calls beyond the script repeat the last turn. */
export function scriptedAgent(turns: ScriptedTurn[], capabilities: AgentCapabilities = { tools: true }): ScriptedAgent {
  const requests: AgentRequest[] = [];
  return {
    name: 'scripted',
    capabilities,
    requests,
    stream(request) {
      requests.push(request);
      const turn = turns[Math.min(requests.length, turns.length) - 1]!;
      if (typeof turn === 'function') return turn(request, requests.length);
      return (async function* () {
        yield* turn;
      })();
    },
  };
}

export const text = (value: string): AgentPart => ({ type: 'text-delta', text: value });
export const finish = (reason: Extract<AgentPart, { type: 'finish' }>['reason'] = 'stop'): AgentPart => ({ type: 'finish', reason });
export const toolCall = (id: string, name: string, args: unknown): AgentPart => ({ type: 'tool-call', call: { id, name, arguments: args } });

/** Waits `ms` or until `signal` aborts (then rejects with its reason), as a well-behaved agent does. */
export function wait(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal });
}

export function memorySession(): AgentSession {
  const values = new Map<string, unknown>();
  return { get: (key) => values.get(key), set: (key, value) => void values.set(key, value) };
}

export function request(overrides: Partial<AgentRequest> = {}): AgentRequest {
  return {
    userId: 'o_user',
    messages: [{ role: 'user', content: 'hello' }],
    signal: new AbortController().signal,
    session: memorySession(),
    ...overrides,
  };
}

/** A logger whose JSON lines are kept in `lines`. */
export function capturingLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, destination), lines };
}

export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const parts: T[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}
