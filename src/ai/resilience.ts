/**
 * The one place that decides about retries, timeouts, the circuit breaker and concurrency for agent calls.
 * Agents only classify their errors (`AgentError.retryable`); this module acts on that.
 *
 * Create one policy per agent and share it by every request (the breaker and the concurrency limit are
 * per service). `policy.stream(call)` wraps a function producing a stream — usually a whole `runAgent` turn:
 *
 * ```ts
 * const policy = createResiliencePolicy({ provider: agent.name, timeoutMs: config.agent.timeoutSeconds * 1000 });
 * try {
 *   for await (const part of policy.stream((signal) => runAgent(agent, { ...request, signal }, options))) { … }
 * } catch (error) {
 *   send(isAgentTimeout(error) ? config.agent.timeoutMessage : config.agent.errorMessage);
 * }
 * ```
 *
 * For each `stream` call, outermost first:
 * - Total timeout (`timeoutMs`, i.e. EXTERNAL_SERVICE_TIMEOUT) from the first pull, covering the queue, every
 *   attempt and the backoff between them. It aborts the signal given to `call` and fails with
 *   `AgentTimeoutError` at once, even if the stream ignores the signal. An abort of `options.signal` (shutdown,
 *   the answer no longer wanted) fails with an `AgentError` of kind `aborted` instead.
 * - Circuit breaker (cockatiel, consecutive failures): after `breakerThreshold` failed attempts in a row it
 *   opens; calls then fail with `CircuitOpenError` without queueing or calling the service. After
 *   `breakerCooldownMs` the next call is the one probe (others keep failing fast until it ends): success
 *   closes the circuit, failure re-opens it for another cool-down. Failures are timeouts, retryable and `auth`
 *   AgentErrors and non-AgentErrors; `invalid` answers and aborts say nothing about the service's health.
 * - Bulkhead (cockatiel): at most `maxConcurrent` calls stream at once, `maxQueued` wait (first come, first
 *   served); beyond that `QueueFullError` at once. A call holds its slot until its stream ends.
 * - Retry (cockatiel) with exponential backoff (`retryBaseDelayMs`·2ⁿ, half jittered, at most
 *   `retryMaxDelayMs`) for `retryable` AgentErrors only, and only while no part has been passed on yet — once
 *   the caller has seen a part, a retry would duplicate text, so the error is final.
 *
 * An `error` part in the stream is treated as if the stream had thrown its error.
 */
import {
  BrokenCircuitError, BulkheadRejectedError, CircuitState, ConsecutiveBreaker, ExponentialBackoff, IsolatedCircuitError,
  bulkhead, circuitBreaker, halfJitterGenerator, handleWhen, retry,
} from 'cockatiel';
import { AgentError } from './agent.js';
import { abortableStream } from './abortable-stream.js';
import { Handoff } from './handoff.js';
import { AgentTimeoutError, CircuitOpenError, QueueFullError } from './resilience-errors.js';

/** For metrics and logs. Hooks must be quick; what they throw is ignored. */
export interface ResilienceHooks {
  /** An attempt starts; `attempt` counts from 1 within one `stream` call. */
  onAttempt?(event: { attempt: number }): void;
  /** An attempt failed and another follows after `delayMs`. */
  onRetry?(event: { attempt: number; delayMs: number; error: unknown }): void;
  /** The circuit opened (again). */
  onBreak?(event: { error: unknown }): void;
  /** The cool-down is over and a probe call starts. */
  onHalfOpen?(): void;
  /** A probe succeeded: the circuit is closed. */
  onReset?(): void;
  /** A call was refused without calling the service. */
  onReject?(event: { reason: 'circuit-open' | 'queue-full' }): void;
}

export interface ResilienceOptions {
  /** Named in the errors the policy raises. Default `agent`. */
  provider?: string;
  /** Total time for one `stream` call, ms. Default 600 000 (EXTERNAL_SERVICE_TIMEOUT's default of 600 s). */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 2. */
  retries?: number;
  /** First backoff, ms. Default 500. */
  retryBaseDelayMs?: number;
  /** Longest backoff, ms. Default 10 000. */
  retryMaxDelayMs?: number;
  /** Consecutive failed attempts that open the circuit. Default 5. */
  breakerThreshold?: number;
  /** How long the circuit stays open before a probe, ms. Default 30 000. */
  breakerCooldownMs?: number;
  /** Calls streaming at once. Default 20. */
  maxConcurrent?: number;
  /** Calls waiting for a slot. Default 200. */
  maxQueued?: number;
  hooks?: ResilienceHooks;
}

export type CircuitStatus = 'closed' | 'open' | 'half-open';

export interface ResilienceState {
  /** `half-open` also when the cool-down is over and the next call will be the probe. */
  circuit: CircuitStatus;
  inFlight: number;
  /** Waiting calls; one whose timeout passed while queued is counted until a slot frees. */
  queued: number;
}

export interface ResiliencePolicy {
  /** Runs `call` under the policy (see the module comment); throws what the caller should report. */
  stream<Part extends { type: string }>(
    call: (signal: AbortSignal) => AsyncIterable<Part>,
    options?: { signal?: AbortSignal },
  ): AsyncGenerator<Part, void, undefined>;
  state(): ResilienceState;
}

type AbortCause = 'timeout' | 'caller' | 'consumer';

