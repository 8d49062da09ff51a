/**
 * Many waits of one fixed duration, served by a single timer: each `wait` is a FIFO entry (same duration, so
 * FIFO order is deadline order) instead of a timer of its own. On the callback's hot path every message waits
 * for its answer within the passive window; a `setTimeout` + `Promise.race` per message measured several µs,
 * this costs one small object.
 */
export class DeadlineQueue {
  readonly #durationMs: number;
  readonly #resolutionMs: number;
  #entries: Array<{ deadline: number; expire: () => void }> = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  /** `resolutionMs`: how late an expiry may fire at most. */
  constructor(durationMs: number, resolutionMs = Math.min(50, Math.max(1, durationMs))) {
    this.#durationMs = durationMs;
    this.#resolutionMs = resolutionMs;
  }

  /**
   * Resolves with the value of `work` if it settles within the duration, else with `undefined` (the work goes
   * on). `work` must not reject.
   */
  within<T>(work: Promise<T>): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve) => {
      let settled = false;
      void work.then((value) => {
        settled = true;
        resolve(value);
      });
      this.#entries.push({
        deadline: Date.now() + this.#durationMs,
        expire: () => {
          if (!settled) resolve(undefined);
        },
      });
      if (this.#timer === undefined) this.#timer = setTimeout(this.#expire, this.#resolutionMs);
    });
  }

  readonly #expire = (): void => {
    this.#timer = undefined;
    const now = Date.now();
    const entries = this.#entries;
    while (this.#head < entries.length && entries[this.#head]!.deadline <= now) entries[this.#head++]!.expire();
    if (this.#head > 1024 && this.#head * 2 > entries.length) {
      this.#entries = entries.slice(this.#head);
      this.#head = 0;
    }
    if (this.#head < this.#entries.length) this.#timer = setTimeout(this.#expire, this.#resolutionMs);
  };
}
