/**
 * Builds the long-lived parts the app runs on from the configuration — Redis, the dedup store, the router, the
 * WeChat API with its access token, readiness checks — and closes them again. Without `REDIS_URL` everything is
 * in memory (one instance) and the access token is cached in `TOKEN_FILE_PATH`. In demo mode a fake WeChat API
 * runs in-process, so API features work without an account; the web simulator (demo mode or
 * `SIMULATOR_ENABLED=true`) shows what it is sent.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppDependencies } from './app.js';
import type { AppConfig } from './config/app-config.js';
import type { DedupStore } from './conversation/dedup/dedup-store.js';
import { MemoryDedupStore } from './conversation/dedup/memory-dedup-store.js';
import { RedisDedupStore } from './conversation/dedup/redis-dedup-store.js';
import { createAnswering, type Answering } from './conversation/create-answering.js';
import type { AnswerQueue } from './jobs/answer-queue.js';
import { createRouter } from './conversation/create-router.js';
import { circuitCheck } from './http/routes/circuit-check.js';
import { answerQueueCheck } from './http/routes/answer-queue-check.js';
import { MenuActionTable } from './conversation/menu/menu-action-table.js';
import { wechatAdminServices } from './http/admin/wechat-admin-services.js';
import type { ReadinessCheck } from './http/routes/health.js';
import { startFakeWeChatApi, type FakeWeChatApi } from './demo/fake-wechat-api/start-fake-wechat-api.js';
import { createWeChatServices, type WeChatServices } from './wechat/wechat-services.js';
import { accessTokenCheck } from './http/routes/access-token-check.js';
import { connectRedis } from './redis/connect-redis.js';
import { createDashboard } from './dashboard/create-dashboard.js';
import { createMetrics } from './metrics/metrics.js';
import { metricsIdentity } from './metrics/metrics-identity.js';
import { startRedisLatencyProbe } from './metrics/redis-latency-probe.js';
import { wechatMetricsObserver } from './metrics/wechat-metrics-observer.js';
import { connectFakeApiToSimulator, fakeApiMediaStore } from './demo/fake-api-simulator-bridge.js';
import { noteUserMessageHandler } from './demo/note-user-message-handler.js';
import { createSimulator } from './simulator/create-simulator.js';
import { wechatMediaStore } from './simulator/simulator-media.js';

export interface Runtime {
  dependencies: AppDependencies;
  redis?: Redis;
  /** The WeChat API and access token; absent without `WECHAT_APPSECRET` (outside demo mode). */
  wechat?: WeChatServices;
  /** Demo mode's in-process fake WeChat API. */
  fakeApi?: FakeWeChatApi;
  /** The answer jobs (absent for `echo`): started with the runtime, stopped first on shutdown. */
  answerQueue?: AnswerQueue;
  close(): Promise<void>;
}

/** Parts a caller (a test, an embedding application) supplies instead of the ones built from the configuration. */
export type RuntimeOverrides = Partial<Pick<AppDependencies, 'router' | 'dedupStore'>>;

export interface RuntimeOptions {
  cwd?: string;
  /** The web simulator's wait per WeChat delivery (5 s); tests only. */
  simulatorTimeoutMs?: number;
}

