/**
 * The metrics of AI calls — one call per answered message, its retries included: `wx_ai_calls_total` by outcome,
 * `wx_ai_time_to_first_token_seconds`, `wx_ai_duration_seconds`, `wx_ai_tokens_total` from the provider's own
 * usage (nothing when the provider reports none), `wx_ai_timeouts_total`.
 */
import { performance } from 'node:perf_hooks';
import { isAgentTimeout, CircuitOpenError, QueueFullError } from '../../ai/resilience-errors.js';
import type { Usage } from '../../ai/run-agent.js';
import type { Metrics } from '../../metrics/metrics.js';

/** One call being measured. */
export interface AiCall {
  /** Streamed text arrived (the first one sets the time to first token). */
  text(): void;
  succeeded(usage: Usage | undefined): void;
  failed(error: unknown): void;
}

export class AiCallMeter {
  readonly #metrics: Metrics;
  readonly #labels: { provider: string; model: string };

  constructor(metrics: Metrics, labels: { provider: string; model: string }) {
    this.#metrics = metrics;
    this.#labels = labels;
  }

  start(): AiCall {
    const metrics = this.#metrics;
    const labels = this.#labels;
    const startedAt = performance.now();
    let textSeen = false;
    const seconds = (): number => (performance.now() - startedAt) / 1000;
    const end = (outcome: string): void => {
      metrics.aiCalls.inc({ ...labels, outcome });
      metrics.aiDuration.observe({ ...labels, outcome }, seconds());
    };
    return {
      text() {
        if (textSeen) return;
        textSeen = true;
        metrics.aiFirstToken.observe(labels, seconds());
      },
      succeeded(usage) {
        end('ok');
        if (usage?.inputTokens !== undefined) metrics.aiTokens.inc({ ...labels, direction: 'in' }, usage.inputTokens);
        if (usage?.outputTokens !== undefined) metrics.aiTokens.inc({ ...labels, direction: 'out' }, usage.outputTokens);
      },
      failed(error) {
        if (isAgentTimeout(error)) metrics.aiTimeouts.inc(labels);
        end(outcomeOf(error));
      },
    };
  }
}

function outcomeOf(error: unknown): string {
  if (isAgentTimeout(error)) return 'timeout';
  if (error instanceof CircuitOpenError) return 'circuit_open';
  if (error instanceof QueueFullError) return 'queue_full';
  return 'error';
}