export function createResiliencePolicy(options: ResilienceOptions = {}): ResiliencePolicy {
  const provider = options.provider ?? 'agent';
  const timeoutMs = options.timeoutMs ?? 600_000;
  const retries = options.retries ?? 2;
  const cooldownMs = options.breakerCooldownMs ?? 30_000;
  const maxConcurrent = options.maxConcurrent ?? 20;
  const maxQueued = options.maxQueued ?? 200;
  const hooks = options.hooks ?? {};
  const backoff = new ExponentialBackoff({
    initialDelay: options.retryBaseDelayMs ?? 500,
    maxDelay: options.retryMaxDelayMs ?? 10_000,
    generator: halfJitterGenerator,
  });

  const notify = <Name extends keyof ResilienceHooks>(name: Name, ...args: Parameters<NonNullable<ResilienceHooks[Name]>>): void => {
    try {
      (hooks[name] as ((...hookArgs: typeof args) => void) | undefined)?.(...args);
    } catch {
      // A metrics hook must not change the outcome of a call.
    }
  };

  const breaker = circuitBreaker(handleWhen(isServiceFailure), {
    breaker: new ConsecutiveBreaker(options.breakerThreshold ?? 5),
    halfOpenAfter: cooldownMs,
  });
  let openedAt = 0;
  breaker.onBreak((reason) => {
    openedAt = Date.now();
    notify('onBreak', { error: 'error' in reason ? reason.error : undefined });
  });
  breaker.onHalfOpen(() => notify('onHalfOpen'));
  breaker.onReset(() => notify('onReset'));

  const slots = bulkhead(maxConcurrent, maxQueued);
  slots.onReject(() => notify('onReject', { reason: 'queue-full' }));

  const coolingDown = (): boolean => Date.now() - openedAt < cooldownMs;
  /** Open and cooling down, or a probe under way: cockatiel would queue calls behind the probe, we refuse them. */
  const circuitRefuses = (): boolean => {
    const state = breaker.state;
    return state === CircuitState.HalfOpen || state === CircuitState.Isolated || (state === CircuitState.Open && coolingDown());
  };
  const refuse = (): CircuitOpenError => {
    notify('onReject', { reason: 'circuit-open' });
    return new CircuitOpenError(provider);
  };

  async function* stream<Part extends { type: string }>(
    call: (signal: AbortSignal) => AsyncIterable<Part>,
    streamOptions: { signal?: AbortSignal } = {},
  ): AsyncGenerator<Part, void, undefined> {
    const controller = new AbortController();
    const { signal } = controller;
    let abortCause: AbortCause | undefined;
    const abort = (cause: AbortCause): void => {
      if (signal.aborted) return;
      abortCause = cause;
      controller.abort();
    };
    const callerSignal = streamOptions.signal;
    const onCallerAbort = (): void => abort('caller');
    const timer = setTimeout(() => abort('timeout'), timeoutMs);
    if (callerSignal?.aborted) onCallerAbort();
    else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });

    /** What the caller gets for `error`, given how the call ended. */
    const outcome = (error: unknown): unknown => {
      if (abortCause === 'timeout') return error instanceof AgentTimeoutError ? error : new AgentTimeoutError(provider, timeoutMs, { cause: error });
      if (abortCause !== undefined) {
        return error instanceof AgentError && error.kind === 'aborted' ? error : new AgentError(provider, 'aborted', 'the call was aborted', { cause: error });
      }
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) return new CircuitOpenError(provider);
      if (error instanceof BulkheadRejectedError) return new QueueFullError(provider, maxConcurrent, maxQueued);
      return error;
    };

    const handoff = new Handoff<Part>();
    let passedOn = false;
    let attempts = 0;

    const attempt = async (): Promise<void> => {
      if (signal.aborted) throw outcome(undefined);
      if (circuitRefuses()) throw refuse();
      attempts++;
      notify('onAttempt', { attempt: attempts });
      await breaker.execute(async () => {
        try {
          for await (const part of abortableStream(call(signal), signal, () => outcome(undefined))) {
            if (part.type === 'error') throw (part as { error?: unknown }).error;
            passedOn = true;
            await handoff.push(part);
          }
        } catch (error) {
          throw outcome(error);
        }
      }, signal);
    };

    const retrying = retry(
      handleWhen((error) => !passedOn && !signal.aborted && error instanceof AgentError && error.retryable),
      { maxAttempts: retries, backoff },
    );
    retrying.onRetry((event) => notify('onRetry', { attempt: event.attempt, delayMs: event.delay, error: 'error' in event ? event.error : undefined }));

    let settled = false;
    const run = async (): Promise<void> => {
      if (circuitRefuses()) throw refuse();
      await slots.execute(() => retrying.execute(attempt, signal), signal);
    };
    run().then(
      () => {
        settled = true;
        handoff.end();
      },
      (error: unknown) => {
        settled = true;
        handoff.end(true, outcome(error));
      },
    );
    // A call still queued, or waiting out a backoff, must fail at the deadline too.
    const onAbort = (): void => handoff.end(true, outcome(undefined));
    signal.addEventListener('abort', onAbort, { once: true });

    try {
      yield* handoff;
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
      signal.removeEventListener('abort', onAbort);
      if (!settled) abort('consumer');
    }
  }

  return {
    stream,
    state() {
      const state = breaker.state;
      let circuit: CircuitStatus = 'closed';
      if (state === CircuitState.HalfOpen || (state === CircuitState.Open && !coolingDown())) circuit = 'half-open';
      else if (state === CircuitState.Open || state === CircuitState.Isolated) circuit = 'open';
      return { circuit, inFlight: maxConcurrent - slots.executionSlots, queued: maxQueued - slots.queueSlots };
    },
  };
}

/** Whether a failed attempt says the service is unhealthy (counts towards opening the circuit). */
function isServiceFailure(error: unknown): boolean {
  if (error instanceof AgentTimeoutError) return true;
  if (error instanceof AgentError) return error.kind !== 'aborted' && error.kind !== 'invalid';
  return !(error instanceof CircuitOpenError || error instanceof QueueFullError);
}
