import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script.js';
import type { StoredCredential, TokenStore, TokenStoreLock } from './token-store.js';

/** Deletes KEYS[1] only while it still holds ARGV[1]: releasing a lock that may have expired and been retaken. */
const DELETE_IF_EQUAL_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/** Deletes the credential KEYS[1] only while its JSON `value` is still ARGV[1]. */
const DELETE_IF_VALUE_SCRIPT = `local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local ok, credential = pcall(cjson.decode, stored)
if ok and type(credential) == 'table' and credential.value == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

const DELETE_IF_EQUAL = new RedisScript(DELETE_IF_EQUAL_SCRIPT);
const DELETE_IF_VALUE = new RedisScript(DELETE_IF_VALUE_SCRIPT);

export interface RedisTokenStoreOptions {
  /** Command connection, owned by the caller: `close()` leaves it open. */
  redis: Redis;
  /** Namespace of every key, e.g. `wx:{appid}:`. */
  keyPrefix: string;
  /** Clock in epoch milliseconds, to turn `expiresAt` into a Redis expiry; default `Date.now`. */
  now?: () => number;
}

/**
 * The token store shared by every instance using the same Redis and prefix. A credential is a JSON string under
 * `{prefix}token:{key}` that Redis expires at its `expiresAt` (`SET … PX`); a lock is `{prefix}token-lock:{key}`,
 * taken with `SET NX PX` and a random value, and released — like `deleteIfValue` — by a Lua compare-and-delete,
 * so nobody ever deletes what someone else wrote after them.
 */
export class RedisTokenStore implements TokenStore {
  readonly #redis: Redis;
  readonly #keyPrefix: string;
  readonly #now: () => number;

  constructor(options: RedisTokenStoreOptions) {
    this.#redis = options.redis;
    this.#keyPrefix = options.keyPrefix;
    this.#now = options.now ?? Date.now;
  }

  async get(key: string): Promise<StoredCredential | undefined> {
    const stored = await this.#redis.get(this.#credentialKey(key));
    if (stored === null) return undefined;
    const credential = parseCredential(stored);
    // The clock check covers a Redis expiry that is a little late, or a clock that tests moved forward.
    if (credential === undefined || credential.expiresAt <= this.#now()) return undefined;
    return credential;
  }

  async set(key: string, credential: StoredCredential): Promise<void> {
    const redisKey = this.#credentialKey(key);
    const ttlMs = Math.ceil(credential.expiresAt - this.#now());
    if (ttlMs <= 0) {
      await this.#redis.del(redisKey);
      return;
    }
    const stored: StoredCredential = { value: credential.value, expiresAt: credential.expiresAt, obtainedAt: credential.obtainedAt };
    await this.#redis.set(redisKey, JSON.stringify(stored), 'PX', ttlMs);
  }

  async deleteIfValue(key: string, value: string): Promise<boolean> {
    return (await DELETE_IF_VALUE.run(this.#redis, [this.#credentialKey(key)], [value])) === 1;
  }

  async acquireLock(key: string, ttlMs: number): Promise<TokenStoreLock | undefined> {
    const lockKey = this.#lockKey(key);
    // Random rather than a counter: unique across instances and restarts without coordination.
    const lockValue = randomBytes(16).toString('hex');
    const taken = await this.#redis.set(lockKey, lockValue, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
    if (taken !== 'OK') return undefined;
    return {
      release: async () => (await DELETE_IF_EQUAL.run(this.#redis, [lockKey], [lockValue])) === 1,
    };
  }

  async close(): Promise<void> {
    // Nothing of its own: the connection belongs to the caller.
  }

  #credentialKey(key: string): string {
    return `${this.#keyPrefix}token:${key}`;
  }

  #lockKey(key: string): string {
    return `${this.#keyPrefix}token-lock:${key}`;
  }
}

/** A stored JSON credential, or `undefined` for anything else (written by an unknown version, damaged). */
function parseCredential(stored: string): StoredCredential | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { value, expiresAt, obtainedAt } = parsed as Record<string, unknown>;
  if (typeof value !== 'string' || value === '' || typeof expiresAt !== 'number' || typeof obtainedAt !== 'number') return undefined;
  return { value, expiresAt, obtainedAt };
}
