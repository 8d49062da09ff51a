/**
 * One user's answer jobs in the order they were added, across instances — BullMQ (open source) has no groups, so
 * the Redis answer queue keeps the order itself: a sorted set per user of the job ids not yet finished, scored by
 * when their messages arrived. A worker runs a job only when it is its user's head; otherwise the job goes back to the queue for a
 * moment (bull-answer-queue.ts). Jobs waiting behind their user's head hold no worker slot, so a bounded
 * concurrency cannot deadlock on them.
 *
 * The set heals itself: a head whose job is finished (or gone from the queue) is dropped by the next check, so a
 * finish whose removal failed, or an instance that died, never blocks the user. A head whose job does not exist
 * yet may be an add between its two steps (the order entry is written first, then the BullMQ job): it is dropped
 * only once it has stayed missing for a grace period.
 *
 * Keys (under `keyPrefix`, e.g. `wx:app:answers:order:`): `user:<openid>` (sorted set, expires a day after the
 * user's last add), `gone:<jobId>` (a short-lived mark: when a missing head was first seen) and `done:<jobId>` (a
 * finished job whose record was removed: adding it again is ignored while the mark lives).
 */
import type { Redis } from 'ioredis';
import { RedisScript } from '../redis/redis-script.js';

/** A user's set lives this long after their last add: far longer than any job waits. */
const ORDER_TTL_MS = 24 * 60 * 60_000;
/** How long a head whose job does not exist is waited for before it is dropped. */
const MISSING_HEAD_GRACE_MS = 2_000;
const MISSING_MARK_TTL_MS = 60_000;

/**
 * How many of the user's jobs are ahead of ARGV job (0: run it), dropping finished heads (and heads whose job has
 * stayed missing for the grace period) on the way. `jobKeys`: the job hash prefix; `marks`: the missing-mark prefix.
 */
const AHEAD_FUNCTION = `
local function ahead(userKey, jobId, jobKeys, marks, markTtl, grace)
  if not redis.call('ZSCORE', userKey, jobId) then return 0 end
  while true do
    local head = redis.call('ZRANGE', userKey, 0, 0)[1]
    if head == jobId then return 0 end
    local jobKey = jobKeys .. head
    if redis.call('EXISTS', jobKey) == 0 then
      local mark = marks .. head
      if redis.call('SET', mark, '1', 'NX', 'PX', markTtl) then return redis.call('ZRANK', userKey, jobId) end
      if redis.call('PTTL', mark) > tonumber(markTtl) - tonumber(grace) then return redis.call('ZRANK', userKey, jobId) end
      redis.call('DEL', mark)
      redis.call('ZREM', userKey, head)
    elseif redis.call('HEXISTS', jobKey, 'finishedOn') == 1 then
      redis.call('ZREM', userKey, head)
    else
      return redis.call('ZRANK', userKey, jobId)
    end
  end
end
`;

/**
 * KEYS[1] the user's set, KEYS[2] the job's hash, KEYS[3] the job's done mark. ARGV[1] job id, ARGV[2] TTL,
 * ARGV[3] score (when the message arrived, in thousandths of a millisecond: jobs of one millisecond keep their add
 * order), ARGV[4..7] as for `ahead`. -1: the job exists already or finished lately (a repeated add: nothing to do);
 * otherwise ordered, and how many of the user's jobs are ahead of it.
 */
const ENQUEUE_SCRIPT = `${AHEAD_FUNCTION}
if redis.call('EXISTS', KEYS[2], KEYS[3]) > 0 then return -1 end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  local score = tonumber(ARGV[3])
  while #redis.call('ZRANGEBYSCORE', KEYS[1], score, score, 'LIMIT', 0, 1) > 0 do score = score + 1 end
  redis.call('ZADD', KEYS[1], score, ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return ahead(KEYS[1], ARGV[1], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
`;

/** KEYS[1] the user's set. ARGV[1..5] as for `ahead`. */
const AHEAD_SCRIPT = `${AHEAD_FUNCTION}
return ahead(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
`;

const ENQUEUE = new RedisScript(ENQUEUE_SCRIPT);
/** KEYS[1] the user's set, KEYS[2] the job's done mark. ARGV[1] job id, ARGV[2] how long the mark lives (0: none). */
const FINISH = new RedisScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[2], '1', 'PX', ARGV[2]) end
return 1
`);
const AHEAD = new RedisScript(AHEAD_SCRIPT);

export interface RedisUserOrderOptions {
  redis: Redis;
  /** Where the order keys live, e.g. `wx:app:answers:order:`. */
  keyPrefix: string;
  /** The BullMQ job hashes' prefix (`queue.toKey('')`, e.g. `wx:app:answers:`): a job's hash is this + its id. */
  jobKeyPrefix: string;
}

export class RedisUserOrder {
  readonly #redis: Redis;
  readonly #keyPrefix: string;
  readonly #jobKeyPrefix: string;

  constructor(options: RedisUserOrderOptions) {
    this.#redis = options.redis;
    this.#keyPrefix = options.keyPrefix;
    this.#jobKeyPrefix = options.jobKeyPrefix;
  }

  /**
   * Puts the job in its user's order by when its message arrived (`arrivedAt`, ms), not by when it was added: one
   * user's messages reaching two instances in quick succession keep their order even when the later one's instance
   * adds its job first (one whose job has already started cannot wait any more, of course). Returns how many of the
   * user's jobs are ahead of it (0: it may run now), or undefined when the job exists already or finished lately
   * (adding it again is pointless).
   */
  async enqueue(user: string, jobId: string, arrivedAt: number): Promise<number | undefined> {
    const score = Math.floor(arrivedAt) * 1000;
    const keys = [this.#userKey(user), this.#jobKeyPrefix + jobId, this.#doneKey(jobId)];
    const result = Number(await ENQUEUE.run(this.#redis, keys, [jobId, String(ORDER_TTL_MS), String(score), ...this.#aheadArgs()]));
    return result < 0 ? undefined : result;
  }

  /** How many of the user's jobs must finish before this one may run (0: run it now). */
  async ahead(user: string, jobId: string): Promise<number> {
    return Number(await AHEAD.run(this.#redis, [this.#userKey(user)], [jobId, ...this.#aheadArgs()]));
  }

  /**
   * The job finished (completed, or failed for good): the user's next job may run. `doneForMs`: for a job whose
   * record is removed rather than kept as completed, how long an add of it is still ignored.
   */
  async finish(user: string, jobId: string, doneForMs?: number): Promise<void> {
    await FINISH.run(this.#redis, [this.#userKey(user), this.#doneKey(jobId)], [jobId, doneForMs ?? 0]);
  }

  #aheadArgs(): string[] {
    return [this.#jobKeyPrefix, `${this.#keyPrefix}gone:`, String(MISSING_MARK_TTL_MS), String(MISSING_HEAD_GRACE_MS)];
  }

  #doneKey(jobId: string): string {
    return `${this.#keyPrefix}done:${jobId}`;
  }

  #userKey(user: string): string {
    return `${this.#keyPrefix}user:${user}`;
  }
}
