/**
 * Turns one answered message into a usage charge: the provider's own counts (OpenAI's streamed `usage`, Ollama's
 * `prompt_eval_count`/`eval_count`, Dify's `metadata.usage`, summed over tool rounds by run-agent.ts), or an
 * estimate for what the provider left out (estimate-tokens.ts), marked as estimated. Called by the answer job
 * before the answer is released, so the next message's budget check already sees it.
 */
import type { Logger } from 'pino';
import type { ChatMessage } from '../../ai/agent.js';
import type { Usage } from '../../ai/run-agent.js';
import { estimateInputTokens, estimateTokens } from './estimate-tokens.js';
import type { UsageCharge, UsageStore } from './usage-store.js';

export interface UsageMeterOptions {
  store: UsageStore;
  /** The model the charges are booked on (`EXTERNAL_SERVICE_MODEL`, else the provider's name). */
  model: string;
  now?: () => number;
}

export class UsageMeter {
  readonly #store: UsageStore;
  readonly #model: string;
  readonly #now: () => number;

  constructor(options: UsageMeterOptions) {
    this.#store = options.store;
    this.#model = options.model;
    this.#now = options.now ?? Date.now;
  }

  /** The charge for one answer: reported counts where there are any, estimates for the rest. */
  charge(openId: string, reported: Usage | undefined, request: readonly ChatMessage[], answerText: string): UsageCharge {
    const input = reported?.inputTokens;
    const output = reported?.outputTokens;
    return {
      openId,
      model: this.#model,
      inputTokens: input ?? estimateInputTokens(request),
      outputTokens: output ?? estimateTokens(answerText),
      estimated: input === undefined || output === undefined,
      at: this.#now(),
    };
  }

  /** Records the charge for one answer; never rejects (usage is bookkeeping: a failure is logged, the answer goes on). */
  async record(openId: string, reported: Usage | undefined, request: readonly ChatMessage[], answerText: string, log: Logger): Promise<void> {
    const charge = this.charge(openId, reported, request, answerText);
    try {
      await this.#store.record(charge);
    } catch (error) {
      log.warn({ err: error, model: charge.model, inputTokens: charge.inputTokens, outputTokens: charge.outputTokens }, 'could not record token usage');
    }
  }
}