export async function createRuntime(config: AppConfig, log: Logger, overrides: RuntimeOverrides = {}, options: RuntimeOptions = {}): Promise<Runtime> {
  const checks: ReadinessCheck[] = [];
  const metrics = createMetrics(metricsIdentity());
  let redis: Redis | undefined;
  let dedupStore: DedupStore;
  // A supplied dedup store belongs to the caller, who closes it.
  const ownsDedupStore = overrides.dedupStore === undefined;
  if (overrides.dedupStore) {
    dedupStore = overrides.dedupStore;
  } else if (config.redisUrl) {
    redis = await connectRedis(config.redisUrl, log);
    dedupStore = new RedisDedupStore({ redis, keyPrefix: config.redisPrefix });
    const client = redis;
    checks.push({
      name: 'redis',
      check: async () => ((await client.ping()) === 'PONG' ? { status: 'ok' } : { status: 'error', detail: 'unexpected PING answer' }),
    });
  } else {
    dedupStore = new MemoryDedupStore();
  }
  if (!config.redisUrl) {
    checks.push({ name: 'redis', check: async () => ({ status: 'not-configured', detail: 'REDIS_URL not set: state is kept in memory (single instance)' }) });
  }

  let fakeApi: FakeWeChatApi | undefined;
  let wechat: WeChatServices | undefined;
  if (config.demo) {
    const appSecret = randomBytes(16).toString('hex');
    fakeApi = await startFakeWeChatApi({ appId: config.wechat.appId, appSecret });
    wechat = createWeChatServices(config, log, { memoryOnly: true, apiBase: fakeApi.url, appSecret, observer: wechatMetricsObserver(metrics) });
  } else {
    wechat = createWeChatServices(config, log, { ...(redis ? { redis } : {}), observer: wechatMetricsObserver(metrics) });
  }
  checks.push(accessTokenCheck(wechat?.tokens));
  const tokens = wechat?.tokens;
  if (tokens) metrics.watchAccessToken(() => tokens.status());
  const stopRedisProbe = redis ? startRedisLatencyProbe(redis, metrics.redisLatency) : undefined;

  let answering: Answering | undefined;
  try {
    answering = await createAnswering({ config, log, dedupStore, ...(redis ? { redis } : {}), ...(wechat ? { wechat } : {}), cwd: options.cwd ?? process.cwd(), metrics });
  } catch (error) {
    stopRedisProbe?.();
    await wechat?.close();
    await fakeApi?.close();
    if (ownsDedupStore) await dedupStore.close();
    if (redis) redis.disconnect();
    throw error;
  }
  const { policy, queue } = answering;
  if (policy) checks.push(circuitCheck(policy));
  if (queue) {
    checks.push(answerQueueCheck(queue));
    metrics.watchAnswerQueue(() => queue.stats());
  }

  const menuActions = new MenuActionTable(config.menu?.actions);
  // Demo mode: the fake WeChat API learns of each user message as WeChat would (customer-service window, quota).
  const preHandlers = [...(fakeApi ? [noteUserMessageHandler(fakeApi)] : []), ...(answering.agentHandler ? answering.preHandlers : [])];
  const simulator = createSimulator(config, log, {
    ...(fakeApi
      ? { media: fakeApiMediaStore(fakeApi), connect: (chat) => connectFakeApiToSimulator(fakeApi, chat) }
      : wechat ? { media: wechatMediaStore(wechat.api.media, config.publicBaseUrl) } : {}),
    ...(options.simulatorTimeoutMs === undefined ? {} : { timeoutMs: options.simulatorTimeoutMs }),
  });
  // Publishes this instance's dashboard snapshot every 2 s (to Redis with REDIS_URL, so every page shows all).
  const dashboard = createDashboard({ config, metrics, log, wechatApi: wechat !== undefined, ...(redis ? { redis } : {}) });
  dashboard.start();
  const dependencies: AppDependencies = {
    log,
    router:
      overrides.router ??
      createRouter(config, { menuActions, preHandlers, ...(answering.agentHandler ? { agentHandler: answering.agentHandler } : {}) }),
    dedupStore,
    readinessChecks: checks,
    metrics,
    dashboard,
    menuActions,
    held: answering.held,
    archive: answering.archive,
    ...(answering.handoff ? { handoff: answering.handoff } : {}),
    usage: answering.usage,
    ...(wechat ? { admin: wechatAdminServices(wechat) } : {}),
    ...(simulator ? { simulator } : {}),
  };
  const ownAnswering = answering;
  answering.start();
  return {
    dependencies,
    ...(redis ? { redis } : {}),
    ...(wechat ? { wechat } : {}),
    ...(fakeApi ? { fakeApi } : {}),
    ...(queue ? { answerQueue: queue } : {}),
    async close() {
      stopRedisProbe?.();
      await dashboard.close();
      await simulator?.close();
      await ownAnswering.close();
      if (ownsDedupStore) await dedupStore.close();
      await wechat?.close();
      await fakeApi?.close();
      if (redis) await redis.quit().catch(() => redis?.disconnect());
    },
  };
}
