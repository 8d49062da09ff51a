import { requireRedis } from '../support/redis.js';
import { redisSharedStatePair } from './redis-shared-state-pair.js';
import { runSharedStateContract } from './shared-state.contract.js';

runSharedStateContract('RedisSharedState', async () => redisSharedStatePair('shared-state'), { beforeEach: requireRedis });
