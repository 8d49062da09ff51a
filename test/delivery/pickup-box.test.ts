import { Redis } from 'ioredis';
import { MemorySharedState } from '../../src/delivery/state/memory-shared-state.js';
import { RedisSharedState } from '../../src/delivery/state/redis-shared-state.js';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { runPickupBoxContract } from './pickup-box.contract.js';

// One process: the "other instance" is the same store.
runPickupBoxContract('MemorySharedState', async () => {
  const state = new MemorySharedState();
  return { state, other: state, cleanup: async () => {} };
});

runPickupBoxContract(
  'RedisSharedState',
  async () => {
    const prefix = uniquePrefix('pickup-box');
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
