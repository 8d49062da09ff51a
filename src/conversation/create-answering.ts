/**
 * Assembles everything that answers users with the AI from the configuration. The path of a message:
 *
 *   callback → dispatcher → router → agent handler: the message becomes a job on the answer queue
 *   (jobs/answer-queue.ts; BullMQ with REDIS_URL, in-process without) and its deliveries are held
 *   (delivery/held-delivery.ts) → a worker on any instance runs the job (jobs/answer-worker.ts): the model
 *   produces the answer (jobs/produce-answer.ts) while the delivery policy (delivery/delivery-policy.ts) gets it
 *   to the user — passive reply, customer-service messages, or pickup.
 *
 * State lives in Redis when instances share it, else in memory.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Agent } from '../ai/agent.js';
import { createAgent, describeService } from '../ai/create-agent.js';
import { CustomAgentError } from '../ai/providers/custom-agent-loader.js';
import { ConfigError } from '../config/config-error.js';
import { createResiliencePolicy, type ResiliencePolicy } from '../ai/resilience.js';
import { createCurrentTimeTool } from '../ai/tools/builtin/current-time.js';
import { createUserProfileTool } from '../ai/tools/builtin/user-profile.js';
import { loadToolsModule } from '../ai/tools/load-tools-module.js';
import { ToolRegistry } from '../ai/tools/tool-registry.js';
import type { AppConfig } from '../config/app-config.js';
import { AnswerArchive } from '../delivery/answer-archive.js';
import { CustomerServiceDelivery, type CustomerServiceChannel } from '../delivery/customer-service-delivery.js';
import { CustomerServicePermission } from '../delivery/customer-service-permission.js';
import { PickupBox } from '../delivery/pickup-box.js';
import { MemorySharedState } from '../delivery/state/memory-shared-state.js';
import { RedisSharedState } from '../delivery/state/redis-shared-state.js';
import type { SharedState } from '../delivery/state/shared-state.js';
import type { Metrics } from '../metrics/metrics.js';
import { WeChatApiError } from '../wechat/api/wechat-api-error.js';
import type { WeChatServices } from '../wechat/wechat-services.js';
import { findAudioConverter } from './audio-converter.js';
import type { ContextStore } from './context/context-store.js';
import { MemoryContextStore } from './context/memory-context-store.js';
import { RedisContextStore } from './context/redis-context-store.js';
import type { DedupStore } from './dedup/dedup-store.js';
import { DeliveryRecorder } from './delivery-recorder.js';
import { DeliveryPolicy } from '../delivery/delivery-policy.js';
import { HeldDelivery } from '../delivery/held-delivery.js';
import type { CustomerServiceLedger } from '../delivery/state/customer-service-ledger.js';
import { MemoryCustomerServiceLedger } from '../delivery/state/memory-customer-service-ledger.js';
import { RedisCustomerServiceLedger } from '../delivery/state/redis-customer-service-ledger.js';
import { AnswerCheckpoints } from '../jobs/answer-checkpoint.js';
import type { AnswerQueue } from '../jobs/answer-queue.js';
import { answerWorker } from '../jobs/answer-worker.js';
import { BullAnswerQueue } from '../jobs/bull-answer-queue.js';
import { MemoryAnswerQueue } from '../jobs/memory-answer-queue.js';
import { createAnswerProducer, type MediaDownloader } from '../jobs/produce-answer.js';
import { customerServiceGrantHandler } from './handlers/customer-service-grant-handler.js';
import { agentHandler } from './handlers/agent-handler.js';
import { pickupHandler } from './handlers/pickup-handler.js';
import { resetHandler } from './handlers/reset-handler.js';
import type { Handler } from './router.js';
import { createContentSafety } from '../guard/safety/content-safety.js';
import { incomingSafetyHandler } from '../guard/safety/incoming-safety-handler.js';
import { createHandoff } from '../guard/handoff/create-handoff.js';
import type { HandoffStore } from '../guard/handoff/handoff-store.js';
import { anyLimit, limitsHandler } from '../guard/limits/limits-handler.js';
import { MemoryRateCounter } from '../guard/limits/memory-rate-counter.js';
import type { RateCounter } from '../guard/limits/rate-counter.js';
import { RedisRateCounter } from '../guard/limits/redis-rate-counter.js';
import { MemoryUsageStore } from '../guard/usage/memory-usage-store.js';
import { RedisUsageStore } from '../guard/usage/redis-usage-store.js';
import { UsageMeter } from '../guard/usage/usage-meter.js';
import type { UsageStore } from '../guard/usage/usage-store.js';

export interface Answering {
  /** The handlers the router runs before the agent: customer-service allowance, hand-off to people, reset command, pickup keyword. */
  preHandlers: Handler[];
  /** The agent's handler (last in the router); absent for `echo`, which answers synchronously by itself. */
  agentHandler?: Handler;
  /** Answers WeChat's deliveries of messages that became jobs. */
  held: HeldDelivery;
  /** The answer jobs; absent for `echo`. Started by `start()`, stopped on shutdown. */
  queue?: AnswerQueue;
  archive: AnswerArchive;
  policy?: ResiliencePolicy;
  agent?: Agent;
  /** Token usage per day, user and model (Redis with `REDIS_URL`): recorded by the answer jobs, read by the limits and reports. */
  usage: UsageStore;
  /** Users handed to the customer-service staff (`HANDOFF_KEYWORDS`); absent when the hand-off is off. */
  handoff?: HandoffStore;
  /** Starts running answer jobs (after the app is built: a restarted instance takes up jobs left in Redis at once). */
  start(): void;
  close(): Promise<void>;
}

