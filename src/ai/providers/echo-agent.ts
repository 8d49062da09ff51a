/**
 * `EXTERNAL_SERVICE_TYPE=echo`: answers with the newest user message's text, through the same interface as
 * every AI service — demo mode and the benchmark exercise the whole pipeline without a model.
 */
import { lastUserText, type Agent, type AgentPart, type AgentRequest } from '../agent.js';
import { abortedError } from './provider-errors.js';

export interface EchoAgentOptions {
  /** Put before the echoed text (e.g. `Echo: `); default none. */
  prefix?: string;
  /** Provider name in logs and metrics; default `echo`. */
  name?: string;
}

export class EchoAgent implements Agent {
  readonly name: string;
  private readonly prefix: string;

  constructor(options: EchoAgentOptions = {}) {
    this.name = options.name ?? 'echo';
    this.prefix = options.prefix ?? '';
  }

  async *stream(request: AgentRequest): AsyncGenerator<AgentPart> {
    if (request.signal.aborted) throw abortedError(this.name, request.signal);
    const text = lastUserText(request.messages);
    // A message without text (an image alone) still gets an answer, so that the user sees the round trip.
    const answer = `${this.prefix}${text === '' ? '[image]' : text}`;
    yield { type: 'text-delta', text: answer };
    yield { type: 'finish', reason: 'stop' };
  }
}
