import { MemorySharedState } from '../../src/delivery/state/memory-shared-state.js';
import { requireRedis } from '../support/redis.js';
import { runPickupBoxContract } from './pickup-box.contract.js';
import { redisSharedStatePair } from './redis-shared-state-pair.js';

// One process: the "other instance" is the same store.
runPickupBoxContract('MemorySharedState', async () => {
  const state = new MemorySharedState();
  return { state, other: state, cleanup: async () => {} };
});

runPickupBoxContract('RedisSharedState', async () => redisSharedStatePair('pickup-box'), { beforeEach: requireRedis });
