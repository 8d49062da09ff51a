/**
 * Token usage in this process (no `REDIS_URL`): lost on restart, like the rest of a single instance's state.
 * Days older than the retention are dropped as new usage arrives, so memory stays bounded.
 */
import { addDays, usageDay } from './usage-day.js';
import { DEFAULT_USAGE_RETENTION_DAYS, type UsageCharge, type UsageRow, type UsageStore } from './usage-store.js';

interface Day {
  /** openid → model → row. */
  rows: Map<string, Map<string, UsageRow>>;
  users: Map<string, number>;
  account: number;
}

export class MemoryUsageStore implements UsageStore {
  readonly #days = new Map<string, Day>();
  readonly #retentionDays: number;

  constructor(options: { retentionDays?: number } = {}) {
    this.#retentionDays = options.retentionDays ?? DEFAULT_USAGE_RETENTION_DAYS;
  }

  async record(charge: UsageCharge): Promise<void> {
    const dayName = usageDay(charge.at);
    const oldest = addDays(dayName, -this.#retentionDays);
    for (const name of this.#days.keys()) if (name < oldest) this.#days.delete(name);
    let day = this.#days.get(dayName);
    if (day === undefined) {
      day = { rows: new Map(), users: new Map(), account: 0 };
      this.#days.set(dayName, day);
    }
    let models = day.rows.get(charge.openId);
    if (models === undefined) {
      models = new Map();
      day.rows.set(charge.openId, models);
    }
    let row = models.get(charge.model);
    if (row === undefined) {
      row = { openId: charge.openId, model: charge.model, inputTokens: 0, outputTokens: 0, calls: 0, estimatedCalls: 0 };
      models.set(charge.model, row);
    }
    row.inputTokens += charge.inputTokens;
    row.outputTokens += charge.outputTokens;
    row.calls += 1;
    if (charge.estimated) row.estimatedCalls += 1;
    const tokens = charge.inputTokens + charge.outputTokens;
    day.users.set(charge.openId, (day.users.get(charge.openId) ?? 0) + tokens);
    day.account += tokens;
  }

  async spent(dayName: string, openId: string): Promise<{ user: number; account: number }> {
    const day = this.#days.get(dayName);
    return { user: day?.users.get(openId) ?? 0, account: day?.account ?? 0 };
  }

  async day(dayName: string): Promise<UsageRow[]> {
    const day = this.#days.get(dayName);
    if (day === undefined) return [];
    return [...day.rows.values()].flatMap((models) => [...models.values()].map((row) => ({ ...row })));
  }

  async close(): Promise<void> {}
}
