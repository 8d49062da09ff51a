import { AnswerRing } from './answer-ring.js';
import type { DedupClaim, DedupStore } from './dedup-store.js';

/** Default bound on claims plus answers kept. */
export const DEFAULT_MAX_ENTRIES = 200_000;

/** Default bound on the memory the answers take (outside the JavaScript heap; an encrypted passive reply is ~0.7 KB). */
export const DEFAULT_MAX_ANSWER_BYTES = 128 * 1024 * 1024;

/** How often expired entries are swept away; lookups check expiry themselves, so this only frees memory. */
const SWEEP_INTERVAL_MS = 1_000;

/** setTimeout fires at once for longer delays, so a longer wait is capped (about 24.8 days). */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

const CLAIMED: DedupClaim = Object.freeze({ state: 'claimed' });

interface Waiter {
  resolve: (reply: string | undefined) => void;
  timer: NodeJS.Timeout;
}

export interface MemoryDedupStoreOptions {
  /**
   * Bound on the entries kept (pending claims plus answers). Beyond it the oldest answers are dropped first,
   * even before their ttl; a pending claim is never dropped before its lease ends. Size it for the message rate
   * times the answer ttl (e.g. 1 000 messages/s × 30 s = 30 000) so that answers are not dropped early.
   */
  maxEntries?: number;
  /**
   * Bound on the bytes the answers take (default 128 MiB, allocated as needed); beyond it the oldest answers
   * are dropped first, as for `maxEntries`.
   */
  maxAnswerBytes?: number;
}

/**
 * The dedup store for a single process. Built for a hot path where nearly every key is new and completed shortly
 * after its claim: every operation is O(1) and there is no timer per entry. Answers live outside the JavaScript
 * heap in completion order (`AnswerRing`), so the oldest is the first one evicted and remembered answers cost the
 * garbage collector nothing; one unref'd interval sweeps expired entries. Expiry is checked on every lookup, so
 * the sweep's lag never shows.
 *
 * `release` gives up any pending claim on the key: within one process every caller is trusted to release only
 * its own claim.
 */
export class MemoryDedupStore implements DedupStore {
  readonly #maxEntries: number;
  /** Pending claims: key → time their lease ends. */
  readonly #leases = new LeaseTable();
  readonly #answers: AnswerRing;
  readonly #waiters = new Map<string, Set<Waiter>>();
  /** Deliveries seen while a key is pending (only retries reach it, so it stays small); dropped with the lease. */
  readonly #deliveries = new Map<string, number>();
  readonly #sweepTimer: NodeJS.Timeout;
  /** Times are kept as milliseconds since the store started: small integers, not a heap number per entry. */
  readonly #epoch = Date.now();

  constructor(options: MemoryDedupStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    this.#maxEntries = maxEntries;
    const maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
    if (!Number.isInteger(maxAnswerBytes) || maxAnswerBytes < 1) throw new RangeError(`maxAnswerBytes must be a positive integer, got ${maxAnswerBytes}`);
    this.#answers = new AnswerRing({ maxEntries, maxBytes: maxAnswerBytes });
    this.#sweepTimer = setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS);
    this.#sweepTimer.unref();
  }

  /** Pending claims plus answers currently held (expired ones included until swept). */
  get size(): number {
    return this.#leases.size + this.#answers.size;
  }

