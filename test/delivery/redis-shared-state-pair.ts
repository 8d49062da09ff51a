// Two RedisSharedState stores over one fresh key prefix, each on its own connection, as two instances would
// have: the fixture of the Redis runs of the shared-state and pickup-box contract suites.
import { Redis } from 'ioredis';
import { RedisSharedState } from '../../src/delivery/state/redis-shared-state.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

export function redisSharedStatePair(label: string): { state: RedisSharedState; other: RedisSharedState; cleanup: () => Promise<void> } {
  const prefix = uniquePrefix(label);
  const first = new Redis(TEST_REDIS_URL);
  const second = new Redis(TEST_REDIS_URL);
  return {
    state: new RedisSharedState({ redis: first, keyPrefix: prefix }),
    other: new RedisSharedState({ redis: second, keyPrefix: prefix }),
    cleanup: async () => {
      await deleteKeys(first, prefix);
      await Promise.all([first.quit(), second.quit()]);
    },
  };
}
