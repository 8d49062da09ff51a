/**
 * App instances for the integration tests under test/integration: the real server (`startServer`, as
 * `npm start` runs it) on a loopback port, pointed at a fake WeChat API that is itself a real HTTP server, with
 * every log line captured and a small HTTP client for the operator API. Each instance gets its own temporary
 * data folder, so no test writes into the repository or sees another test's token file.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { startServer, type RunningServer } from '../../src/server.js';
import { startFakeWeChatApi, type FakeWeChatApi, type FakeWeChatApiOptions } from '../../src/demo/fake-wechat-api/start-fake-wechat-api.js';
import { randomAesKey } from './test-server.js';

/** One WeChat account as an operator configures it, plus the operator API's bearer token. */
export interface Account {
  appId: string;
  appSecret: string;
  token: string;
  aesKey: string;
  adminToken: string;
}

export function newAccount(): Account {
  return {
    appId: `wx${randomBytes(8).toString('hex')}`,
    appSecret: randomBytes(16).toString('hex'),
    token: `token${randomBytes(8).toString('hex')}`,
    aesKey: randomAesKey(),
    adminToken: `admin-${randomBytes(16).toString('hex')}`,
  };
}

/** A fake WeChat API that knows `account` (the only appid/secret pair it hands tokens to). */
export function startAccountFake(account: Account, options: Partial<FakeWeChatApiOptions> = {}): Promise<FakeWeChatApi> {
  return startFakeWeChatApi({ appId: account.appId, appSecret: account.appSecret, ...options });
}

/** The environment of an instance serving `account` against the WeChat API at `apiBase`: loopback, any free port, console logs only. */
export function accountEnv(account: Account, apiBase: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    WECHAT_TOKEN: account.token,
    WECHAT_AES_KEY: account.aesKey,
    WECHAT_APPID: account.appId,
    WECHAT_APPSECRET: account.appSecret,
    WECHAT_API_BASE: apiBase,
    ADMIN_TOKEN: account.adminToken,
    EXTERNAL_SERVICE_TYPE: 'echo',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_DIR: '',
    LOG_LEVEL: 'debug',
    ...extra,
  };
}

/** An HTTP answer with its body as text and, when it is JSON, parsed. */
export interface HttpAnswer {
  status: number;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

export interface AppInstance {
  server: RunningServer;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** Every log line written so far, at the instance's `LOG_LEVEL`. */
  logs(): string;
  /** Any request to the instance. */
  request(method: string, routePath: string, options?: { body?: unknown; headers?: Record<string, string> }): Promise<HttpAnswer>;
  /** A request to `/admin/api{routePath}` with the instance's `ADMIN_TOKEN`. */
  admin(method: string, routePath: string, body?: unknown): Promise<HttpAnswer>;
  /** Stops the server (idempotent) and removes the working directory it made (not one the caller gave). */
  close(): Promise<void>;
}

export interface StartAppInstanceOptions {
  /** Working directory for relative paths and demo credentials; default: a fresh temporary folder. */
  cwd?: string;
  /** The web simulator's wait per WeChat delivery (default 5 s, as WeChat), to keep slow scenarios short. */
  simulatorTimeoutMs?: number;
}

/** A temporary folder and its removal. */
export function temporaryFolder(label: string): { path: string; remove(): void } {
  const folder = mkdtempSync(path.join(tmpdir(), `wx-${label}-`));
  return { path: folder, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

export async function startAppInstance(env: Record<string, string>, options: StartAppInstanceOptions = {}): Promise<AppInstance> {
  // The default TOKEN_FILE_PATH (./data/…) resolves against the working directory: a temporary one keeps the
  // repository clean and the instance's token file its own.
  const ownFolder = options.cwd === undefined ? temporaryFolder('instance') : undefined;
  const cwd = options.cwd ?? ownFolder!.path;
  const captured: Buffer[] = [];
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => captured.push(chunk));
  let server: RunningServer;
  try {
    server = await startServer(env, {
      cwd,
      envFile: false,
      logDestination: destination,
      ...(options.simulatorTimeoutMs === undefined ? {} : { simulatorTimeoutMs: options.simulatorTimeoutMs }),
    });
  } catch (error) {
    ownFolder?.remove();
    throw error;
  }
  const adminToken = server.config.adminToken ?? '';

  const request: AppInstance['request'] = async (method, routePath, { body, headers = {} } = {}) => {
    const response = await fetch(`${server.url}${routePath}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text, json: parseObject(text) };
  };

  return {
    server,
    url: server.url,
    logs: () => Buffer.concat(captured).toString('utf8'),
    request,
    admin: (method, routePath, body) => request(method, `/admin/api${routePath}`, { body, headers: { authorization: `Bearer ${adminToken}` } }),
    async close() {
      await server.close();
      ownFolder?.remove();
    },
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `/readyz`'s entry for one check. */
export function readinessCheck(answer: HttpAnswer, name: string): { status?: string; detail?: string } {
  const checks = answer.json?.checks as Record<string, { status?: string; detail?: string }> | undefined;
  return checks?.[name] ?? {};
}

/** A menu as `PUT /admin/api/menu` takes it (MENU_FILE's form). */
export const SAMPLE_MENU = {
  button: [
    { type: 'click', name: 'Hours', key: 'HOURS', reply: 'Open 9–18' },
    { type: 'view', name: 'Site', url: 'https://example.com/' },
  ],
};

/** Puts a menu straight into the fake's state, so that reading it back needs nothing but an access token. */
export function seedMenu(fake: FakeWeChatApi): void {
  fake.state.menu = { menuId: 1, buttons: [{ type: 'click', name: 'Hours', key: 'HOURS' }] };
}
