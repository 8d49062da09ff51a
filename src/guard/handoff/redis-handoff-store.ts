/**
 * HandoffStore in Redis, shared by every instance: one key per handed-off user (its value "since until", expiring
 * at the time-out, so a forgotten hand-off cannot outlive it) and a sorted set indexing them by `until` for listing,
 * pruned of ended ones on every read. The index itself expires after the longest hand-off it holds.
 *
 * `until` is reckoned on the caller's clock and checked on read as well, so the store agrees with
 * `MemoryHandoffStore` under a test clock; Redis's own expiry is the backstop that clears the keys.
 */
import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script.js';
import type { HandoffEntry, HandoffStore } from './handoff-store.js';

/**
 * KEYS: user, index; ARGV: now, ttl, openId, until (now + ttl, as text: Lua would print a large number in
 * exponent form). The user's key holds "since until" (so reading one user needs only
 * their key); the `since` of a hand-off still on is kept; the index lives as long as its longest entry.
 */
const BEGIN_SCRIPT = `local since = ARGV[1]
local current = redis.call('GET', KEYS[1])
if current then
  local earlier, ends = string.match(current, '^(%d+) (%d+)$')
  if earlier and tonumber(ends) > tonumber(ARGV[1]) then since = earlier end
end
redis.call('SET', KEYS[1], since .. ' ' .. ARGV[4], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return since`;

/** KEYS: user, index; ARGV: openId, now. Removes both; 1 when the hand-off was still on. */
const END_SCRIPT = `local current = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if current and tonumber(string.match(current, ' (%d+)$')) > tonumber(ARGV[2]) then return 1 end
return 0`;

/**
 * KEYS: index, then the user keys of ARGV's openids. Drops those openids from the index whose key is gone — in
 * one step, so a hand-off that began again meanwhile keeps its index entry.
 */
const PRUNE_SCRIPT = `for position, openId in ipairs(ARGV) do
  if redis.call('EXISTS', KEYS[position + 1]) == 0 then redis.call('ZREM', KEYS[1], openId) end
end
return 1`;

const BEGIN = new RedisScript(BEGIN_SCRIPT);
const END = new RedisScript(END_SCRIPT);
const PRUNE = new RedisScript(PRUNE_SCRIPT);

export interface RedisHandoffStoreOptions {
  /** The connection; it belongs to the caller, who closes it. */
  redis: Redis;
  /** Prefix of every key (the app passes `REDIS_PREFIX` + `handoff:`). */
  keyPrefix: string;
  now?: () => number;
}

export class RedisHandoffStore implements HandoffStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #now: () => number;

  constructor(options: RedisHandoffStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = options.keyPrefix;
    this.#now = options.now ?? Date.now;
  }

  async begin(openId: string, ttlMs: number): Promise<HandoffEntry> {
    const now = Math.floor(this.#now());
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const since = await BEGIN.run(this.#redis, [this.#userKey(openId), this.#indexKey()], [now, ttl, openId, now + ttl]);
    return { openId, since: Number(since), until: now + ttl };
  }

  async get(openId: string): Promise<HandoffEntry | undefined> {
    const entry = parseEntry(openId, await this.#redis.get(this.#userKey(openId)));
    return entry !== undefined && entry.until > this.#now() ? entry : undefined;
  }

  async end(openId: string): Promise<boolean> {
    return Number(await END.run(this.#redis, [this.#userKey(openId), this.#indexKey()], [openId, Math.floor(this.#now())])) === 1;
  }

  async list(): Promise<HandoffEntry[]> {
    const now = Math.floor(this.#now());
    const index = this.#indexKey();
    await this.#redis.zremrangebyscore(index, '-inf', now);
    const openIds = await this.#redis.zrangebyscore(index, `(${now}`, '+inf');
    if (openIds.length === 0) return [];
    const values = await this.#redis.mget(openIds.map((openId) => this.#userKey(openId)));
    const entries: HandoffEntry[] = [];
    const stale: string[] = [];
    for (const [position, openId] of openIds.entries()) {
      const entry = parseEntry(openId, values[position] ?? null);
      // No key: it expired in Redis (its clock ran ahead of ours) or a release removed it after the index was read.
      if (entry === undefined) stale.push(openId);
      else if (entry.until > now) entries.push(entry);
    }
    if (stale.length > 0) await PRUNE.run(this.#redis, [index, ...stale.map((openId) => this.#userKey(openId))], stale);
    return entries.sort((first, second) => first.since - second.since);
  }

  async close(): Promise<void> {}

  #userKey(openId: string): string {
    return `${this.#prefix}user:${openId}`;
  }

  #indexKey(): string {
    return `${this.#prefix}index`;
  }
}

/** A user key's "since until", or undefined when absent or not in that shape. */
function parseEntry(openId: string, value: string | null): HandoffEntry | undefined {
  const match = value === null ? null : /^(\d+) (\d+)$/.exec(value);
  return match === null ? undefined : { openId, since: Number(match[1]), until: Number(match[2]) };
}
