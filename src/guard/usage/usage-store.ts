/**
 * Where token usage is kept: per usage day (usage-day.ts), per user (openid) and per model — input and output
 * tokens, calls, and how many of those calls' counts were estimated. In Redis with `REDIS_URL` (one hash per day,
 * shared by every instance, expiring after `USAGE_RETENTION_DAYS`), in memory otherwise; both implementations
 * run one contract suite (test/guard/usage-store.test.ts).
 *
 * Writers: the answer job, once per answered message (usage-meter.ts). Readers: the limits, before each message
 * (`spent`, one round trip), and the usage report (`day`) behind `wx-backend usage` and `/admin/api/usage`.
 */

/** What one answered message cost. */
export interface UsageCharge {
  openId: string;
  /** The configured model (`EXTERNAL_SERVICE_MODEL`), or the provider's name when there is none (dify, default). */
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** True when the service reported no (or only partial) usage and the counts are estimates (estimate-tokens.ts). */
  estimated: boolean;
  /** When it was spent, epoch ms: decides the usage day. */
  at: number;
}

/** One user's use of one model on one day. */
export interface UsageRow {
  openId: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  calls: number;
  /** Calls among `calls` whose counts were estimated. */
  estimatedCalls: number;
}

export interface UsageStore {
  /** Adds a charge to its day. */
  record(charge: UsageCharge): Promise<void>;
  /** Tokens (input + output) spent on `day` by `openId` and by the whole account. */
  spent(day: string, openId: string): Promise<{ user: number; account: number }>;
  /** Every row of `day` (any order); empty for a day without usage or past the retention. */
  day(day: string): Promise<UsageRow[]>;
  close(): Promise<void>;
}

/** `USAGE_RETENTION_DAYS`'s default. */
export const DEFAULT_USAGE_RETENTION_DAYS = 90;