export interface AnsweringOptions {
  config: AppConfig;
  log: Logger;
  dedupStore: DedupStore;
  redis?: Redis;
  wechat?: WeChatServices;
  cwd: string;
  /** Counts answers, AI calls and customer-service messages. */
  metrics?: Metrics;
}

export async function createAnswering(options: AnsweringOptions): Promise<Answering> {
  const { config, log, dedupStore, redis, wechat, metrics } = options;
  const state: SharedState = redis ? new RedisSharedState({ redis, keyPrefix: `${config.redisPrefix}delivery:` }) : new MemorySharedState();
  const limits = { maxTurns: config.contextMaxTurns, ttlSeconds: config.contextTtlSeconds };
  const context: ContextStore = redis ? new RedisContextStore({ redis, keyPrefix: config.redisPrefix, ...limits }) : new MemoryContextStore(limits);
  const pickup = new PickupBox({ state, keyword: config.reply.pickupKeyword });
  const archive = new AnswerArchive(state);
  const permission = new CustomerServicePermission(state);
  const ledger: CustomerServiceLedger = redis ? new RedisCustomerServiceLedger({ redis, keyPrefix: `${config.redisPrefix}cs:` }) : new MemoryCustomerServiceLedger();
  const channel = wechat ? customerServiceChannel(wechat, metrics) : undefined;
  const customerService = channel
    ? {
        channel,
        delivery: new CustomerServiceDelivery({ channel, pickup, archive, permission, ledger, log, ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}) }),
      }
    : undefined;
  const answerTimeoutMs = config.agent.timeoutSeconds * 1000;
  const recorder = new DeliveryRecorder({ log, ...(metrics ? { metrics } : {}) });
  const dedupTtlMs = config.dedupTtlSeconds * 1000;
  const held = new HeldDelivery({ dedupStore, passiveWindowMs: config.reply.passiveWindowMs, dedupTtlMs, pickup, answerTimeoutMs, log, recorder });
  const deliveryPolicy = new DeliveryPolicy({
    mode: config.reply.mode,
    passiveWindowMs: config.reply.passiveWindowMs,
    dedupStore,
    dedupTtlMs,
    pickup,
    permission,
    ...(customerService ? { customerService } : {}),
    log,
    recorder,
  });
  const usage: UsageStore = redis
    ? new RedisUsageStore({ redis, keyPrefix: `${config.redisPrefix}usage:`, retentionDays: config.usageRetentionDays })
    : new MemoryUsageStore({ retentionDays: config.usageRetentionDays });
  const rateCounter: RateCounter | undefined = config.limits.ratePerMinute > 0
    ? redis ? new RedisRateCounter({ redis, keyPrefix: `${config.redisPrefix}limits:rate:` }) : new MemoryRateCounter()
    : undefined;
  // With `echo` there is no AI to keep silent, and the runtime routes no pre-handlers.
  const handoff = config.agent.type === 'echo' ? undefined : createHandoff(config, redis);
  // CONTENT_FILTER_FILE / MODERATION_URL; not with `echo`, which has no pre-handlers and repeats the user's words.
  const contentSafety = config.agent.type === 'echo' ? undefined : createContentSafety(config.contentSafety, { log, ...(metrics ? { metrics } : {}) });
  const preHandlers = [
    // Without the WeChat API no customer-service message is ever sent: nothing to count.
    ...(customerService ? [customerServiceGrantHandler(ledger)] : []),
    // Before everything else that answers: the hand-off keyword wins, and a handed-off user reaches nobody but the staff.
    ...(handoff ? [handoff.handler] : []),
    resetHandler(context),
    pickupHandler({ keyword: config.reply.pickupKeyword, pickup, waitMs: Math.max(0, config.reply.passiveWindowMs - 500) }),
    // A blocked question is answered here, a masked one goes on masked: the model never sees the words.
    ...(contentSafety ? [incomingSafetyHandler(contentSafety)] : []),
  ];
  // Last before the agent: only what would reach the model counts (not the reset command, not a pickup).
  if (anyLimit(config.limits)) {
    preHandlers.push(limitsHandler({ limits: config.limits, usage, ...(rateCounter ? { counter: rateCounter } : {}), ...(metrics ? { metrics } : {}) }));
  }

  let agent: Agent | undefined;
  let policy: ResiliencePolicy | undefined;
  let handler: Handler | undefined;
  let queue: AnswerQueue | undefined;
  let worker: ReturnType<typeof answerWorker> | undefined;
  if (config.agent.type !== 'echo') {
    try {
      agent = await createAgent(config.agent, { cwd: options.cwd, log });
    } catch (error) {
      // A module that cannot be loaded is a configuration problem: reported like one (exit code 2).
      if (error instanceof CustomAgentError) throw new ConfigError([`CUSTOM_SERVICE_MODULE: ${error.message.replace(/^CUSTOM_SERVICE_MODULE \(([^)]*)\)/, '$1')}`]);
      throw error;
    }
    const labels = { provider: agent.name, model: describeService(config.agent, agent).model ?? 'unknown' };
    policy = createResiliencePolicy({
      provider: agent.name,
      timeoutMs: answerTimeoutMs,
      ...(metrics ? { hooks: { onRetry: () => metrics.aiRetries.inc(labels) } } : {}),
      ...(config.agent.breakerThreshold === undefined ? {} : { breakerThreshold: config.agent.breakerThreshold }),
      ...(config.agent.breakerCooldownSeconds === undefined ? {} : { breakerCooldownMs: config.agent.breakerCooldownSeconds * 1000 }),
    });
    const watched = policy;
    metrics?.watchAiService(agent.name, () => watched.state());
    const audioConverter = agent.transcribe ? findAudioConverter() : undefined;
    if (agent.transcribe && !audioConverter) log.info('ffmpeg not found: voice messages without WeChat\'s recognition get a "please type" reply (install ffmpeg to transcribe them)');
    const tools = new ToolRegistry([createCurrentTimeTool(), ...(wechat ? [createUserProfileTool(userProfiles(wechat))] : [])]);
    if (config.agent.toolsModule !== undefined) {
      try {
        for (const tool of await loadToolsModule(config.agent.toolsModule, options.cwd)) tools.add(tool);
      } catch (error) {
        throw new ConfigError([`TOOLS_MODULE: ${error instanceof Error ? error.message : String(error)}`]);
      }
    }
    const produce = createAnswerProducer({
      agent,
      policy,
      context,
      tools,
      ...(config.agent.systemPrompt ? { systemPrompt: config.agent.systemPrompt } : {}),
      timeoutMessage: config.agent.timeoutMessage,
      errorMessage: config.agent.errorMessage,
      ...(wechat ? { downloadMedia: mediaDownloader(wechat) } : {}),
      ...(audioConverter ? { convertAudio: audioConverter } : {}),
      voiceReply: config.agent.voiceReply === true,
      ...(metrics ? { metrics } : {}),
      model: labels.model,
      ...(contentSafety ? { contentSafety } : {}),
      usage: new UsageMeter({ store: usage, model: describeService(config.agent, agent).model ?? agent.name }),
    });
    queue = config.redisUrl
      ? new BullAnswerQueue({
          redisUrl: config.redisUrl,
          prefix: config.redisPrefix,
          concurrency: config.jobConcurrency,
          lockDurationMs: config.jobTakeoverAfterSeconds * 1000,
          stalledIntervalMs: (config.jobTakeoverAfterSeconds * 1000) / 2,
          log,
        })
      : new MemoryAnswerQueue({ concurrency: config.jobConcurrency, log });
    worker = answerWorker({ produce, policy: deliveryPolicy, checkpoints: new AnswerCheckpoints(state), log, ...(metrics ? { metrics } : {}) });
    handler = agentHandler({ queue, agent, canDownloadMedia: wechat !== undefined, canConvertAudio: audioConverter !== undefined });
  }
  return {
    preHandlers,
    ...(handler ? { agentHandler: handler } : {}),
    held,
    ...(queue ? { queue } : {}),
    archive,
    usage,
    ...(handoff ? { handoff: handoff.store } : {}),
    start() {
      if (queue && worker) queue.start(worker);
    },
    ...(policy ? { policy } : {}),
    ...(agent ? { agent } : {}),
    async close() {
      await queue?.close();
      await agent?.close?.();
      await context.close();
      await ledger.close();
      contentSafety?.close();
      await handoff?.store.close();
      await rateCounter?.close();
      await usage.close();
      await state.close();
    },
  };
}

