import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script.js';
import {
  ANSWER_RECORD_TTL_MS,
  checkIndex,
  skippedIndexError,
  WECHAT_CUSTOMER_SERVICE_GRANTS,
  type CustomerServiceGrants,
  type CustomerServiceLedger,
  type CustomerServiceLedgerOptions,
  type Interaction,
  type TakeOutcome,
} from './customer-service-ledger.js';

/*
 * Keys: `{prefix}cs-allowance:{openId}`, a hash { left, ends } (ends in ms since the epoch) expiring at its window
 * end; `{prefix}cs-answer:{messageKey}`, the list of the answer's recorded texts, expiring ANSWER_RECORD_TTL_MS after
 * its last take. The clock is the caller's (`now` is an argument of every script), so expiry is set relative to it
 * (PEXPIRE, never PEXPIREAT): an allowance lives in Redis exactly as long as its window by that clock, and the
 * scripts compare `ends` with `now` themselves, so a test clock running ahead of Redis's still sees it end.
 * Instances' clocks are assumed NTP-close; a skew only moves a window end by as much.
 */

/** ARGV: now, messages, windowMs. Raises the allowance to max(left, messages) until the later window end. */
const GRANT_SCRIPT = `local now = tonumber(ARGV[1])
local left, ends = 0, 0
local current = redis.call('HMGET', KEYS[1], 'left', 'ends')
if current[2] and tonumber(current[2]) > now then
  left, ends = tonumber(current[1]), tonumber(current[2])
end
left = math.max(left, tonumber(ARGV[2]))
ends = math.max(ends, now + tonumber(ARGV[3]))
redis.call('HSET', KEYS[1], 'left', left, 'ends', ends)
redis.call('PEXPIRE', KEYS[1], ends - now)
return left`;

/**
 * KEYS: allowance, answer list; ARGV: now, index, text, answer ttl. Returns 'taken', 'skipped' (with the list's
 * length), 'quota' or 'ok'; only 'ok' changes anything.
 */
const TAKE_SCRIPT = `local recorded = redis.call('LLEN', KEYS[2])
local index = tonumber(ARGV[2])
if index < recorded then return {'taken'} end
if index > recorded then return {'skipped', recorded} end
local current = redis.call('HMGET', KEYS[1], 'left', 'ends')
if not current[2] or tonumber(current[2]) <= tonumber(ARGV[1]) or tonumber(current[1]) <= 0 then return {'quota'} end
redis.call('HINCRBY', KEYS[1], 'left', -1)
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {'ok'}`;

/** ARGV: now. The allowance left, 0 once its window has passed. */
const ALLOWANCE_SCRIPT = `local current = redis.call('HMGET', KEYS[1], 'left', 'ends')
if not current[2] or tonumber(current[2]) <= tonumber(ARGV[1]) then return 0 end
return math.max(0, tonumber(current[1]))`;

/** KEYS: confirmed count; ARGV: count, ttl. Raises the count (never lowers it: confirmations may land out of order). */
const CONFIRM_SCRIPT = `local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1`;

const GRANT = new RedisScript(GRANT_SCRIPT);
const CONFIRM = new RedisScript(CONFIRM_SCRIPT);
const TAKE = new RedisScript(TAKE_SCRIPT);
const ALLOWANCE = new RedisScript(ALLOWANCE_SCRIPT);

export interface RedisCustomerServiceLedgerOptions extends CustomerServiceLedgerOptions {
  /** The connection; it belongs to the caller, who closes it. */
  redis: Redis;
  /** Prefix of every key (the app passes `REDIS_PREFIX` + `delivery:`). */
  keyPrefix: string;
}

/** CustomerServiceLedger in Redis: every read-modify-write is one Lua script, so instances never race. */
export class RedisCustomerServiceLedger implements CustomerServiceLedger {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #grants: CustomerServiceGrants;

  constructor(options: RedisCustomerServiceLedgerOptions) {
    this.#redis = options.redis;
    this.#prefix = options.keyPrefix;
    this.#now = options.now ?? Date.now;
    this.#grants = options.grants ?? WECHAT_CUSTOMER_SERVICE_GRANTS;
  }

  async grant(openId: string, interaction: Interaction): Promise<void> {
    const { messages, windowMs } = this.#grants[interaction];
    await GRANT.run(this.#redis, [this.#allowanceKey(openId)], [this.#timestamp(), messages, Math.max(1, Math.ceil(windowMs))]);
  }

  async allowance(openId: string): Promise<number> {
    return Number(await ALLOWANCE.run(this.#redis, [this.#allowanceKey(openId)], [this.#timestamp()]));
  }

  async sent(messageKey: string): Promise<string[]> {
    return this.#redis.lrange(this.#answerKey(messageKey), 0, -1);
  }

  async confirm(messageKey: string, index: number): Promise<void> {
    await CONFIRM.run(this.#redis, [this.#confirmedKey(messageKey)], [index + 1, ANSWER_RECORD_TTL_MS]);
  }

  async confirmed(messageKey: string): Promise<number> {
    return Number((await this.#redis.get(this.#confirmedKey(messageKey))) ?? 0);
  }

  async take(openId: string, messageKey: string, index: number, text: string): Promise<TakeOutcome> {
    checkIndex(index);
    const [outcome, recorded] = (await TAKE.run(
      this.#redis,
      [this.#allowanceKey(openId), this.#answerKey(messageKey)],
      [this.#timestamp(), index, text, ANSWER_RECORD_TTL_MS],
    )) as [TakeOutcome | 'skipped', number?];
    if (outcome === 'skipped') throw skippedIndexError(messageKey, index, Number(recorded));
    return outcome;
  }

  async close(): Promise<void> {}

  #allowanceKey(openId: string): string {
    return `${this.#prefix}cs-allowance:${openId}`;
  }

  #confirmedKey(messageKey: string): string {
    return `${this.#prefix}cs-confirmed:${messageKey}`;
  }

  #answerKey(messageKey: string): string {
    return `${this.#prefix}cs-answer:${messageKey}`;
  }

  /** Whole milliseconds: the scripts' arithmetic and PEXPIRE want integers. */
  #timestamp(): number {
    return Math.floor(this.#now());
  }
}
