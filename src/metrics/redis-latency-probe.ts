/**
 * `wx_redis_latency_seconds`: a PING to Redis at once and then every `intervalMs` (5 s), timed. The timer does not
 * keep the process alive; a failed PING is not observed (the connection's own errors are logged where it is made).
 */
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';

export function startRedisLatencyProbe(redis: Redis, histogram: { observe(seconds: number): void }, intervalMs = 5_000): () => void {
  let stopped = false;
  const probe = (): void => {
    const startedAt = performance.now();
    redis.ping().then(
      () => {
        if (!stopped) histogram.observe((performance.now() - startedAt) / 1000);
      },
      () => {},
    );
  };
  probe();
  const timer = setInterval(probe, intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
