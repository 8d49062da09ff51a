/**
 * The dashboard of an instance, from the configuration: its profile (what the page says about it — never a
 * secret, a URL or a key), and its board — Redis under `REDIS_PREFIX` when instances share state, so every
 * instance's page shows the whole deployment; in memory otherwise. The caller starts and closes it.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import type { Metrics } from '../metrics/metrics.js';
import { Dashboard } from './dashboard.js';
import { RedisSnapshotBoard } from './redis-snapshot-board.js';
import { MemorySnapshotBoard } from './snapshot-board.js';

export interface CreateDashboardOptions {
  config: AppConfig;
  metrics: Pick<Metrics, 'instance' | 'registry'>;
  log: Logger;
  /** The shared connection (`REDIS_URL`), when there is one. */
  redis?: Redis;
  /** Whether the instance calls the WeChat API (keeps an access token). */
  wechatApi: boolean;
  periodMs?: number;
}

export function createDashboard(options: CreateDashboardOptions): Dashboard {
  const { config, metrics, redis } = options;
  return new Dashboard({
    profile: {
      instance: metrics.instance,
      startedAt: Date.now(),
      demo: config.demo,
      redis: redis !== undefined,
      wechatApi: options.wechatApi,
      ai: { provider: config.agent.type, model: config.agent.model ?? null },
    },
    registry: metrics.registry,
    board: redis ? new RedisSnapshotBoard({ redis, keyPrefix: config.redisPrefix }) : new MemorySnapshotBoard(),
    log: options.log,
    ...(options.periodMs === undefined ? {} : { periodMs: options.periodMs }),
  });
}
