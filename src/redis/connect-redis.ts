/**
 * Connects to `REDIS_URL` at start-up. An unreachable Redis is a configuration problem — the instance would run
 * without the state it shares with the others — so start-up stops with a `ConfigError` naming `REDIS_URL` (exit
 * code 2), not with a stack trace. The URL in that line carries no password.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ConfigError } from '../config/config-error.js';

/** How long start-up waits for Redis before it gives up. */
const CONNECT_TIMEOUT_MS = 5_000;

/** `redis://user:secret@host:6379/0` → `redis://host:6379/0`: what a problem line or a log may show. */
export function redisUrlWithoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return 'the configured URL';
  }
}

export async function connectRedis(url: string, log: Logger): Promise<Redis> {
  let connected = false;
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // While starting, one failed attempt is the answer; once running, reconnect as ioredis does by default.
    retryStrategy: (attempt) => (connected ? Math.min(attempt * 100, 2_000) : null),
  });
  let firstError: Error | undefined;
  const onStartError = (error: Error) => {
    firstError ??= error;
  };
  redis.on('error', onStartError);
  try {
    await redis.connect();
    connected = true;
  } catch (error) {
    redis.disconnect();
    const reason = (firstError ?? (error instanceof Error ? error : undefined))?.message ?? String(error);
    throw new ConfigError([`REDIS_URL: cannot connect to ${redisUrlWithoutPassword(url)} (${reason}); is Redis running and reachable from here?`]);
  } finally {
    redis.off('error', onStartError);
  }
  redis.on('error', (error: Error) => log.error({ err: error }, 'redis connection error'));
  return redis;
}
