/**
 * Starts the real application on a loopback port for integration tests, with random credentials, and gives a
 * WeChat emulator pointed at it. Logs are captured in memory so tests can assert on them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { secretValues } from '../../src/config/app-config.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { DedupStore } from '../../src/conversation/dedup/dedup-store.js';
import { MemoryDedupStore } from '../../src/conversation/dedup/memory-dedup-store.js';
import { createRouter } from '../../src/conversation/create-router.js';
import type { Router } from '../../src/conversation/router.js';
import { closeLogger, createLogger } from '../../src/logging/create-logger.js';
import { WeChatEmulator } from '../../src/simulator/wechat-emulator.js';

export interface TestCredentials {
  token: string;
  aesKey: string;
  appId: string;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomAesKey(): string {
  return Array.from(randomBytes(43), (byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('');
}

export function testCredentials(): TestCredentials {
  return { token: `token${randomBytes(8).toString('hex')}`, aesKey: randomAesKey(), appId: `wx${randomBytes(8).toString('hex')}` };
}

/** Environment for a test instance: loopback, ephemeral port, no log files, a temporary data folder. */
export function testEnv(credentials: TestCredentials, extra: Record<string, string> = {}): Record<string, string> {
  return {
    WECHAT_TOKEN: credentials.token,
    WECHAT_AES_KEY: credentials.aesKey,
    WECHAT_APPID: credentials.appId,
    EXTERNAL_SERVICE_TYPE: 'echo',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_DIR: '',
    LOG_LEVEL: 'debug',
    ...extra,
  };
}

export interface TestApp {
  app: FastifyInstance;
  config: AppConfig;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  callbackUrl: string;
  emulator: WeChatEmulator;
  /** Every log line written so far. */
  logs(): string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  router?: Router;
  dedupStore?: DedupStore;
}

export async function startTestApp(env: Record<string, string>, options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wx-test-'));
  const config = loadConfig({ TOKEN_FILE_PATH: path.join(dataDir, 'access_token.json'), ...env }, { envFile: false });
  const captured: Buffer[] = [];
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => captured.push(chunk));
  const log = createLogger(config.log, { secrets: secretValues(config), destination });
  const dedupStore = options.dedupStore ?? new MemoryDedupStore();
  const app = await buildApp(config, { log, router: options.router ?? createRouter(config), dedupStore });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  const callbackUrl = `${url}${config.wechat.path}`;
  const emulator = new WeChatEmulator(
    { token: config.wechat.token, appId: config.wechat.appId, ...(config.wechat.aesKey ? { aesKey: config.wechat.aesKey } : {}) },
    callbackUrl,
  );
  return {
    app,
    config,
    url,
    callbackUrl,
    emulator,
    logs: () => Buffer.concat(captured).toString('utf8'),
    async close() {
      await app.close();
      if (!options.dedupStore) await dedupStore.close();
      await closeLogger(log);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
