/**
 * Starts the real server (`startServer`, as `npm start` does) on a loopback port for integration tests, with random credentials, and gives a
 * WeChat emulator pointed at it. Logs are captured in memory so tests can assert on them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../../src/config/app-config.js';
import type { DedupStore } from '../../src/conversation/dedup/dedup-store.js';
import type { Router } from '../../src/conversation/router.js';
import { startServer } from '../../src/server.js';
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
  const captured: Buffer[] = [];
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => captured.push(chunk));
  const server = await startServer(
    { TOKEN_FILE_PATH: path.join(dataDir, 'access_token.json'), ...env },
    { envFile: false, logDestination: destination, overrides: options },
  );
  const { app, config, url } = server;
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
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
