/**
 * `buildApp(config, dependencies)` assembles the HTTP application and returns it un-listened: tests listen on a
 * loopback port themselves; only `server.ts` listens for real.
 *
 * The WeChat callback (`{WECHAT_PATH}`) is served straight from `node:http` ahead of Fastify — it is the hot path
 * (see http/callback/raw-callback-handler.ts) — so it is reached through a real socket, not `app.inject`. Every
 * other route is a Fastify route.
 */
import { createServer } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from './config/app-config.js';
import type { DedupStore } from './conversation/dedup/dedup-store.js';
import type { MenuActionTable } from './conversation/menu/menu-action-table.js';
import { MessageDispatcher } from './conversation/message-dispatcher.js';
import type { Router } from './conversation/router.js';
import type { AdminServices } from './http/admin/admin-services.js';
import type { HandoffStore } from './guard/handoff/handoff-store.js';
import { adminRoutes } from './http/routes/admin.js';
import { healthRoutes, type ReadinessCheck } from './http/routes/health.js';
import { CallbackProcessor } from './http/callback/callback-processor.js';
import { createRawCallbackHandler } from './http/callback/raw-callback-handler.js';
import { MessageCrypto } from './wechat/crypto/message-crypto.js';
import type { HeldDelivery } from './delivery/held-delivery.js';
import type { AnswerArchive } from './delivery/answer-archive.js';
import { answerArchiveRoutes } from './http/routes/answer-archive.js';
import { metricsRoutes } from './http/routes/metrics.js';
import { dashboardRoutes } from './http/dashboard/dashboard-routes.js';
import type { Dashboard } from './dashboard/dashboard.js';
import { DeliveryRecorder } from './conversation/delivery-recorder.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { metricsIdentity } from './metrics/metrics-identity.js';
import { simulatorRoutes } from './http/routes/simulator.js';
import type { Simulator } from './simulator/create-simulator.js';
import type { UsageStore } from './guard/usage/usage-store.js';

export interface AppDependencies {
  log: Logger;
  router: Router;
  dedupStore: DedupStore;
  readinessChecks?: ReadinessCheck[];
  /** What `/admin/api/*` (on when `ADMIN_TOKEN` is set) calls; without it those routes answer 503. */
  admin?: AdminServices;
  /** The router's menu click actions (the table given to `createRouter`), updated when the admin API publishes a menu. */
  menuActions?: MenuActionTable;
  /** Answers WeChat's deliveries of messages that became answer jobs (AI); absent when only ready replies are given (echo). */
  held?: HeldDelivery;
  /** Full texts of long answers, served at `GET /a/:id`. */
  archive?: AnswerArchive;
  /** This instance's metrics, served at `GET /metrics` (the runtime makes them; default: fresh ones). */
  metrics?: Metrics;
  /** The live dashboard's figures, served at `/dashboard` (same guard as `/metrics`); without it those paths are 404. */
  dashboard?: Pick<Dashboard, 'data'>;
  /** The web chat simulator at `/simulator` (demo mode or `SIMULATOR_ENABLED=true`); without it those paths are 404. */
  simulator?: Simulator;
  /** Token usage, reported at `GET /admin/api/usage`. */
  usage?: Pick<UsageStore, 'day'>;
  /** Users handed to the customer-service staff, listed and released at `/admin/api/handoff`; absent when the hand-off is off. */
  handoff?: HandoffStore;
  /** Clock, for tests. */
  now?: () => number;
}

/** Idle keep-alive connections are kept this long (Fastify's own default). */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

/** How long a claimed message may stay unanswered before a retry may take it over. */
const CLAIM_LEASE_MS = 60_000;

export async function buildApp(config: AppConfig, dependencies: AppDependencies): Promise<FastifyInstance> {
  const { log, router, dedupStore } = dependencies;
  const metrics = dependencies.metrics ?? createMetrics(metricsIdentity());
  const messageCrypto = config.wechat.aesKey
    ? new MessageCrypto({ token: config.wechat.token, aesKey: config.wechat.aesKey, appId: config.wechat.appId })
    : undefined;
  const dispatcher = new MessageDispatcher({
    appId: config.wechat.appId,
    router,
    dedupStore,
    log,
    passiveWindowMs: config.reply.passiveWindowMs,
    dedupTtlMs: config.dedupTtlSeconds * 1000,
    claimLeaseMs: CLAIM_LEASE_MS,
    errorMessage: config.agent.errorMessage,
    recorder: new DeliveryRecorder({ log, metrics }),
    ...(dependencies.held ? { held: dependencies.held } : {}),
    ...(dependencies.now ? { now: dependencies.now } : {}),
  });

  const processor = new CallbackProcessor({
    wechat: config.wechat,
    ...(messageCrypto ? { messageCrypto } : {}),
    dispatcher,
    log,
    metrics,
    ...(dependencies.now ? { now: dependencies.now } : {}),
  });
  // Set before the server stops listening (preClose, below): callbacks on connections still open then get 503.
  let closing = false;
  const callback = createRawCallbackHandler({ path: config.wechat.path, bodyLimitBytes: config.wechat.bodyLimitBytes, processor, log, metrics, closing: () => closing });

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // No per-request child logger: creating one costs more than the rest of the hot path's logging, and every
    // message's lines carry its messageKey instead of Fastify's reqId.
    childLoggerFactory: (logger) => logger,
    bodyLimit: config.wechat.bodyLimitBytes,
    trustProxy: true,
    return503OnClosing: true,
    serverFactory: (fastifyHandler) => {
      const server = createServer((request, response) => {
        if (!callback(request, response)) fastifyHandler(request, response);
      });
      // Fastify sets these only on servers it creates: idle keep-alive connections (a reverse proxy's, WeChat's)
      // stay open 72 s, not Node's 5 s, and the headers timeout stays above it as Node requires.
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
      return server;
    },
  });

  app.setErrorHandler((error: { statusCode?: number; message?: string; code?: string }, request, reply) => {
    // Fastify's own input errors (body too large, bad content) keep their 4xx status; nothing else may leak.
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) log.error({ err: error, url: request.routeOptions.url }, 'request failed');
    else log.warn({ status, code: error.code, url: request.routeOptions.url }, 'request rejected');
    return reply.code(status).type('text/plain; charset=utf-8').send(status === 500 ? 'internal error' : (error.message ?? 'bad request'));
  });

  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  await app.register(healthRoutes, { checks: dependencies.readinessChecks ?? [] });
  await app.register(metricsRoutes, { metrics, ...(config.adminToken ? { token: config.adminToken } : {}) });
  if (dependencies.dashboard) await app.register(dashboardRoutes, { dashboard: dependencies.dashboard, token: config.adminToken });
  if (dependencies.archive) await app.register(answerArchiveRoutes, { archive: dependencies.archive });
  if (dependencies.simulator) {
    const { simulator, info } = dependencies.simulator;
    await app.register(simulatorRoutes, { simulator, info, wechatPath: config.wechat.path });
  }
  if (config.adminToken) {
    const { admin: services, menuActions, now, usage, handoff } = dependencies;
    await app.register(adminRoutes, { token: config.adminToken, services, menuActions, now, usage, ...(handoff ? { handoff } : {}) });
  }
  return app;
}
