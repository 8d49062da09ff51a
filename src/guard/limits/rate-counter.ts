/**
 * Counts a user's messages for `RATE_LIMIT_PER_MINUTE`: a window opens with the user's first counted message and
 * lasts `windowMs` (a minute); `hit` counts one more message in the open window and returns the count so far.
 * Windows are per user, not aligned to the clock, so nobody gets a double allowance across a minute boundary
 * just by timing. In Redis with `REDIS_URL` — one counter per user shared by every instance — in memory otherwise;
 * both run one contract suite (test/guard/rate-counter.test.ts).
 */
export interface RateCounter {
  /** Counts one message of `openId`; resolves to the messages counted in its current window, this one included. */
  hit(openId: string): Promise<number>;
  close(): Promise<void>;
}

export const RATE_WINDOW_MS = 60_000;
