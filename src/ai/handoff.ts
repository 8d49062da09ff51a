/**
 * A one-slot rendezvous between one producer and one consumer: `push` resolves once the consumer has taken the
 * value, so the producer never runs more than one value ahead. Lets a promise-shaped policy (which must not
 * settle before the stream is over) feed a pull-based async iterator.
 *
 * The first `end` wins; values pushed before it are still delivered, an error after them. When the consumer
 * stops iterating, pending and later pushes resolve at once (the producer is expected to be aborted separately).
 */
export class Handoff<T> implements AsyncIterable<T> {
  #pending: { value: T; taken: () => void } | undefined;
  #ended: { error?: unknown; failed: boolean } | undefined;
  #consumerGone = false;
  #wake: (() => void) | undefined;

  push(value: T): Promise<void> {
    if (this.#consumerGone || this.#ended !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.#pending = { value, taken: resolve };
      this.#wake?.();
    });
  }

  /** Ends the stream, with `error` when `failed`. */
  end(failed = false, error?: unknown): void {
    if (this.#ended !== undefined) return;
    this.#ended = { failed, error };
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    try {
      while (true) {
        const pending = this.#pending;
        if (pending !== undefined) {
          this.#pending = undefined;
          pending.taken();
          yield pending.value;
          continue;
        }
        if (this.#ended !== undefined) {
          if (this.#ended.failed) throw this.#ended.error;
          return;
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
      }
    } finally {
      this.#consumerGone = true;
      this.#pending?.taken();
      this.#pending = undefined;
    }
  }
}
