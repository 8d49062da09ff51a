/**
 * The small key-value vocabulary answer delivery keeps its state in: answers left for pickup, archived long answers
 * (`/a/:id`), whether the account may send customer-service messages. In memory for one instance; in Redis when
 * instances share the work, so that a user's pickup reaches the answer whichever instance computed it.
 *
 * Implementations: `MemorySharedState` and `RedisSharedState`; both pass test/delivery/shared-state.contract.ts.
 * Keys are plain strings chosen by the callers (the Redis implementation adds its prefix); values are strings.
 * Every key expires: state that nobody comes back for must not accumulate.
 */
export interface SharedState {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Appends to the list at `key` and sets the list's expiry to `ttlMs` from now. */
  push(key: string, values: readonly string[], ttlMs: number): Promise<void>;
  /** Removes and returns the list's first value, or undefined when it is empty or absent. Atomic across instances. */
  shift(key: string): Promise<string | undefined>;
  /** The list's length (0 when absent). */
  length(key: string): Promise<number>;
  close(): Promise<void>;
}
