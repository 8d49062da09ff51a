/**
 * `wx-backend selfcheck`: is this configuration ready for WeChat? One line per check, ✔ or ✖ (– for a check that
 * does not apply or cannot run), each failure saying what to do. Exit code 0 when nothing failed, 1 otherwise.
 *
 * The checks run in dependency order and on the same footing as the server (configuration loader, token store,
 * WeChat services), so a pass means the server will get as far.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { secretValues, type AppConfig } from '../config/app-config.js';
import { ConfigError } from '../config/config-error.js';
import { closeLogger } from '../logging/create-logger.js';
import { createRedactor } from '../logging/redact.js';
import { WeChatApiError } from '../wechat/api/wechat-api-error.js';
import { MessageCrypto } from '../wechat/crypto/message-crypto.js';
import { createWeChatServices, type WeChatServices } from '../wechat/wechat-services.js';
import type { CliIo } from './cli-io.js';
import { createCliLogger } from './cli-logger.js';
import { parseCommandArgs, requirePositionals } from './command-line.js';
import { accessTokenAdvice, describeFailure } from './describe-failure.js';
import { closeRedis, connectRedis, describeTokenStore, loadCliConfig } from './wechat-context.js';

export const selfcheckHelp = `Usage: wx-backend selfcheck

Checks that this configuration (environment and .env, as the server reads them) is ready for WeChat:
  configuration   loads without problems
  credentials     WECHAT_TOKEN, WECHAT_APPID and WECHAT_APPSECRET are set (not demo mode)
  AES key         WECHAT_AES_KEY encrypts and decrypts a sample message (when set)
  Redis           REDIS_URL answers (when set)
  access token    WeChat issues one: IP whitelist, AppID and AppSecret are right
  WeChat API      a call with the token succeeds
Prints one line per check (✔ passed, ✖ failed, – not applicable) with what to do about a failure.
Exit code 0 when no check failed, 1 otherwise.

Options:
  -h, --help      this help`;

type Outcome = 'pass' | 'fail' | 'skip';

const SYMBOLS: Record<Outcome, string> = { pass: '✔', fail: '✖', skip: '–' };

/** Prints check results as they come and remembers whether one failed. */
class Report {
  failures = 0;
  #redact: (text: string) => string = (text) => text;

  constructor(private readonly io: CliIo) {}

  /** From now on every line is redacted with the configuration's secrets. */
  hideSecretsOf(config: AppConfig): void {
    const redactor = createRedactor(secretValues(config));
    this.#redact = (text) => redactor.redact(text);
  }

  add(outcome: Outcome, check: string, message: string, details: string[] = []): void {
    if (outcome === 'fail') this.failures += 1;
    this.io.print(this.#redact(`${SYMBOLS[outcome]} ${check}: ${message}`));
    for (const detail of details) this.io.print(this.#redact(`    ${detail}`));
  }
}

export async function selfcheckCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {}, selfcheckHelp);
  if (values.help) {
    io.print(selfcheckHelp);
    return 0;
  }
  requirePositionals(positionals, 'no arguments', 0, selfcheckHelp);
  const report = new Report(io);

  let config: AppConfig;
  try {
    config = loadCliConfig(io);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const count = error.problems.length;
    report.add('fail', 'configuration', `${count} ${count === 1 ? 'problem' : 'problems'} (see .env.example); the other checks need a valid configuration`, error.problems);
    return 1;
  }
  report.hideSecretsOf(config);
  report.add('pass', 'configuration', `loads (${configurationSource(io)})`);

  const credentialsUsable = checkCredentials(config, report);
  checkAesKey(config, report);

  let redis: Redis | undefined;
  let redisUsable = true;
  if (config.redisUrl) {
    try {
      redis = await connectRedis(config.redisUrl);
      const answer = await redis.ping();
      report.add('pass', 'Redis', `reachable (PING answered ${answer}); the access token is shared under ${config.redisPrefix}`);
    } catch (error) {
      redisUsable = false;
      report.add('fail', 'Redis', `cannot use REDIS_URL: ${error instanceof Error ? error.message : String(error)}; start Redis or correct REDIS_URL`);
    }
  } else {
    report.add('skip', 'Redis', `not configured (REDIS_URL unset): one instance, the access token cached in ${config.tokenFilePath}`);
  }

  try {
    if (!credentialsUsable) {
      report.add('skip', 'access token', 'not checked: needs WECHAT_APPID and WECHAT_APPSECRET');
      report.add('skip', 'WeChat API', 'not checked: needs an access token');
    } else if (!redisUsable) {
      report.add('skip', 'access token', 'not checked: it is kept in Redis, which cannot be used');
      report.add('skip', 'WeChat API', 'not checked: needs an access token');
    } else {
      await checkWeChat(config, redis, io, report);
    }
  } finally {
    if (redis) await closeRedis(redis);
  }

