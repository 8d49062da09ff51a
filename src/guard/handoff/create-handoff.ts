/**
 * The hand-off to people as the configuration asks for it: off without `HANDOFF_KEYWORDS`; otherwise its router
 * step and the store of handed-off users — in Redis under `REDIS_PREFIX` + `handoff:` when instances share state,
 * so a user handed off on one instance is with people on all of them; in memory otherwise.
 */
import type { Redis } from 'ioredis';
import type { AppConfig } from '../../config/app-config.js';
import type { Handler } from '../../conversation/router.js';
import { handoffHandler } from './handoff-handler.js';
import type { HandoffStore } from './handoff-store.js';
import { MemoryHandoffStore } from './memory-handoff-store.js';
import { RedisHandoffStore } from './redis-handoff-store.js';

export interface Handoff {
  /** The router step: before the reset command, the pickup keyword and the AI (see handoff-handler.ts). */
  handler: Handler;
  /** Who is handed off now; the admin API and the CLI list and release users through it. */
  store: HandoffStore;
}

export function createHandoff(config: Pick<AppConfig, 'handoff' | 'redisPrefix'>, redis?: Redis): Handoff | undefined {
  const { keywords, timeoutSeconds } = config.handoff;
  if (keywords.length === 0) return undefined;
  const store = handoffStore(config, redis);
  return { handler: handoffHandler({ store, keywords, timeoutMs: timeoutSeconds * 1000 }), store };
}

/** The store the service keeps handed-off users in for this configuration (the CLI opens the same one in Redis). */
export function handoffStore(config: Pick<AppConfig, 'redisPrefix'>, redis?: Redis): HandoffStore {
  return redis ? new RedisHandoffStore({ redis, keyPrefix: `${config.redisPrefix}handoff:` }) : new MemoryHandoffStore();
}