  claim(key: string, leaseMs: number): DedupClaim {
    const now = this.#now();
    const reply = this.#answers.get(key, now);
    if (reply !== undefined) return { state: 'done', reply };
    const leaseEndsAt = this.#leases.get(key);
    if (leaseEndsAt !== undefined && leaseEndsAt > now) {
      const delivery = (this.#deliveries.get(key) ?? 1) + 1;
      this.#deliveries.set(key, delivery);
      return { state: 'pending', delivery };
    }
    this.#deliveries.delete(key);
    this.#leases.set(key, now + leaseMs);
    if (this.size > this.#maxEntries) this.#evict();
    return CLAIMED;
  }

  async completeIfPending(key: string, reply: string, ttlMs: number): Promise<{ outcome: 'set' } | { outcome: 'done'; reply: string } | { outcome: 'absent' }> {
    const now = this.#now();
    const done = this.#answers.get(key, now);
    if (done !== undefined) return { outcome: 'done', reply: done };
    const leaseEndsAt = this.#leases.get(key);
    if (leaseEndsAt === undefined || leaseEndsAt <= now) return { outcome: 'absent' };
    this.complete(key, reply, ttlMs);
    return { outcome: 'set' };
  }

  complete(key: string, reply: string, ttlMs: number): void {
    this.#leases.delete(key);
    if (this.#deliveries.size > 0) this.#deliveries.delete(key);
    this.#answers.set(key, reply, this.#now() + ttlMs);
    this.#settle(key, reply);
    if (this.size > this.#maxEntries) this.#evict();
  }

  async release(key: string): Promise<void> {
    // An answer is never released: only a pending claim can be given up.
    this.#deliveries.delete(key);
    if (this.#leases.delete(key)) this.#settle(key, undefined);
  }

  /** A key that is neither pending nor answered (never claimed, released, expired) resolves `undefined` at once. */
  waitForReply(key: string, timeoutMs: number): Promise<string | undefined> {
    const now = this.#now();
    const done = this.#answers.get(key, now);
    if (done !== undefined) return Promise.resolve(done);
    const leaseEndsAt = this.#leases.get(key);
    if (leaseEndsAt === undefined || leaseEndsAt <= now) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      // One timer covers both the timeout and the lease's end (leases are never extended): either way the
      // answer is `undefined`, and `complete`/`release` clear it earlier.
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          this.#removeWaiter(key, waiter);
          resolve(undefined);
        }, Math.min(timeoutMs, leaseEndsAt - now, MAX_TIMER_DELAY_MS)),
      };
      let waiters = this.#waiters.get(key);
      if (waiters === undefined) {
        waiters = new Set();
        this.#waiters.set(key, waiters);
      }
      waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    clearInterval(this.#sweepTimer);
    for (const key of [...this.#waiters.keys()]) this.#settle(key, undefined);
    this.#leases.clear();
    this.#deliveries.clear();
    this.#answers.clear();
  }

  #settle(key: string, reply: string | undefined): void {
    const waiters = this.#waiters.get(key);
    if (waiters === undefined) return;
    this.#waiters.delete(key);
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(reply);
    }
  }

  #removeWaiter(key: string, waiter: Waiter): void {
    const waiters = this.#waiters.get(key);
    if (waiters === undefined) return;
    waiters.delete(waiter);
    if (waiters.size === 0) this.#waiters.delete(key);
  }

  /**
   * Frees expired answers (from the queue's front, stopping at the first live one) and expired claims. With mixed
   * ttls an expired entry may wait behind a longer-lived one; lookups ignore it and `maxEntries` bounds memory.
   */
  #now(): number {
    return Date.now() - this.#epoch;
  }

  #sweep(): void {
    const now = this.#now();
    this.#answers.sweep(now);
    // Once a second, so walking past the holes that deleted claims leave in the map is affordable.
    this.#leases.deleteExpired(now);
    for (const key of this.#deliveries.keys()) {
      if (!this.#leases.has(key)) this.#deliveries.delete(key);
    }
  }

  /** Drops the oldest answers until within `maxEntries`; pending claims are kept regardless (their lease bounds them). */
  #evict(): void {
    while (this.size > this.#maxEntries) {
      if (!this.#answers.evictOldest()) return;
    }
  }
}

/**
 * Pending claims: key → the time its lease ends. On the hot path a message is claimed and completed within one
 * synchronous delivery, so the newest claim is kept in two fields and moves into the Map only when another claim
 * arrives while it is still pending: most claims never touch the Map (no hashing, no entry, no rehash).
 */
class LeaseTable {
  readonly #older = new Map<string, number>();
  #newestKey: string | undefined;
  #newestEndsAt = 0;

  get size(): number {
    return this.#older.size + (this.#newestKey === undefined ? 0 : 1);
  }

  get(key: string): number | undefined {
    return key === this.#newestKey ? this.#newestEndsAt : this.#older.get(key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, endsAt: number): void {
    if (key !== this.#newestKey) {
      if (this.#newestKey !== undefined) this.#older.set(this.#newestKey, this.#newestEndsAt);
      if (this.#older.size > 0) this.#older.delete(key);
      this.#newestKey = key;
    }
    this.#newestEndsAt = endsAt;
  }

  delete(key: string): boolean {
    if (key !== this.#newestKey) return this.#older.delete(key);
    this.#newestKey = undefined;
    return true;
  }

  deleteExpired(now: number): void {
    if (this.#newestKey !== undefined && this.#newestEndsAt <= now) this.#newestKey = undefined;
    for (const [key, endsAt] of this.#older) {
      if (endsAt <= now) this.#older.delete(key);
    }
  }

  clear(): void {
    this.#older.clear();
    this.#newestKey = undefined;
  }
}
