/**
 * Several app instances of one account sharing the real Redis — each on its own connection (its own
 * `REDIS_URL` client), all under one `REDIS_PREFIX` unique to the cluster — and one fake WeChat API, as a
 * scaled-out deployment runs. The test gets a token store on a connection of its own, to arrange and inspect
 * the shared access token the way another instance would see it.
 */
import { Redis } from 'ioredis';
import { stableTokenKey } from '../../src/wechat/access-token/credential-keys.js';
import { RedisTokenStore } from '../../src/wechat/access-token/redis-token-store.js';
import type { FakeWeChatApi, FakeWeChatApiOptions } from '../../src/demo/fake-wechat-api/start-fake-wechat-api.js';
import { accountEnv, newAccount, startAccountFake, startAppInstance, type Account, type AppInstance } from './app-instances.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from './redis.js';

export interface InstanceCluster {
  account: Account;
  fake: FakeWeChatApi;
  instances: AppInstance[];
  /** The shared token store, on the test's own connection. */
  store: RedisTokenStore;
  /** The access token's key in `store`. */
  tokenKey: string;
  /** Instance `index` modulo the cluster size: spreads calls round-robin. */
  instance(index: number): AppInstance;
  /** Stops every instance and the fake, deletes the cluster's keys and closes the test's connection. */
  close(): Promise<void>;
}

export interface ClusterOptions {
  size: number;
  fake?: Partial<FakeWeChatApiOptions>;
  /** Extra environment for every instance. */
  env?: Record<string, string>;
}

export async function startInstanceCluster(options: ClusterOptions): Promise<InstanceCluster> {
  const account = newAccount();
  const prefix = uniquePrefix('cluster');
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  // A refused connection rejects `connect()`; the event would only repeat it on stderr.
  redis.on('error', () => {});
  const instances: AppInstance[] = [];
  let fake: FakeWeChatApi | undefined;
  const close = async (): Promise<void> => {
    await Promise.allSettled(instances.map((instance) => instance.close()));
    await fake?.close();
    if (redis.status === 'ready') await deleteKeys(redis, prefix);
    redis.disconnect();
  };
  try {
    await redis.connect();
    fake = await startAccountFake(account, options.fake);
    const env = accountEnv(account, fake.url, { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, ...options.env });
    for (let index = 0; index < options.size; index++) instances.push(await startAppInstance(env));
  } catch (error) {
    await close();
    throw error;
  }
  return {
    account,
    fake,
    instances,
    store: new RedisTokenStore({ redis, keyPrefix: prefix }),
    tokenKey: stableTokenKey(account.appId),
    instance: (index) => instances[index % instances.length]!,
    close,
  };
}
