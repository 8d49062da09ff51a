import {
  ANSWER_RECORD_TTL_MS,
  checkIndex,
  skippedIndexError,
  WECHAT_CUSTOMER_SERVICE_GRANTS,
  type CustomerServiceGrants,
  type CustomerServiceLedger,
  type CustomerServiceLedgerOptions,
  type Interaction,
  type TakeOutcome,
} from './customer-service-ledger.js';

interface Allowance {
  left: number;
  endsAt: number;
}

interface AnswerRecord {
  texts: string[];
  /** Messages WeChat is known to have accepted, from the first. */
  confirmed?: number;
  expiresAt: number;
}

/** Expired entries are pruned once a map holds more than this many (then at twice what is left): amortised O(1). */
const PRUNE_THRESHOLD = 1_024;

/** CustomerServiceLedger for a single instance. */
export class MemoryCustomerServiceLedger implements CustomerServiceLedger {
  readonly #now: () => number;
  readonly #grants: CustomerServiceGrants;
  readonly #allowances = new Map<string, Allowance>();
  readonly #answers = new Map<string, AnswerRecord>();
  #nextAllowancePruneAt = PRUNE_THRESHOLD;
  #nextAnswerPruneAt = PRUNE_THRESHOLD;

  constructor(options: CustomerServiceLedgerOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#grants = options.grants ?? WECHAT_CUSTOMER_SERVICE_GRANTS;
  }

  async grant(openId: string, interaction: Interaction): Promise<void> {
    const now = this.#now();
    const { messages, windowMs } = this.#grants[interaction];
    const current = this.#liveAllowance(openId, now);
    this.#allowances.set(openId, {
      left: Math.max(current?.left ?? 0, messages),
      endsAt: Math.max(current?.endsAt ?? 0, now + windowMs),
    });
    if (this.#allowances.size > this.#nextAllowancePruneAt) this.#nextAllowancePruneAt = prune(this.#allowances, now, (allowance) => allowance.endsAt);
  }

  async allowance(openId: string): Promise<number> {
    return this.#liveAllowance(openId, this.#now())?.left ?? 0;
  }

  async sent(messageKey: string): Promise<string[]> {
    return [...(this.#liveAnswer(messageKey, this.#now())?.texts ?? [])];
  }

  async confirm(messageKey: string, index: number): Promise<void> {
    const answer = this.#liveAnswer(messageKey, this.#now());
    if (answer !== undefined) answer.confirmed = Math.max(answer.confirmed ?? 0, index + 1);
  }

  async confirmed(messageKey: string): Promise<number> {
    return this.#liveAnswer(messageKey, this.#now())?.confirmed ?? 0;
  }

  async take(openId: string, messageKey: string, index: number, text: string): Promise<TakeOutcome> {
    checkIndex(index);
    const now = this.#now();
    const recorded = this.#liveAnswer(messageKey, now)?.texts ?? [];
    if (index < recorded.length) return 'taken';
    if (index > recorded.length) throw skippedIndexError(messageKey, index, recorded.length);
    const allowance = this.#liveAllowance(openId, now);
    if (allowance === undefined || allowance.left <= 0) return 'quota';
    allowance.left -= 1;
    this.#answers.set(messageKey, { texts: [...recorded, text], confirmed: this.#liveAnswer(messageKey, now)?.confirmed ?? 0, expiresAt: now + ANSWER_RECORD_TTL_MS });
    if (this.#answers.size > this.#nextAnswerPruneAt) this.#nextAnswerPruneAt = prune(this.#answers, now, (answer) => answer.expiresAt);
    return 'ok';
  }

  async close(): Promise<void> {
    this.#allowances.clear();
    this.#answers.clear();
  }

  #liveAllowance(openId: string, now: number): Allowance | undefined {
    const allowance = this.#allowances.get(openId);
    if (allowance === undefined || allowance.endsAt > now) return allowance;
    this.#allowances.delete(openId);
    return undefined;
  }

  #liveAnswer(messageKey: string, now: number): AnswerRecord | undefined {
    const answer = this.#answers.get(messageKey);
    if (answer === undefined || answer.expiresAt > now) return answer;
    this.#answers.delete(messageKey);
    return undefined;
  }
}

/** Drops the expired entries; returns the size at which to prune next. */
function prune<V>(entries: Map<string, V>, now: number, expiresAt: (value: V) => number): number {
  for (const [key, value] of entries) if (expiresAt(value) <= now) entries.delete(key);
  return Math.max(PRUNE_THRESHOLD, entries.size * 2);
}
