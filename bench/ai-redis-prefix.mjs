// The Redis side of the AI benchmark's `gateway-queue` run (bench/ai-bench.mjs): each run gets a key prefix of
// its own, so that runs (and anyone else's data in the same Redis) never meet, and everything under it is deleted
// afterwards. The URL may carry a password: it is never printed, and neither are ioredis's messages about it.
import crypto from 'node:crypto';

/** Connects to `url` and checks it answers; rejects with a message that does not contain the URL. */
export async function openBenchRedis(url) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  let socketError; // connect() itself only says "Connection is closed."; the reason comes as an event
  redis.on('error', (e) => { socketError ??= e; });
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    // Codes only (ECONNREFUSED, NOAUTH…): messages may quote the address, and the URL holds the password.
    const reason = socketError ?? e;
    const why = reason.code ?? /^[A-Z]+\b/.exec(reason.message)?.[0] ?? reason.name;
    throw new Error(`Redis at REDIS_URL did not answer (${why})`, { cause: e });
  }
  return new BenchRedis(redis);
}

class BenchRedis {
  constructor(redis) {
    this.redis = redis;
    /** Prefixes handed out and not yet cleaned up: cleaned on the way out, interrupted or not. */
    this.pending = new Set();
  }

  /** A fresh REDIS_PREFIX: `wxbench:<random>:`. */
  newPrefix() {
    const prefix = `wxbench:${crypto.randomBytes(6).toString('hex')}:`;
    this.pending.add(prefix);
    return prefix;
  }

  /** Deletes every key under `prefix` (hex and ':' only: no glob characters); resolves to how many. */
  async deleteKeys(prefix) {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await this.redis.unlink(...keys);
    } while (cursor !== '0');
    this.pending.delete(prefix);
    return deleted;
  }

  /** Deletes what is left under every prefix handed out, then disconnects. Never rejects. */
  async close() {
    for (const prefix of [...this.pending]) {
      try { await this.deleteKeys(prefix); } catch { /* Redis gone: nothing more to do */ }
    }
    this.redis.disconnect();
  }
}