  io.print(report.failures === 0 ? 'all checks passed' : `${report.failures} ${report.failures === 1 ? 'check' : 'checks'} failed`);
  return report.failures === 0 ? 0 : 1;
}

function configurationSource(io: CliIo): string {
  if (io.envFile === false) return 'environment only';
  const file = path.resolve(io.cwd, io.envFile ?? '.env');
  return existsSync(file) ? `environment and ${file}` : `environment; no ${file}`;
}

/** Whether the API checks can run. */
function checkCredentials(config: AppConfig, report: Report): boolean {
  if (config.demo) {
    report.add('fail', 'credentials', 'none set: demo mode, not connected to WeChat. Set WECHAT_TOKEN, WECHAT_APPID and WECHAT_APPSECRET '
      + '(and WECHAT_AES_KEY for safe mode) from the WeChat console → 设置与开发 → 基本配置');
    return false;
  }
  const missing = [config.wechat.appId === '' ? 'WECHAT_APPID' : undefined, config.wechat.appSecret ? undefined : 'WECHAT_APPSECRET']
    .filter((name): name is string => name !== undefined);
  if (missing.length > 0) {
    report.add('fail', 'credentials', `${missing.join(' and ')} not set: no access token, so no menu, users, tags or customer-service `
      + 'messages (passive replies still work); copy them from the WeChat console → 设置与开发 → 基本配置');
    return false;
  }
  report.add('pass', 'credentials', `WECHAT_TOKEN, WECHAT_APPID (${config.wechat.appId}) and WECHAT_APPSECRET are set`);
  return true;
}

function checkAesKey(config: AppConfig, report: Report): void {
  const { aesKey, token, appId } = config.wechat;
  if (config.demo) {
    report.add('skip', 'AES key', 'demo mode: the generated key is not the account\'s');
    return;
  }
  if (aesKey === undefined) {
    report.add('skip', 'AES key', 'WECHAT_AES_KEY not set: only plaintext callbacks can be read; set it to the console\'s EncodingAESKey for safe or compatible mode');
    return;
  }
  const sample = `<xml><ToUserName><![CDATA[${appId}]]></ToUserName><Content><![CDATA[selfcheck 自检]]></Content></xml>`;
  try {
    const crypto = new MessageCrypto({ token, aesKey, appId });
    const roundTrip = crypto.decrypt(crypto.encrypt(sample));
    if (roundTrip !== sample) throw new Error('the decrypted sample differs from the original');
    report.add('pass', 'AES key', `encrypts and decrypts a sample message for ${appId} (safe mode ready)`);
  } catch (error) {
    report.add('fail', 'AES key', `round trip failed: ${error instanceof Error ? error.message : String(error)}; copy EncodingAESKey from the WeChat console again`);
  }
}

async function checkWeChat(config: AppConfig, redis: Redis | undefined, io: CliIo, report: Report): Promise<void> {
  const log = createCliLogger(config, io);
  let services: WeChatServices | undefined;
  try {
    services = createWeChatServices(config, log, redis ? { redis } : {});
    if (services === undefined) return; // excluded by checkCredentials
    try {
      // A real fetch, not the cache: only WeChat can say whether this server's IP, AppID and AppSecret are right.
      const status = await services.tokens.refresh();
      const until = status.expiresAt === undefined ? '' : `, valid until ${new Date(status.expiresAt).toISOString()}`;
      report.add('pass', 'access token', `WeChat issued one (IP whitelisted, AppID and AppSecret right${until}); cached in ${describeTokenStore(config)}`);
    } catch (error) {
      const advice = error instanceof WeChatApiError ? accessTokenAdvice(error, config.wechat.appId) : undefined;
      if (advice !== undefined && error instanceof WeChatApiError) {
        report.add('fail', 'access token', advice, [`errcode ${error.errcode}: ${error.errmsg}`]);
      } else {
        const [first = 'failed', ...rest] = describeFailure(error, config.wechat.appId);
        report.add('fail', 'access token', first, rest);
      }
      report.add('skip', 'WeChat API', 'not checked: needs an access token');
      return;
    }
    try {
      const menus = await services.api.menu.get();
      const buttons = menus?.buttons.length;
      report.add('pass', 'WeChat API', `answers (menu/get: ${buttons === undefined ? 'no menu set' : `a menu of ${buttons} top-level ${buttons === 1 ? 'button' : 'buttons'}`})`);
    } catch (error) {
      const [first = 'failed', ...rest] = describeFailure(error, config.wechat.appId);
      report.add('fail', 'WeChat API', first, rest);
    }
  } finally {
    await services?.close();
    await closeLogger(log);
  }
}
