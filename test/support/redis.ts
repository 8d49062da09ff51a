// Access to the real Redis server for tests. Without a reachable Redis, tests that need it are skipped
// with a visible notice, except under CI=true where a missing Redis fails the run.
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let availability: Promise<boolean> | undefined;

async function probe(): Promise<boolean> {
  const client = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Returns true when Redis can be used. Otherwise skips the test with a notice, or throws under CI=true.
 */
export async function requireRedis(t: TestContext): Promise<boolean> {
  availability ??= probe();
  if (await availability) return true;
  const notice = `Redis is not reachable at ${TEST_REDIS_URL}`;
  if (process.env.CI === 'true') throw new Error(`${notice}: Redis tests cannot be skipped under CI=true`);
  console.warn(`NOTICE: ${notice}; skipping "${t.name}"`);
  t.skip(notice);
  return false;
}

/** A key prefix unique to one test, so parallel tests and runs never see each other's keys. */
export function uniquePrefix(label = 'test'): string {
  return `wxtest:${label}:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under a prefix (cleanup after a test). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
}

/**
 * Runs `body` with Redis connections made on demand (each store on its own connection, as separate instances
 * would be) and a key prefix unique to the test; afterwards every key under the prefix is deleted and every
 * connection closed. Skips (or fails under CI=true) without Redis, like `requireRedis`.
 */
export async function withConnections(t: TestContext, label: string, body: (connect: () => Redis, keyPrefix: string) => Promise<void>): Promise<void> {
  if (!(await requireRedis(t))) return;
  const keyPrefix = uniquePrefix(label);
  const connections: Redis[] = [];
  const connect = (): Redis => {
    const redis = new Redis(TEST_REDIS_URL);
    connections.push(redis);
    return redis;
  };
  try {
    await body(connect, keyPrefix);
  } finally {
    const [first] = connections;
    if (first !== undefined) await deleteKeys(first, keyPrefix);
    await Promise.all(connections.map((redis) => redis.quit()));
  }
}
