import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script.js';
import type { ChatMessage } from '../../ai/agent.js';
import { appendTurn, parseRecord, toConversationContext, withSessionValue, type ContextRecord } from './context-record.js';
import { resolveContextLimits, type ContextLimits, type ContextStore, type ConversationContext } from './context-store.js';

/**
 * Writes the new value only if the key still holds what the caller read (compared by SHA-1, '' for no value),
 * with the TTL renewed. A compare-and-set rather than WATCH/MULTI: WATCH belongs to a connection, and this
 * store shares one connection between concurrent calls.
 */
const COMPARE_AND_SET_SCRIPT = `local current = redis.call('GET', KEYS[1])
local actual = ''
if current then actual = redis.sha1hex(current) end
if actual ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;
const COMPARE_AND_SET = new RedisScript(COMPARE_AND_SET_SCRIPT);

/** Writes to one user conflict only when instances write for that user at the same moment; a few retries do. */
const MAX_WRITE_ATTEMPTS = 50;
/** Contexts remembered from `load` for the next write (one per user; the oldest forgotten beyond this). */
const LOADED_KEPT = 1_000;

export interface RedisContextStoreOptions extends Partial<ContextLimits> {
  /** Command connection, owned by the caller: `close()` leaves it open. */
  redis: Redis;
  /** Namespace of keys, e.g. `wx:{appid}:`; a user's context is `{keyPrefix}ctx:{openid}`. */
  keyPrefix: string;
}

/**
 * The context store shared by every instance using the same Redis and prefix (see `context-store.ts`). One key
 * per user holds the JSON of its `ContextRecord` with a PX expiry. A write reads the value, applies the change
 * (the same code as the memory store) and stores the result with a compare-and-set script, trying again if
 * another writer came first — so two instances appending for one user at once both keep their turn.
 */
export class RedisContextStore implements ContextStore {
  readonly #redis: Redis;
  readonly #keyPrefix: string;
  readonly #limits: ContextLimits;
  /**
   * What `load` read, by user, until that user's next write: the write's first compare-and-set starts from it
   * rather than reading the key again (an answer loads the context, and appends to it a moment later).
   */
  readonly #loaded = new Map<string, Buffer | null>();

  constructor(options: RedisContextStoreOptions) {
    this.#redis = options.redis;
    this.#keyPrefix = options.keyPrefix;
    this.#limits = resolveContextLimits(options);
  }

  async load(userId: string): Promise<ConversationContext> {
    const value = await this.#redis.getBuffer(this.#redisKey(userId));
    this.#loaded.delete(userId);
    this.#loaded.set(userId, value);
    if (this.#loaded.size > LOADED_KEPT) this.#loaded.delete(this.#loaded.keys().next().value!);
    return toConversationContext(parseRecord(value?.toString('utf8')));
  }

  async append(userId: string, messages: readonly ChatMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.#write(userId, (record) => appendTurn(record, messages, this.#limits));
  }

  async setSession(userId: string, key: string, value: unknown): Promise<void> {
    await this.#write(userId, (record) => withSessionValue(record, key, value));
  }

  async reset(userId: string): Promise<void> {
    await this.#redis.del(this.#redisKey(userId));
  }

  async close(): Promise<void> {}

  #redisKey(userId: string): string {
    return `${this.#keyPrefix}ctx:${userId}`;
  }

  async #write(userId: string, change: (record: ContextRecord) => ContextRecord): Promise<void> {
    const key = this.#redisKey(userId);
    const ttlMilliseconds = String(Math.max(1, Math.ceil(this.#limits.ttlSeconds * 1000)));
    // What `load` read is likely what the key holds still; if not, the compare-and-set fails and the key is read.
    let current = this.#loaded.get(userId);
    let guessed = current !== undefined;
    this.#loaded.delete(userId);
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt += 1) {
      // Bytes, not a string: the hash must be of exactly what Redis holds.
      if (current === undefined) current = await this.#redis.getBuffer(key);
      const next = JSON.stringify(change(parseRecord(current?.toString('utf8'))));
      const written = await COMPARE_AND_SET.run(this.#redis, [key], [current === null ? '' : sha1(current), next, ttlMilliseconds]);
      if (written === 1) return;
      current = undefined;
      // Spreads out writers that keep colliding (a stale guess is no collision).
      if (!guessed) await sleep(Math.random() * Math.min(50, attempt * 2));
      guessed = false;
    }
    throw new Error(`context of ${userId} could not be written: ${MAX_WRITE_ATTEMPTS} concurrent writes came first`);
  }
}

function sha1(value: string | Buffer): string {
  return createHash('sha1').update(value).digest('hex');
}
