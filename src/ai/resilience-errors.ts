/**
 * The errors `ai/resilience.ts` raises on top of the agents' own `AgentError`s. The conversation layer answers
 * `EXTERNAL_SERVICE_TIMEOUT_MSG` when `isAgentTimeout(error)`, and `EXTERNAL_SERVICE_ERROR_MSG` for everything
 * else (these included).
 */
import { AgentError } from './agent.js';

/** No complete answer within the total timeout. Kind `aborted`, not retryable; `timeout` tells it apart. */
export class AgentTimeoutError extends AgentError {
  readonly timeout = true;
  readonly timeoutMs: number;

  constructor(provider: string, timeoutMs: number, options: { cause?: unknown } = {}) {
    super(provider, 'aborted', `no complete answer within ${timeoutMs} ms`, { ...options, retryable: false });
    this.timeoutMs = timeoutMs;
  }
}

/** The circuit is open (or a half-open probe is under way): the service was not called. */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';

  constructor(provider: string) {
    super(`${provider}: the circuit breaker is open after repeated failures; not calling the service`);
  }
}

/** Every concurrency slot and queue place was taken: the call was refused at once. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';

  constructor(provider: string, maxConcurrent: number, maxQueued: number) {
    super(`${provider}: ${maxConcurrent} calls in flight and ${maxQueued} queued; refusing more`);
  }
}

export function isAgentTimeout(error: unknown): error is AgentTimeoutError {
  return error instanceof AgentTimeoutError;
}
