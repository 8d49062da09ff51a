/** `RateCounter` in this process (no `REDIS_URL`): a map of open windows, swept of closed ones as it grows. */
import { RATE_WINDOW_MS, type RateCounter } from './rate-counter.js';

/** Closed windows are swept once the map holds this many users. */
const SWEEP_AT = 10_000;

export class MemoryRateCounter implements RateCounter {
  readonly #windows = new Map<string, { count: number; endsAt: number }>();
  readonly #windowMs: number;
  readonly #now: () => number;
  #sweepAt = SWEEP_AT;

  constructor(options: { windowMs?: number; now?: () => number } = {}) {
    this.#windowMs = options.windowMs ?? RATE_WINDOW_MS;
    this.#now = options.now ?? Date.now;
  }

  async hit(openId: string): Promise<number> {
    const now = this.#now();
    const open = this.#windows.get(openId);
    if (open !== undefined && open.endsAt > now) return ++open.count;
    this.#windows.set(openId, { count: 1, endsAt: now + this.#windowMs });
    if (this.#windows.size >= this.#sweepAt) this.#sweep(now);
    return 1;
  }

  async close(): Promise<void> {
    this.#windows.clear();
  }

  #sweep(now: number): void {
    for (const [openId, window] of this.#windows) if (window.endsAt <= now) this.#windows.delete(openId);
    this.#sweepAt = Math.max(SWEEP_AT, this.#windows.size * 2);
  }
}
