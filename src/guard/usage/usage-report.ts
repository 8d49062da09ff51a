/**
 * The usage report behind `wx-backend usage` and `GET /admin/api/usage`: totals for each day of a range (every
 * day listed, empty ones as zeros), split by model, the range's total, and its top users by tokens. Days are usage
 * days (Asia/Shanghai, usage-day.ts).
 */
import { addDays, daysBetween, isUsageDay, USAGE_TIME_ZONE, usageDay } from './usage-day.js';
import type { UsageRow, UsageStore } from './usage-store.js';

export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  /** input + output. */
  totalTokens: number;
  calls: number;
  /** Calls whose counts were estimated (the service reported no usage): > 0 means the tokens are partly estimates. */
  estimatedCalls: number;
}

export interface UsageReport {
  timeZone: typeof USAGE_TIME_ZONE;
  from: string;
  to: string;
  total: UsageTotals & { users: number };
  days: Array<UsageTotals & { day: string; users: number; models: Array<UsageTotals & { model: string }> }>;
  /** The users who spent the most tokens over the range, most first (ties: more calls first, then by openid). */
  topUsers: Array<UsageTotals & { openid: string }>;
}

export interface UsageQuery {
  from: string;
  to: string;
  /** How many top users (0: none). */
  top: number;
}

/** Longest range a report covers, in days. */
export const MAX_REPORT_DAYS = 366;
export const DEFAULT_TOP_USERS = 10;
export const MAX_TOP_USERS = 1000;
/** Days a report covers when no `from` is given: the week up to `to`. */
export const DEFAULT_REPORT_DAYS = 7;

/** A query that cannot be answered; `parameter` names what to change. */
export class UsageQueryError extends Error {
  override readonly name = 'UsageQueryError';

  constructor(readonly parameter: 'from' | 'to' | 'top', message: string) {
    super(message);
  }
}

/**
 * The query for optional `from`/`to`/`top` as an operator gives them: `to` defaults to today, `from` to six days
 * before `to`, `top` to 10. Throws `UsageQueryError` for a malformed day, `from` after `to`, a range over
 * 366 days or a `top` that is not 0–1000.
 */
export function usageQuery(given: { from?: string | undefined; to?: string | undefined; top?: string | number | undefined }, now: number): UsageQuery {
  for (const name of ['from', 'to'] as const) {
    const value = given[name];
    if (value !== undefined && !isUsageDay(value)) throw new UsageQueryError(name, `expected a day as YYYY-MM-DD, got "${value}"`);
  }
  const to = given.to ?? usageDay(now);
  const from = given.from ?? addDays(to, -(DEFAULT_REPORT_DAYS - 1));
  if (from > to) throw new UsageQueryError('from', `${from} is after to (${to})`);
  if ((Date.parse(to) - Date.parse(from)) / 86_400_000 + 1 > MAX_REPORT_DAYS) throw new UsageQueryError('from', `the range ${from}…${to} is longer than ${MAX_REPORT_DAYS} days`);
  const top = given.top === undefined ? DEFAULT_TOP_USERS : /^\d+$/.test(String(given.top)) ? Number(given.top) : Number.NaN;
  if (!(top <= MAX_TOP_USERS)) throw new UsageQueryError('top', `expected a whole number from 0 to ${MAX_TOP_USERS}, got "${String(given.top)}"`);
  return { from, to, top };
}

export async function buildUsageReport(store: Pick<UsageStore, 'day'>, query: UsageQuery): Promise<UsageReport> {
  const names = daysBetween(query.from, query.to);
  const rowsByDay = await Promise.all(names.map((day) => store.day(day)));
  const rangeUsers = new Map<string, UsageTotals>();
  const days = names.map((day, index) => {
    const rows = rowsByDay[index]!;
    const models = new Map<string, UsageTotals>();
    const users = new Set<string>();
    for (const row of rows) {
      users.add(row.openId);
      add(totalsIn(models, row.model), row);
      add(totalsIn(rangeUsers, row.openId), row);
    }
    const modelList = [...models].map(([model, totals]) => ({ model, ...totals })).sort((a, b) => b.totalTokens - a.totalTokens || a.model.localeCompare(b.model));
    return { day, ...sum(modelList), users: users.size, models: modelList };
  });
  const topUsers = [...rangeUsers]
    .map(([openid, totals]) => ({ openid, ...totals }))
    .sort((a, b) => b.totalTokens - a.totalTokens || b.calls - a.calls || a.openid.localeCompare(b.openid))
    .slice(0, query.top);
  return { timeZone: USAGE_TIME_ZONE, from: query.from, to: query.to, total: { ...sum(days), users: rangeUsers.size }, days, topUsers };
}

function emptyTotals(): UsageTotals {
  return { inputTokens: 0, outputTokens: 0, totalTokens: 0, calls: 0, estimatedCalls: 0 };
}

function totalsIn(map: Map<string, UsageTotals>, key: string): UsageTotals {
  let totals = map.get(key);
  if (totals === undefined) {
    totals = emptyTotals();
    map.set(key, totals);
  }
  return totals;
}

function add(totals: UsageTotals, row: Pick<UsageRow, 'inputTokens' | 'outputTokens' | 'calls' | 'estimatedCalls'>): void {
  totals.inputTokens += row.inputTokens;
  totals.outputTokens += row.outputTokens;
  totals.totalTokens += row.inputTokens + row.outputTokens;
  totals.calls += row.calls;
  totals.estimatedCalls += row.estimatedCalls;
}

function sum(parts: readonly UsageTotals[]): UsageTotals {
  const totals = emptyTotals();
  for (const part of parts) add(totals, part);
  return totals;
}
