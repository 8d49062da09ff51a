/**
 * Everything an answer-delivery test talks to, as real HTTP servers on loopback ports: the real server
 * (`startServer`, via `startAppInstance`) with its AI service and WeChat API both faked — a fake model
 * (by default the fake OpenAI-compatible API) and a fake WeChat API that keeps the customer-service messages
 * it was sent — and a `WeChatClient` that delivers messages as WeChat does (5 s per delivery, three deliveries).
 *
 * Each stack has its own account, fakes and server, so scenarios run side by side without seeing each other's
 * model script or messages. Several instances sharing the real Redis can be started for one account.
 */
import { startFakeOpenAI, type FakeOpenAI } from '../ai/fakes/fake-openai.js';
import type { FakeCustomerServiceMessage } from '../../src/demo/fake-wechat-api/fake-state.js';
import type { FakeWeChatApi, FakeWeChatApiOptions } from '../../src/demo/fake-wechat-api/start-fake-wechat-api.js';
import { accountEnv, newAccount, startAccountFake, startAppInstance, type Account, type AppInstance } from './app-instances.js';
import { Redis } from 'ioredis';
import { deleteKeys, uniquePrefix, TEST_REDIS_URL } from './redis.js';
import { WeChatClient, type WeChatClientOptions } from './wechat-client.js';

export interface DeliveryStackOptions {
  /** Extra environment for the server(s): `REPLY_MODE`, `PUBLIC_BASE_URL`, … */
  env?: Record<string, string>;
  /** Options of the fake WeChat API, e.g. `customServicePermission: false`. */
  wechat?: Partial<FakeWeChatApiOptions>;
  /**
   * The AI service's environment (`EXTERNAL_SERVICE_TYPE`, `EXTERNAL_SERVICE_URL`, …). Default: a fake
   * OpenAI-compatible API started for the stack (`model`).
   */
  agentEnv?: Record<string, string>;
  /** App instances of the account; with more than one they share the real Redis under a prefix of their own. */
  instances?: number;
  /** Share the real Redis even with one instance. */
  redis?: boolean;
  /** Options of every client (e.g. a shorter `timeoutMs`). */
  client?: Partial<WeChatClientOptions>;
}

export interface DeliveryStack {
  account: Account;
  wechat: FakeWeChatApi;
  /** The fake model, when the stack started it (no `agentEnv` given). */
  model: FakeOpenAI | undefined;
  instances: AppInstance[];
  /** The first instance. */
  instance: AppInstance;
  /** Delivers to the first instance. */
  client: WeChatClient;
  /** A client delivering to instance `index`. */
  clientFor(index: number, options?: Partial<WeChatClientOptions>): WeChatClient;
  /** Customer-service messages the fake WeChat API accepted for `openId`, in order. */
  customerServiceMessages(openId: string): FakeCustomerServiceMessage[];
  /** Their texts (text messages only). */
  customerServiceTexts(openId: string): string[];
  /** Stops the servers and the fakes. */
  close(): Promise<void>;
}

export const MODEL_NAME = 'fake-model';
const MODEL_API_KEY = 'sk-delivery-test';

/** The environment that points an instance at a fake OpenAI-compatible API. */
export function openAIEnv(model: FakeOpenAI): Record<string, string> {
  return { EXTERNAL_SERVICE_TYPE: 'openai', EXTERNAL_SERVICE_URL: model.baseUrl, EXTERNAL_SERVICE_API_KEY: MODEL_API_KEY, EXTERNAL_SERVICE_MODEL: MODEL_NAME };
}

export async function startDeliveryStack(options: DeliveryStackOptions = {}): Promise<DeliveryStack> {
  const account = newAccount();
  const started: Array<{ close(): Promise<void> }> = [];
  const count = options.instances ?? 1;
  const prefix = count > 1 || options.redis === true ? uniquePrefix('delivery') : undefined;
  const close = async (): Promise<void> => {
    for (const part of started.reverse()) await part.close().catch(() => {});
    // Every key the instances wrote (jobs, checkpoints, dedup, context…) goes with them.
    if (prefix !== undefined) await withRedis((redis) => deleteKeys(redis, prefix)).catch(() => {});
  };
  try {
    const wechat = await startAccountFake(account, options.wechat);
    started.push(wechat);
    let model: FakeOpenAI | undefined;
    let agentEnv = options.agentEnv;
    if (agentEnv === undefined) {
      model = await startFakeOpenAI({ apiKey: MODEL_API_KEY });
      started.push(model);
      agentEnv = openAIEnv(model);
    }
    const shared: Record<string, string> = prefix === undefined ? {} : { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix };
    const env = accountEnv(account, wechat.url, { LOG_LEVEL: 'info', ...agentEnv, ...shared, ...options.env });
    const instances: AppInstance[] = [];
    for (let index = 0; index < count; index++) {
      const instance = await startAppInstance(env);
      started.push(instance);
      instances.push(instance);
    }
    const clientFor = (index: number, clientOptions: Partial<WeChatClientOptions> = {}): WeChatClient =>
      new WeChatClient({
        token: account.token,
        aesKey: account.aesKey,
        appId: account.appId,
        callbackUrl: `${instances[index]!.url}${instances[index]!.server.config.wechat.path}`,
        noteUserMessage: (openId) => void wechat.noteUserMessage(openId),
        ...options.client,
        ...clientOptions,
      });
    const customerServiceMessages = (openId: string): FakeCustomerServiceMessage[] => wechat.state.customerServiceMessages.get(openId) ?? [];
    return {
      account,
      wechat,
      model,
      instances,
      instance: instances[0]!,
      client: clientFor(0),
      clientFor,
      customerServiceMessages,
      customerServiceTexts: (openId) =>
        customerServiceMessages(openId).filter((message) => message.msgtype === 'text').map((message) => String((message.content as { content: string }).content)),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The fake model's stack or a clear failure: tests that script the model need it. */
export function modelOf(stack: DeliveryStack): FakeOpenAI {
  if (stack.model === undefined) throw new Error('this stack was started with its own agentEnv: it has no fake model');
  return stack.model;
}

/** Polls `condition` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs `body` with a short-lived connection to the test Redis. */
async function withRedis(body: (redis: Redis) => Promise<void>): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    await body(redis);
  } finally {
    redis.disconnect();
  }
}
