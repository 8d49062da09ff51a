/**
 * Streamed tool calls put back together. Chat-completions streams send a call's id and name in its first delta
 * and its JSON arguments in pieces over later deltas, keyed by `index`; several calls may interleave.
 */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ToolCall } from '../agent.js';

type ToolCallDelta = ChatCompletionChunk.Choice.Delta.ToolCall;

interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

export class ToolCallAssembler {
  private readonly pending = new Map<number, PendingCall>();

  add(delta: ToolCallDelta): void {
    const index = this.indexOf(delta);
    let call = this.pending.get(index);
    if (call === undefined) {
      call = { id: '', name: '', arguments: '' };
      this.pending.set(index, call);
    }
    if (delta.id !== undefined && delta.id !== '' && call.id === '') call.id = delta.id;
    if (delta.function?.name !== undefined && delta.function.name !== '' && call.name === '') call.name = delta.function.name;
    if (delta.function?.arguments !== undefined) call.arguments += delta.function.arguments;
  }

  get size(): number {
    return this.pending.size;
  }

  /** The complete calls in index order; a call the server gave no id gets a stable made-up one. */
  calls(): ToolCall[] {
    return [...this.pending.entries()]
      .sort(([left], [right]) => left - right)
      .map(([index, call]) => ({ id: call.id === '' ? `call_${index}` : call.id, name: call.name, arguments: parseToolArguments(call.arguments) }));
  }

  /**
   * Servers that leave `index` out send each call whole: a new id starts a new call, anything else continues
   * the last one.
   */
  private indexOf(delta: ToolCallDelta): number {
    if (typeof delta.index === 'number') return delta.index;
    const last = this.pending.size - 1;
    if (last < 0) return 0;
    const isNewCall = delta.id !== undefined && delta.id !== '' && this.pending.get(last)?.id !== delta.id;
    return isNewCall ? last + 1 : last;
  }
}

/**
 * The arguments as JSON: '' (a call without parameters) is `{}`; text that is not JSON is passed on unchanged,
 * so that the framework's validation reports it to the model like any other invalid arguments.
 */
export function parseToolArguments(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
