/**
 * The day that usage is counted on and daily budgets reset with: the calendar day in China (Asia/Shanghai,
 * UTC+8 all year — China has no daylight saving time), because the account's users are there and "today's budget"
 * should end at their midnight, not at UTC's 08:00. Fixed rather than configurable: one deployment, one day.
 *
 * Days are `YYYY-MM-DD` strings; they sort and compare as text.
 */

export const USAGE_TIME_ZONE = 'Asia/Shanghai';

const OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;
const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The usage day of an instant (epoch ms). */
export function usageDay(time: number): string {
  return new Date(time + OFFSET_MS).toISOString().slice(0, 10);
}

/** True for a real calendar day written `YYYY-MM-DD` (not 2025-02-30). */
export function isUsageDay(text: string): boolean {
  const match = DAY_PATTERN.exec(text);
  if (match === null) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === text;
}

/** `day` moved by `days` (negative: earlier). */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Every day from `from` to `to`, both included, in order; empty when `from` is after `to`. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}
