/**
 * Builds the long-lived parts the app runs on from the configuration — Redis, the dedup store, the router,
 * readiness checks — and closes them again. Without `REDIS_URL` everything is in memory (one instance).
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppDependencies } from './app.js';
import type { AppConfig } from './config/app-config.js';
import type { DedupStore } from './conversation/dedup/dedup-store.js';
import { MemoryDedupStore } from './conversation/dedup/memory-dedup-store.js';
import { RedisDedupStore } from './conversation/dedup/redis-dedup-store.js';
import { createRouter } from './conversation/create-router.js';
import type { ReadinessCheck } from './http/routes/health.js';

export interface Runtime {
  dependencies: AppDependencies;
  redis?: Redis;
  close(): Promise<void>;
}

/** Parts a caller (a test, an embedding application) supplies instead of the ones built from the configuration. */
export type RuntimeOverrides = Partial<Pick<AppDependencies, 'router' | 'dedupStore'>>;

export async function createRuntime(config: AppConfig, log: Logger, overrides: RuntimeOverrides = {}): Promise<Runtime> {
  const checks: ReadinessCheck[] = [];
  let redis: Redis | undefined;
  let dedupStore: DedupStore;
  // A supplied dedup store belongs to the caller, who closes it.
  const ownsDedupStore = overrides.dedupStore === undefined;
  if (overrides.dedupStore) {
    dedupStore = overrides.dedupStore;
  } else if (config.redisUrl) {
    redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2, enableAutoPipelining: true });
    redis.on('error', (error: Error) => log.error({ err: error }, 'redis connection error'));
    await redis.connect();
    dedupStore = new RedisDedupStore({ redis, keyPrefix: config.redisPrefix });
    const client = redis;
    checks.push({
      name: 'redis',
      check: async () => ((await client.ping()) === 'PONG' ? { status: 'ok' } : { status: 'error', detail: 'unexpected PING answer' }),
    });
  } else {
    dedupStore = new MemoryDedupStore();
  }
  if (!config.redisUrl) {
    checks.push({ name: 'redis', check: async () => ({ status: 'not-configured', detail: 'REDIS_URL not set: state is kept in memory (single instance)' }) });
  }
  return {
    dependencies: { log, router: overrides.router ?? createRouter(config), dedupStore, readinessChecks: checks },
    ...(redis ? { redis } : {}),
    async close() {
      if (ownsDedupStore) await dedupStore.close();
      if (redis) await redis.quit().catch(() => redis?.disconnect());
    },
  };
}
