import type { Redis } from 'ioredis';
import type { SharedState } from './shared-state.js';

export interface RedisSharedStateOptions {
  /** The connection; it belongs to the caller, who closes it. */
  redis: Redis;
  /** Prefix of every key (the app passes `REDIS_PREFIX` + `delivery:`). */
  keyPrefix: string;
}

/** SharedState in Redis: strings with `SET PX`, lists with `RPUSH` + `PEXPIRE` in one transaction, `LPOP`. */
export class RedisSharedState implements SharedState {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(options: RedisSharedStateOptions) {
    this.#redis = options.redis;
    this.#prefix = options.keyPrefix;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#redis.get(this.#prefix + key)) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.#redis.set(this.#prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async delete(key: string): Promise<void> {
    await this.#redis.del(this.#prefix + key);
  }

  async push(key: string, values: readonly string[], ttlMs: number): Promise<void> {
    if (values.length === 0) return;
    const fullKey = this.#prefix + key;
    const results = await this.#redis.multi().rpush(fullKey, ...values).pexpire(fullKey, Math.max(1, Math.ceil(ttlMs))).exec();
    const failed = results?.find(([error]) => error !== null);
    if (results === null || failed) throw failed?.[0] ?? new Error('Redis transaction was discarded');
  }

  async shift(key: string): Promise<string | undefined> {
    return (await this.#redis.lpop(this.#prefix + key)) ?? undefined;
  }

  async length(key: string): Promise<number> {
    return this.#redis.llen(this.#prefix + key);
  }

  async close(): Promise<void> {}
}
