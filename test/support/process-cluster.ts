/**
 * A scaled-out deployment as real processes, for the tests that kill, stop and restart instances: N servers
 * (`src/server.ts` as child processes, as `npm start` runs them) of one account sharing the real Redis under a
 * `REDIS_PREFIX` of their own, a fake OpenAI-compatible model and a fake WeChat API on loopback, and a failover
 * proxy in front of the servers (WeChat's view: one callback URL; which instance gets a delivery is the
 * proxy's — the test's — choice). Everything is removed by `close`: processes, fakes, proxy, the Redis keys and the
 * working folders.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startFakeOpenAI, type FakeOpenAI } from '../ai/fakes/fake-openai.js';
import type { FakeCustomerServiceMessage } from '../../src/demo/fake-wechat-api/fake-state.js';
import type { FakeWeChatApi, FakeWeChatApiOptions } from '../../src/demo/fake-wechat-api/start-fake-wechat-api.js';
import { accountEnv, newAccount, startAccountFake, type Account } from './app-instances.js';
import { openAIEnv } from './delivery-stack.js';
import { startFailoverProxy, type FailoverProxy } from './failover-proxy.js';
import { childEnv, spawnServer, type Spawned } from './processes.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from './redis.js';
import { WeChatClient, type WeChatClientOptions } from './wechat-client.js';

/** One JSON log line of an instance. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

export interface InstanceProcess {
  process: Spawned;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** The instance's JSON log lines whose `msg` matches. */
  logLines(msg: RegExp): LogLine[];
  /** Sends `signal` (SIGKILL: a crash; SIGTERM: a graceful stop) and resolves with the exit code. */
  stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<number | null>;
}

export interface ProcessCluster {
  account: Account;
  wechat: FakeWeChatApi;
  model: FakeOpenAI;
  proxy: FailoverProxy;
  /** The instances' environment (the same for all, and for a restart). */
  env: Record<string, string>;
  /** The current process of each instance (a restart replaces it). */
  instances: InstanceProcess[];
  /** A WeChat delivering through the proxy. */
  client(options?: Partial<WeChatClientOptions>): WeChatClient;
  /** A WeChat delivering to instance `index` directly. */
  clientOf(index: number, options?: Partial<WeChatClientOptions>): WeChatClient;
  /** Starts a new process for instance `index` with the same environment (after the old one died) and points the proxy at it. */
  restart(index: number): Promise<InstanceProcess>;
  /** Customer-service messages the fake WeChat API accepted for `openId`, in order. */
  customerServiceMessages(openId: string): FakeCustomerServiceMessage[];
  /** Their texts (text messages only). */
  customerServiceTexts(openId: string): string[];
  /** Every log line of every process so far (for failure messages). */
  output(): string;
  close(): Promise<void>;
}

export interface ProcessClusterOptions {
  instances: number;
  /** Extra environment for every instance (`PASSIVE_WINDOW_MS`, `SHUTDOWN_TIMEOUT`, …). */
  env?: Record<string, string>;
  /** Options of the fake WeChat API, e.g. `customServicePermission: false`. */
  wechat?: Partial<FakeWeChatApiOptions>;
}

const MODEL_API_KEY = 'sk-delivery-test';
const CALLBACK_PATH = '/wechat';

export async function startProcessCluster(options: ProcessClusterOptions): Promise<ProcessCluster> {
  const account = newAccount();
  const prefix = uniquePrefix('scaleout');
  const folders: string[] = [];
  const processes: Spawned[] = [];
  const parts: Array<{ close(): Promise<void> }> = [];
  const close = async (): Promise<void> => {
    for (const spawned of processes) {
      if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill('SIGKILL');
      await spawned.exited;
    }
    for (const part of parts.reverse()) await part.close().catch(() => {});
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    await deleteKeys(redis, prefix).catch(() => {});
    redis.disconnect();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  };

  try {
    const wechat = await startAccountFake(account, options.wechat);
    parts.push(wechat);
    const model = await startFakeOpenAI({ apiKey: MODEL_API_KEY });
    parts.push(model);
    // A killed instance's job is taken over after 4 s (JOB_TAKEOVER_AFTER; 10 s by default), to keep the tests short.
    const env = accountEnv(account, wechat.url, { LOG_LEVEL: 'info', REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, JOB_TAKEOVER_AFTER: '4', ...openAIEnv(model), ...options.env });

    const launch = async (index: number): Promise<InstanceProcess> => {
      folders[index] ??= mkdtempSync(path.join(tmpdir(), `wx-scaleout-${index}-`));
      const spawned = spawnServer(folders[index], childEnv(env));
      processes.push(spawned);
      const [, port] = await spawned.waitFor(/"port":(\d+)[^\n]*wx-backend listening/, 30_000);
      return {
        process: spawned,
        url: `http://127.0.0.1:${port}`,
        logLines: (msg) => logLinesOf(spawned.output(), msg),
        async stop(signal) {
          spawned.child.kill(signal);
          return spawned.exited;
        },
      };
    };
    // One after the other: starting several at once on a small machine only makes each start slower.
    const instances: InstanceProcess[] = [];
    for (let index = 0; index < options.instances; index++) instances.push(await launch(index));
    const proxy = await startFailoverProxy(instances.map((instance) => instance.url));
    parts.push(proxy);

    const clientTo = (url: string, clientOptions: Partial<WeChatClientOptions>): WeChatClient =>
      new WeChatClient({
        token: account.token,
        aesKey: account.aesKey,
        appId: account.appId,
        callbackUrl: `${url}${CALLBACK_PATH}`,
        noteUserMessage: (openId) => void wechat.noteUserMessage(openId),
        ...clientOptions,
      });
    const customerServiceMessages = (openId: string): FakeCustomerServiceMessage[] => wechat.state.customerServiceMessages.get(openId) ?? [];
    return {
      account,
      wechat,
      model,
      proxy,
      env,
      instances,
      client: (clientOptions = {}) => clientTo(proxy.url, clientOptions),
      clientOf: (index, clientOptions = {}) => clientTo(instances[index]!.url, clientOptions),
      async restart(index) {
        const instance = await launch(index);
        instances[index] = instance;
        proxy.replace(index, instance.url);
        return instance;
      },
      customerServiceMessages,
      customerServiceTexts: (openId) =>
        customerServiceMessages(openId).filter((message) => message.msgtype === 'text').map((message) => String((message.content as { content: string }).content)),
      output: () => processes.map((spawned, index) => `--- process ${index} (pid ${spawned.child.pid}) ---\n${spawned.output()}`).join('\n'),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function logLinesOf(output: string, msg: RegExp): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line): LogLine[] => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    })
    .filter((entry) => typeof entry.msg === 'string' && msg.test(entry.msg));
}

/**
 * The index of the instance that runs the answer job of the cluster's (only) message so far: any instance's worker
 * may take a job, not only the one that received the message. Its `answer job started` line says which.
 */
export function jobRunner(stack: ProcessCluster): number {
  const index = stack.instances.findIndex((instance) => instance.logLines(/^answer job started$/).length > 0);
  if (index < 0) throw new Error(`no instance has started the answer job\n${stack.output()}`);
  return index;
}
