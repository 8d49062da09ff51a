/**
 * Token usage in Redis, shared by every instance: one hash per usage day, `{REDIS_PREFIX}usage:{YYYY-MM-DD}`,
 * which expires `USAGE_RETENTION_DAYS` days after the day's last write (+1 day, so a day is kept that many whole
 * days after it ended). Fields:
 *
 *   m|{openid}|{model}|in, …|out, …|calls, …|est   one user's use of one model (est: estimated calls)
 *   u|{openid}                                      the user's tokens that day (in + out), for the budget
 *   account                                         the account's tokens that day, for the budget
 *
 * A charge is one script of HINCRBYs (atomic: a budget never sees half a charge); `spent` is one HMGET. The
 * model may contain `|` (an openid does not): a field is split at its first and last `|`.
 */
import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script.js';
import { usageDay } from './usage-day.js';
import { DEFAULT_USAGE_RETENTION_DAYS, type UsageCharge, type UsageRow, type UsageStore } from './usage-store.js';

export interface RedisUsageStoreOptions {
  /** Not closed by the store: it belongs to the caller. */
  redis: Redis;
  /** e.g. `wx:{appid}:usage:`. */
  keyPrefix: string;
  retentionDays?: number;
}

/**
 * KEYS[1] the day's hash. ARGV: the model row's field prefix, input tokens, output tokens, estimated (1/0), the
 * user's field, tokens in all, TTL in seconds.
 */
const CHARGE = new RedisScript(`
redis.call('HINCRBY', KEYS[1], ARGV[1] .. 'in', ARGV[2])
redis.call('HINCRBY', KEYS[1], ARGV[1] .. 'out', ARGV[3])
redis.call('HINCRBY', KEYS[1], ARGV[1] .. 'calls', 1)
if ARGV[4] == '1' then redis.call('HINCRBY', KEYS[1], ARGV[1] .. 'est', 1) end
redis.call('HINCRBY', KEYS[1], ARGV[5], ARGV[6])
redis.call('HINCRBY', KEYS[1], 'account', ARGV[6])
redis.call('EXPIRE', KEYS[1], ARGV[7])
return 1
`);

const KINDS = { in: 'inputTokens', out: 'outputTokens', calls: 'calls', est: 'estimatedCalls' } as const;

export class RedisUsageStore implements UsageStore {
  readonly #redis: Redis;
  readonly #keyPrefix: string;
  readonly #ttlSeconds: number;

  constructor(options: RedisUsageStoreOptions) {
    this.#redis = options.redis;
    this.#keyPrefix = options.keyPrefix;
    this.#ttlSeconds = ((options.retentionDays ?? DEFAULT_USAGE_RETENTION_DAYS) + 1) * 86_400;
  }

  async record(charge: UsageCharge): Promise<void> {
    const tokens = charge.inputTokens + charge.outputTokens;
    await CHARGE.run(
      this.#redis,
      [this.#keyPrefix + usageDay(charge.at)],
      [`m|${charge.openId}|${charge.model}|`, charge.inputTokens, charge.outputTokens, charge.estimated ? 1 : 0, `u|${charge.openId}`, tokens, this.#ttlSeconds],
    );
  }

  async spent(day: string, openId: string): Promise<{ user: number; account: number }> {
    const [user, account] = await this.#redis.hmget(this.#keyPrefix + day, `u|${openId}`, 'account');
    return { user: Number(user ?? 0), account: Number(account ?? 0) };
  }

  async day(day: string): Promise<UsageRow[]> {
    const rows = new Map<string, UsageRow>();
    let cursor = '0';
    do {
      // HSCAN rather than HGETALL: a busy day's hash is large, and Redis answers everyone else in between.
      const [next, flat] = await this.#redis.hscan(this.#keyPrefix + day, cursor, 'COUNT', 1000);
      cursor = next;
      for (let index = 0; index + 1 < flat.length; index += 2) addField(rows, flat[index]!, Number(flat[index + 1]));
    } while (cursor !== '0');
    return [...rows.values()];
  }

  async close(): Promise<void> {}
}

function addField(rows: Map<string, UsageRow>, field: string, value: number): void {
  if (!field.startsWith('m|')) return;
  const first = field.indexOf('|', 2);
  const last = field.lastIndexOf('|');
  if (first === -1 || last <= first) return;
  const kind = field.slice(last + 1);
  if (!Object.hasOwn(KINDS, kind)) return;
  const openId = field.slice(2, first);
  const model = field.slice(first + 1, last);
  const id = field.slice(0, last);
  let row = rows.get(id);
  if (row === undefined) {
    row = { openId, model, inputTokens: 0, outputTokens: 0, calls: 0, estimatedCalls: 0 };
    rows.set(id, row);
  }
  row[KINDS[kind as keyof typeof KINDS]] = value;
}
