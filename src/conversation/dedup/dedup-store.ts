/**
 * De-duplication of WeChat's deliveries.
 *
 * WeChat delivers one message up to three times (5 s apart) until it gets an answer. Each delivery claims the
 * message's dedup key: the first one to claim it handles the message; a later one either finds the finished
 * answer, or finds it still being handled and waits for it. So a message reaches the handler once and every
 * delivery answers with the same reply.
 *
 * Implementations: `MemoryDedupStore` (one process) and `RedisDedupStore` (shared by every instance using the
 * same Redis). Both pass `test/conversation/dedup-store.contract.ts`.
 *
 * `claim` and `complete` may answer synchronously (the memory store does: on the callback's hot path a promise
 * per step measured as a noticeable share of the whole delivery); callers accept a value or a promise.
 */

export type DedupClaim =
  /** The caller owns the key: it must call `complete` (or `release` to give it up). */
  | { state: 'claimed' }
  /**
   * Another delivery is being handled now (in this or another instance). `delivery` counts the deliveries of this
   * message while it is pending, the first one included: WeChat's retries are 2 and 3, and 3 is the last.
   */
  | { state: 'pending'; delivery: number }
  /** Already answered: the stored reply ('' for an empty or `success` answer). */
  | { state: 'done'; reply: string };

export interface DedupStore {
  /**
   * Atomically claims `key`. A claim that is neither completed nor released expires after `leaseMs`, so a
   * crashed instance does not block the message for ever.
   */
  claim(key: string, leaseMs: number): DedupClaim | Promise<DedupClaim>;
  /** Records the answer for `key`, kept for `ttlMs`, and wakes every `waitForReply` on it. */
  complete(key: string, reply: string, ttlMs: number): void | Promise<void>;
  /**
   * Records `reply` only while the key is still pending (claimed by anyone, not answered): whichever of two
   * contenders comes first wins — the answer finishing, or the last delivery giving up and answering with a
   * placeholder. `set` when this call recorded it; `done` with the reply that won; `absent` when the key holds
   * nothing (released, or its lease ran out).
   */
  completeIfPending(key: string, reply: string, ttlMs: number): Promise<{ outcome: 'set' } | { outcome: 'done'; reply: string } | { outcome: 'absent' }>;
  /** Gives up a claim without an answer, so that the next delivery can claim it again. */
  release(key: string): Promise<void>;
  /**
   * Resolves with the reply once `key` is completed (at once if it already is), or `undefined` when `timeoutMs`
   * passes, the key is released, or its claim expires first.
   */
  waitForReply(key: string, timeoutMs: number): Promise<string | undefined>;
  /** Stops timers and connections it owns. */
  close(): Promise<void>;
}
