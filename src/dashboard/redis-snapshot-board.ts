/**
 * Snapshots in Redis: each instance's under `{prefix}dashboard:instance:{id}` (`SET … PX ttl`), and the ids in a
 * sorted set `{prefix}dashboard:instances` (score: when last published), so a reader finds them without
 * scanning the keyspace. The snapshot key's expiry decides who is alive; the set only lists candidates and is
 * pruned by publishers, generously, so that clocks a little apart never hide a live instance.
 */
import type { Redis } from 'ioredis';
import { isInstanceSnapshot, type InstanceSnapshot } from './instance-snapshot.js';
import type { SnapshotBoard } from './snapshot-board.js';

/** Ids not republished for this long (by the publisher's clock) leave the set. */
const PRUNE_AFTER_MS = 10 * 60_000;

export interface RedisSnapshotBoardOptions {
  /** The connection; it belongs to the caller, who closes it. */
  redis: Redis;
  /** `REDIS_PREFIX`. */
  keyPrefix: string;
  now?: () => number;
}

export class RedisSnapshotBoard implements SnapshotBoard {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #index: string;
  readonly #now: () => number;

  constructor(options: RedisSnapshotBoardOptions) {
    this.#redis = options.redis;
    this.#prefix = `${options.keyPrefix}dashboard:`;
    this.#index = `${this.#prefix}instances`;
    this.#now = options.now ?? Date.now;
  }

  async publish(snapshot: InstanceSnapshot, ttlMs: number): Promise<void> {
    const now = this.#now();
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const results = await this.#redis
      .multi()
      .set(this.#key(snapshot.instance), JSON.stringify(snapshot), 'PX', ttl)
      .zadd(this.#index, now, snapshot.instance)
      .zremrangebyscore(this.#index, '-inf', now - PRUNE_AFTER_MS)
      .pexpire(this.#index, PRUNE_AFTER_MS)
      .exec();
    const failed = results?.find(([error]) => error !== null);
    if (results === null || failed) throw failed?.[0] ?? new Error('Redis transaction was discarded');
  }

  async read(): Promise<InstanceSnapshot[]> {
    const ids = await this.#redis.zrange(this.#index, '0', '-1');
    if (ids.length === 0) return [];
    const values = await this.#redis.mget(ids.map((id) => this.#key(id)));
    const snapshots: InstanceSnapshot[] = [];
    for (const value of values) {
      if (value === null) continue;
      // A value not written by this code (damaged, or another version's format) is not shown.
      const snapshot = parseJson(value);
      if (isInstanceSnapshot(snapshot)) snapshots.push(snapshot);
    }
    return snapshots;
  }

  async remove(instance: string): Promise<void> {
    await this.#redis.multi().del(this.#key(instance)).zrem(this.#index, instance).exec();
  }

  #key(instance: string): string {
    return `${this.#prefix}instance:${instance}`;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