function customerServiceChannel({ api }: WeChatServices, metrics: Metrics | undefined): CustomerServiceChannel {
  /** Counts a customer-service message of an answer as sent, refused (WeChat's errcode) or failed (no answer). */
  const counted = (sending: Promise<void>): Promise<void> =>
    metrics === undefined
      ? sending
      : sending.then(
        () => metrics.customerServiceMessages.inc({ result: 'sent', errcode: '0' }),
        (error: unknown) => {
          const refused = error instanceof WeChatApiError;
          metrics.customerServiceMessages.inc({ result: refused ? 'refused' : 'failed', errcode: refused ? String(error.errcode) : 'transport' });
          throw error;
        },
      );
  return {
    typing: (openId) => api.customService.typing(openId, 'Typing'),
    sendText: (openId, text) => counted(api.customService.sendText(openId, text)),
    async uploadMedia(media) {
      const data = media.data ?? (media.url ? new Uint8Array(await (await fetch(media.url, { signal: AbortSignal.timeout(30_000) })).arrayBuffer()) : undefined);
      if (data === undefined || data.length === 0) throw new Error('the media has neither bytes nor a URL');
      const contentType = media.mimeType ?? (media.kind === 'image' ? 'image/jpeg' : 'audio/mpeg');
      const fileName = `${media.kind}.${contentType.split('/')[1] ?? 'bin'}`;
      return (await api.media.uploadTemporary(media.kind, { data, fileName, contentType })).mediaId;
    },
    sendMedia: (openId, kind, mediaId) => counted(kind === 'image' ? api.customService.sendImage(openId, mediaId) : api.customService.sendVoice(openId, mediaId)),
  };
}

function mediaDownloader({ api }: WeChatServices): MediaDownloader {
  return async (mediaId) => {
    const media = await api.media.downloadTemporary(mediaId);
    if (media.kind !== 'file') throw new Error('expected a file, got a video URL');
    return { data: new Uint8Array(media.body), mimeType: media.contentType };
  };
}

function userProfiles({ api }: WeChatServices): { getUser(openId: string): Promise<{ subscribed: boolean; subscribeTime?: number; language?: string; remark?: string; tags?: string[] }> } {
  return {
    async getUser(openId) {
      const user = await api.users.get(openId);
      return {
        subscribed: user.subscribed,
        ...(user.subscribeTime === undefined ? {} : { subscribeTime: user.subscribeTime }),
        ...(user.language === undefined ? {} : { language: user.language }),
        ...(user.remark === undefined ? {} : { remark: user.remark }),
      };
    },
  };
}
