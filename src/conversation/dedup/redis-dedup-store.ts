import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script.js';
import type { DedupClaim, DedupStore } from './dedup-store.js';

/**
 * Value layout of `{prefix}dedup:{key}`: `p:{token}` while a claim is pending (the token identifies the claim,
 * so only its owner can release it), `d:{reply}` once answered. Replies are stored verbatim, '' included.
 */
const PENDING_MARK = 'p:';
const DONE_MARK = 'd:';

/** Default interval of the slow poll that backs up pub/sub (lost messages, reconnects) and sees lease expiry. */
const DEFAULT_POLL_INTERVAL_MS = 200;

/** setTimeout fires at once for longer delays, so a longer wait is capped (about 24.8 days). */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Remembered claim tokens are pruned of expired leases once there are more than this many. */
const TOKEN_PRUNE_THRESHOLD = 1_024;

/** Deletes the key only while it still holds the caller's claim, then wakes waiters on every instance. */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0`;
const RELEASE = new RedisScript(RELEASE_SCRIPT);

/**
 * Records a reply only while the key is pending, and wakes waiters: returns {1} when set, {2, value} when already
 * answered, {0} when absent.
 */
const COMPLETE_IF_PENDING_SCRIPT = `local value = redis.call('GET', KEYS[1])
if not value then return {0} end
if string.sub(value, 1, 2) ~= 'p:' then return {2, value} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return {1}`;
const COMPLETE_IF_PENDING = new RedisScript(COMPLETE_IF_PENDING_SCRIPT);

const CLAIMED: DedupClaim = Object.freeze({ state: 'claimed' });

export interface RedisDedupStoreOptions {
  /** Command connection, owned by the caller: `close()` leaves it open. */
  redis: Redis;
  /** Namespace of keys and of the notification channel, e.g. `wx:{appid}:`. */
  keyPrefix: string;
  /** Slow-poll interval while waiters exist (tests raise it to prove pub/sub alone wakes waiters). */
  pollIntervalMs?: number;
}

interface OwnClaim {
  token: string;
  leaseEndsAt: number;
}

interface Waiter {
  key: string;
  /** The pending value first seen; a different pending value later means that claim was released or expired. */
  seenValue: string | undefined;
  settled: boolean;
  timer: NodeJS.Timeout;
  resolve: (reply: string | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * The dedup store shared by every instance using the same Redis and prefix. A claim is `SET NX PX`; `complete`
 * and `release` publish the key on `{prefix}dedup`, and waiters listen there through one subscriber connection per
 * store (created on first wait), backed by a slow poll of the waited keys.
 */
export class RedisDedupStore implements DedupStore {
  readonly #redis: Redis;
  readonly #keyPrefix: string;
  readonly #channel: string;
  readonly #pollIntervalMs: number;
  /** Unique per store, so tokens never collide across stores or instances. */
  readonly #storeId = randomBytes(8).toString('hex');
  #claimCount = 0;
  readonly #ownClaims = new Map<string, OwnClaim>();
  #nextTokenPruneAt = TOKEN_PRUNE_THRESHOLD;
  readonly #waiters = new Map<string, Set<Waiter>>();
  #subscriber: Redis | undefined;
  #subscription: Promise<void> | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #polling = false;
  #closed = false;

  constructor(options: RedisDedupStoreOptions) {
    this.#redis = options.redis;
    this.#keyPrefix = options.keyPrefix;
    this.#channel = `${options.keyPrefix}dedup`;
    this.#pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  }

  async claim(key: string, leaseMs: number): Promise<DedupClaim> {
    const redisKey = this.#redisKey(key);
    const leaseMilliseconds = toPositiveMilliseconds(leaseMs);
    // A key can vanish between a failed SET and the GET (released or expired): then claiming is tried again.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      this.#claimCount += 1;
      const token = `${this.#storeId}.${this.#claimCount.toString(36)}`;
      const set = await this.#redis.set(redisKey, PENDING_MARK + token, 'PX', leaseMilliseconds, 'NX');
      if (set === 'OK') {
        this.#rememberClaim(key, token, leaseMilliseconds);
        return CLAIMED;
      }
      const current = await this.#redis.get(redisKey);
      if (current === null) continue;
      if (current.startsWith(DONE_MARK)) return { state: 'done', reply: current.slice(DONE_MARK.length) };
      return this.#pending(key, leaseMilliseconds);
    }
    return this.#pending(key, leaseMilliseconds);
  }

  /** Counts this delivery of a pending key (the first delivery is 1, so the first retry is 2). */
  async #pending(key: string, leaseMs: number): Promise<DedupClaim> {
    const counter = this.#deliveriesKey(key);
    const results = await this.#redis.multi().incr(counter).pexpire(counter, leaseMs).exec();
    const retries = Number(results?.[0]?.[1] ?? 1);
    return { state: 'pending', delivery: retries + 1 };
  }

  async completeIfPending(key: string, reply: string, ttlMs: number): Promise<{ outcome: 'set' } | { outcome: 'done'; reply: string } | { outcome: 'absent' }> {
    const result = (await COMPLETE_IF_PENDING.run(
      this.#redis,
      [this.#redisKey(key), this.#deliveriesKey(key)],
      [DONE_MARK + reply, String(toPositiveMilliseconds(ttlMs)), this.#channel, key],
    )) as [number, string?];
    if (result[0] === 1) {
      this.#ownClaims.delete(key);
      this.#answerLocalWaiters(key, reply);
      return { outcome: 'set' };
    }
    if (result[0] === 2) return { outcome: 'done', reply: (result[1] ?? DONE_MARK).slice(DONE_MARK.length) };
    return { outcome: 'absent' };
  }

  async complete(key: string, reply: string, ttlMs: number): Promise<void> {
    this.#ownClaims.delete(key);
    // Unconditional: even if this claim's lease ran out and another delivery claimed the key, the answer is
    // worth keeping, and that delivery's waiters should have it.
    const results = await this.#redis.pipeline()
      .set(this.#redisKey(key), DONE_MARK + reply, 'PX', toPositiveMilliseconds(ttlMs))
      .publish(this.#channel, key)
      .del(this.#deliveriesKey(key))
      .exec();
    const failure = results?.find(([error]) => error !== null)?.[0];
    if (failure) throw failure;
    this.#answerLocalWaiters(key, reply);
  }

  /**
   * Answers this instance's waiters on `key` with the reply it has just recorded, at once: the notification and the
   * read that would wake them are two more round trips on the way to a passive reply (other instances' waiters
   * still wake through them).
   */
  #answerLocalWaiters(key: string, reply: string): void {
    const waiters = this.#waiters.get(key);
    if (waiters === undefined) return;
    for (const waiter of [...waiters]) this.#settle(waiter, reply);
  }

  async release(key: string): Promise<void> {
    const ownClaim = this.#ownClaims.get(key);
    // Only the store that made the claim can release it, and only while Redis still holds that very claim.
    if (ownClaim === undefined) return;
    this.#ownClaims.delete(key);
    await RELEASE.run(this.#redis, [this.#redisKey(key), this.#deliveriesKey(key)], [PENDING_MARK + ownClaim.token, this.#channel, key]);
  }

  /**
   * Registers the waiter, subscribes, then reads the key once: that read closes the race with a `complete` that
   * happened before the subscription. A key that holds nothing (never claimed, released, expired) resolves
   * `undefined` at once. Rejects only if that first read fails.
   */
  waitForReply(key: string, timeoutMs: number): Promise<string | undefined> {
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        key,
        seenValue: undefined,
        settled: false,
        timer: setTimeout(() => this.#settle(waiter, undefined), Math.min(timeoutMs, MAX_TIMER_DELAY_MS)),
        resolve,
        reject,
      };
      let waiters = this.#waiters.get(key);
      if (waiters === undefined) {
        waiters = new Set();
        this.#waiters.set(key, waiters);
      }
      waiters.add(waiter);
      this.#startPolling();
      void this.#prime(waiter);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const waiters of [...this.#waiters.values()]) {
      for (const waiter of waiters) this.#settle(waiter, undefined);
    }
    this.#ownClaims.clear();
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#subscription = undefined;
    if (subscriber !== undefined) {
      try {
        await subscriber.quit();
      } catch {
        subscriber.disconnect();
      }
    }
  }

  #redisKey(key: string): string {
    return `${this.#keyPrefix}dedup:${key}`;
  }

  /** Retries seen while the key is pending; it expires with the lease and goes with the claim. */
  #deliveriesKey(key: string): string {
    return `${this.#keyPrefix}dedup-deliveries:${key}`;
  }

  #rememberClaim(key: string, token: string, leaseMs: number): void {
    const now = Date.now();
    this.#ownClaims.set(key, { token, leaseEndsAt: now + leaseMs });
    // A claim that is never completed nor released (a crashed handler) must not be remembered for ever.
    if (this.#ownClaims.size <= this.#nextTokenPruneAt) return;
    for (const [ownKey, ownClaim] of this.#ownClaims) {
      if (ownClaim.leaseEndsAt <= now) this.#ownClaims.delete(ownKey);
    }
    this.#nextTokenPruneAt = Math.max(TOKEN_PRUNE_THRESHOLD, this.#ownClaims.size * 2);
  }

  async #prime(waiter: Waiter): Promise<void> {
    try {
      // Without a subscription (Redis refusing pub/sub, reconnecting) the poll alone still finds the answer.
      await this.#subscribe().catch(() => undefined);
      if (waiter.settled) return;
      this.#observe(waiter, await this.#redis.get(this.#redisKey(waiter.key)));
    } catch (error) {
      this.#settle(waiter, undefined, error);
    }
  }

  /** Applies one read of the key to a waiter. */
  #observe(waiter: Waiter, value: string | null): void {
    if (waiter.settled) return;
    if (value === null) this.#settle(waiter, undefined);
    else if (value.startsWith(DONE_MARK)) this.#settle(waiter, value.slice(DONE_MARK.length));
    else if (waiter.seenValue === undefined) waiter.seenValue = value;
    else if (value !== waiter.seenValue) this.#settle(waiter, undefined);
  }

  #settle(waiter: Waiter, reply: string | undefined, error?: unknown): void {
    if (waiter.settled) return;
    waiter.settled = true;
    clearTimeout(waiter.timer);
    const waiters = this.#waiters.get(waiter.key);
    if (waiters !== undefined) {
      waiters.delete(waiter);
      if (waiters.size === 0) this.#waiters.delete(waiter.key);
    }
    if (this.#waiters.size === 0) this.#stopPolling();
    if (error === undefined) waiter.resolve(reply);
    else waiter.reject(error);
  }

  #subscribe(): Promise<void> {
    if (this.#subscription !== undefined) return this.#subscription;
    let subscriber = this.#subscriber;
    if (subscriber === undefined) {
      subscriber = this.#redis.duplicate();
      // ioredis reconnects and resubscribes by itself; meanwhile the poll covers, so errors need no handling.
      subscriber.on('error', () => {});
      subscriber.on('message', (channel: string, key: string) => this.#onNotification(channel, key));
      this.#subscriber = subscriber;
    }
    const subscription = subscriber.subscribe(this.#channel).then(
      () => undefined,
      (error: unknown) => {
        // Let the next waiter try again.
        if (this.#subscription === subscription) this.#subscription = undefined;
        throw error;
      },
    );
    this.#subscription = subscription;
    return subscription;
  }

  #onNotification(channel: string, key: string): void {
    if (channel !== this.#channel) return;
    const waiters = this.#waiters.get(key);
    if (waiters === undefined) return;
    this.#redis.get(this.#redisKey(key)).then(
      (value) => {
        for (const waiter of [...waiters]) this.#observe(waiter, value);
      },
      () => {}, // The poll reads the key again shortly.
    );
  }

  #startPolling(): void {
    if (this.#pollTimer !== undefined) return;
    this.#pollTimer = setInterval(() => void this.#poll(), this.#pollIntervalMs);
  }

  #stopPolling(): void {
    if (this.#pollTimer === undefined) return;
    clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
  }

  /** Reads every waited key in one MGET; skipped while the previous poll is still in flight. */
  async #poll(): Promise<void> {
    if (this.#polling || this.#waiters.size === 0) return;
    this.#polling = true;
    try {
      const keys = [...this.#waiters.keys()];
      const values = await this.#redis.mget(keys.map((key) => this.#redisKey(key)));
      keys.forEach((key, index) => {
        const waiters = this.#waiters.get(key);
        if (waiters === undefined) return;
        for (const waiter of [...waiters]) this.#observe(waiter, values[index] ?? null);
      });
    } catch {
      // Redis unreachable for now: the next poll tries again, and each waiter's timeout still applies.
    } finally {
      this.#polling = false;
    }
  }
}

/** Redis wants a positive integer number of milliseconds for PX. */
function toPositiveMilliseconds(milliseconds: number): number {
  return Math.max(1, Math.ceil(milliseconds));
}
