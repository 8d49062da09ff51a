import { Redis } from 'ioredis';
import { RedisSharedState } from '../../src/delivery/state/redis-shared-state.js';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { runSharedStateContract } from './shared-state.contract.js';

runSharedStateContract(
  'RedisSharedState',
  async () => {
    const prefix = uniquePrefix('shared-state');
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
  },
  { beforeEach: requireRedis },
);
