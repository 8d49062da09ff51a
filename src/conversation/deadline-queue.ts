/**
 * Many waits of one fixed duration, served by a single timer: each `wait` is a FIFO entry (same duration, so
 * FIFO order is deadline order) instead of a timer of its own. On the callback's hot path every message waits
 * for its answer within the passive window; a `setTimeout` + `Promise.race` per message measured several µs,
 * this costs one small object.
 */
export class DeadlineQueue {
  readonly #durationMs: number;
  readonly #resolutionMs: number;
  #entries: Array<{ deadline: number; resolve: ((value: undefined) => void) | undefined }> = [];
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
      const entry = { deadline: Date.now() + this.#durationMs, resolve: resolve as ((value: undefined) => void) | undefined };
      void work.then((value) => {
        // Forget the waiter at once: the entry stays queued until its deadline, and must not keep the promise (and
        // through it the answer) alive that long.
        entry.resolve = undefined;
        resolve(value);
      });
      this.#entries.push(entry);
      // Unref'd: a pending wait must not keep a shutting-down process alive (the work it waits for holds its own handles).
      if (this.#timer === undefined) this.#timer = setTimeout(this.#expire, this.#resolutionMs).unref();
    });
  }

  readonly #expire = (): void => {
    this.#timer = undefined;
    const now = Date.now();
    const entries = this.#entries;
    while (this.#head < entries.length && entries[this.#head]!.deadline <= now) entries[this.#head++]!.resolve?.(undefined);
    if (this.#head > 1024 && this.#head * 2 > entries.length) {
      this.#entries = entries.slice(this.#head);
      this.#head = 0;
    }
    if (this.#head < this.#entries.length) this.#timer = setTimeout(this.#expire, this.#resolutionMs).unref();
  };
}
