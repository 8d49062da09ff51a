/**
 * `RateCounter` in Redis, shared by every instance: one key per user, `{REDIS_PREFIX}limits:rate:{openid}`.
 * One MULTI — `SET key 0 PX window NX` (opens a window when none is open) then `INCR key` (keeps the expiry) —
 * so the count and its expiry are set together: no counter is ever left without one, whatever fails in between.
 */
import type { Redis } from 'ioredis';
import { RATE_WINDOW_MS, type RateCounter } from './rate-counter.js';

export interface RedisRateCounterOptions {
  /** Not closed by the counter: it belongs to the caller. */
  redis: Redis;
  /** e.g. `wx:{appid}:limits:rate:`. */
  keyPrefix: string;
  windowMs?: number;
}

export class RedisRateCounter implements RateCounter {
  readonly #redis: Redis;
  readonly #keyPrefix: string;
  readonly #windowMs: number;

  constructor(options: RedisRateCounterOptions) {
    this.#redis = options.redis;
    this.#keyPrefix = options.keyPrefix;
    this.#windowMs = options.windowMs ?? RATE_WINDOW_MS;
  }

  async hit(openId: string): Promise<number> {
    const key = this.#keyPrefix + openId;
    const results = await this.#redis.multi().set(key, 0, 'PX', this.#windowMs, 'NX').incr(key).exec();
    const [, counted] = results ?? [];
    if (counted === undefined) throw new Error('the rate counter transaction was discarded');
    if (counted[0] !== null) throw counted[0];
    return Number(counted[1]);
  }

  async close(): Promise<void> {}
}
