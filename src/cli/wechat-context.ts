/**
 * What every WeChat API command stands on, built the way the server builds it: the configuration from the
 * environment and `.env` (same loader, same rules), Redis when `REDIS_URL` is set, and `createWeChatServices` —
 * so the CLI uses the token store the server uses (`TOKEN_FILE_PATH` or Redis) and the token it has cached,
 * under the same lock. A command runs inside `runWithWeChat`, which also turns expected failures into a
 * message and an exit code, and releases everything afterwards.
 *
 * Exit codes: 2 for a setup the commands cannot work with (invalid configuration, demo mode, no
 * `WECHAT_APPSECRET`); 1 when WeChat, the network or Redis fails; otherwise what the command returns.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { secretValues, type AppConfig } from '../config/app-config.js';
import { ConfigError } from '../config/config-error.js';
import { formatConfigProblems, loadConfig } from '../config/load-config.js';
import { closeLogger } from '../logging/create-logger.js';
import { createRedactor } from '../logging/redact.js';
import type { AccessTokenManager } from '../wechat/access-token/access-token-manager.js';
import type { WeChatApi } from '../wechat/api/wechat-api.js';
import { createWeChatServices, type WeChatServices } from '../wechat/wechat-services.js';
import type { CliIo } from './cli-io.js';
import { createCliLogger } from './cli-logger.js';
import { describeFailure } from './describe-failure.js';

export interface WeChatContext {
  config: AppConfig;
  api: WeChatApi;
  tokens: AccessTokenManager;
  /** Where the access token is cached, for reports ("file /srv/data/access_token.json", "Redis, keys under wx:…"). */
  tokenStore: string;
  /** Writes one line to standard output with every configured secret hidden. */
  print(line: string): void;
  /** The same for standard error. */
  printError(line: string): void;
}

/** The server's configuration for this environment and folder; throws `ConfigError` as `loadConfig` does. */
export function loadCliConfig(io: CliIo): AppConfig {
  return loadConfig(io.env, { cwd: io.cwd, ...(io.envFile === undefined ? {} : { envFile: io.envFile }) });
}

/** The configuration, or undefined once its problems are printed (the command then exits with 2). */
export function loadCommandConfig(io: CliIo): AppConfig | undefined {
  try {
    return loadCliConfig(io);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.printError(formatConfigProblems(error));
    return undefined;
  }
}

/** A connected Redis client for `command`, or undefined once why it cannot connect is printed (exit code 1). */
export async function connectCommandRedis(redisUrl: string, command: string, printError: (line: string) => void): Promise<Redis | undefined> {
  try {
    return await connectRedis(redisUrl);
  } catch (error) {
    printFailure(printError, command, [`cannot connect to Redis (REDIS_URL): ${error instanceof Error ? error.message : String(error)}`]);
    return undefined;
  }
}

/** Where `createWeChatServices` keeps the token for this configuration. */
export function describeTokenStore(config: AppConfig): string {
  return config.redisUrl ? `Redis, keys under ${config.redisPrefix}` : `file ${config.tokenFilePath}`;
}

/**
 * A connected Redis client, or a rejection with the reason (the client is then disconnected). A command is
 * short-lived: a few quick reconnection attempts, not the server's patience.
 */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 2,
    retryStrategy: (attempt) => (attempt > 2 ? null : attempt * 200),
  });
  // Without a listener an 'error' event would crash the process; failures surface through connect() or the command.
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    // connect() rejects with "Connection is closed."; the 'error' event had the reason (ECONNREFUSED, auth, …).
    throw lastError ?? error;
  }
}

/** Closes a client from `connectRedis`, politely if it still answers. */
export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}

/** Prints an expected failure: the first line after the command's name, the rest (the hint) indented. */
export function printFailure(printError: (line: string) => void, command: string, lines: string[]): void {
  const [first = 'failed', ...rest] = lines;
  printError(`wx-backend ${command}: ${first}`);
  for (const line of rest) printError(`  ${line}`);
}

/** The reason a configuration cannot reach the WeChat API, or undefined when it can. */
export function missingApiAccess(config: AppConfig): string | undefined {
  if (config.demo) {
    return 'no WeChat account is configured (demo mode). The API commands need a real account: set WECHAT_APPID, '
      + 'WECHAT_APPSECRET and WECHAT_TOKEN (see .env.example). To try them without one, set those to anything and '
      + 'WECHAT_API_BASE to a fake WeChat API.';
  }
  if (!config.wechat.appSecret) {
    return 'WECHAT_APPSECRET is not set: the WeChat API needs an access token, and WeChat issues it for the AppID '
      + 'and its AppSecret (WeChat console → 设置与开发 → 基本配置).';
  }
  return undefined;
}

/**
 * Runs `action` with the WeChat services for `io`'s configuration and resolves to its exit code; expected
 * failures (WeChat's errors, the network, Redis) are printed without a stack trace and give 1.
 */
export async function runWithWeChat(io: CliIo, command: string, action: (context: WeChatContext) => Promise<number>): Promise<number> {
  const config = loadCommandConfig(io);
  if (config === undefined) return 2;
  const missing = missingApiAccess(config);
  if (missing !== undefined) {
    io.printError(`wx-backend ${command}: ${missing}`);
    return 2;
  }
  const redactor = createRedactor(secretValues(config));
  const print = (line: string): void => io.print(redactor.redact(line));
  const printError = (line: string): void => io.printError(redactor.redact(line));
  const log: Logger = createCliLogger(config, io);
  let redis: Redis | undefined;
  let services: WeChatServices | undefined;
  try {
    if (config.redisUrl) {
      redis = await connectCommandRedis(config.redisUrl, command, printError);
      if (redis === undefined) return 1;
    }
    services = createWeChatServices(config, log, redis ? { redis } : {});
    if (services === undefined) throw new Error('no WeChat services without WECHAT_APPSECRET'); // excluded above
    const { api, tokens } = services;
    return await action({ config, api, tokens, tokenStore: describeTokenStore(config), print, printError });
  } catch (error) {
    printFailure(printError, command, describeFailure(error, config.wechat.appId));
    return 1;
  } finally {
    await services?.close();
    if (redis) await closeRedis(redis);
    await closeLogger(log);
  }
}
