/**
 * A hand-off as the operator sees it — `/admin/api/handoff` answers with it, `wx-backend handoff list --json`
 * prints it and, without Redis, reads it back from the server: the openid, ISO times and the seconds left.
 */
import type { HandoffEntry } from './handoff-store.js';

export interface HandoffEntryJson {
  openid: string;
  since: string;
  until: string;
  remainingSeconds: number;
}

export function handoffEntryJson(entry: HandoffEntry, now: number): HandoffEntryJson {
  return {
    openid: entry.openId,
    since: new Date(entry.since).toISOString(),
    until: new Date(entry.until).toISOString(),
    remainingSeconds: Math.max(0, Math.round((entry.until - now) / 1000)),
  };
}

/** The entries of a `{ users: [...] }` answer; throws when it does not have that shape. */
export function parseHandoffList(body: unknown): HandoffEntry[] {
  const users = (body as { users?: unknown } | null)?.users;
  if (!Array.isArray(users)) throw new Error('the answer has no "users" list');
  return users.map((user: unknown) => {
    const { openid, since, until } = (user ?? {}) as Record<string, unknown>;
    const entry = { openId: openid, since: Date.parse(String(since)), until: Date.parse(String(until)) };
    if (typeof entry.openId !== 'string' || !Number.isFinite(entry.since) || !Number.isFinite(entry.until)) throw new Error('a user in the answer is not an { openid, since, until }');
    return entry as HandoffEntry;
  });
}
