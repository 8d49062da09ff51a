/**
 * Builds the validated `AppConfig` from environment variables — the only place that reads them. `.env` in the
 * working directory is loaded first (Node's own `util.parseEnv`); a variable present in the real environment,
 * even set to empty, wins over the file, as with dotenv. Every problem is collected and reported at once in a
 * `ConfigError`, which the server prints (`formatConfigProblems`) before exiting with code 2.
 *
 * Relative paths (`TOKEN_FILE_PATH`, `LOG_DIR`) are resolved against the working directory, so the returned
 * configuration holds absolute paths.
 *
 * Demo mode: when none of WECHAT_TOKEN / WECHAT_APPID / WECHAT_AES_KEY / WECHAT_APPSECRET is set, credentials
 * are generated (and kept in `demo-credentials.json`, see `demo-credentials.ts`), plaintext is allowed and the
 * agent defaults to `echo`. Setting any one of those variables turns demo mode off for good: a half-configured
 * account is reported as a problem, never silently replaced by demo credentials.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { loadMenuFile, MenuFileError } from '../conversation/menu/menu-file.js';
import { ContentFilterFileError, loadContentFilterFile, type ContentRules } from '../guard/safety/content-filter-file.js';
import type { MenuDefinition } from '../conversation/menu/wechat-menu.js';
import type { AgentType, AppConfig, LogLevel, ReplyMode } from './app-config.js';
import { ConfigError } from './config-error.js';
import { demoCredentialsPath, loadOrCreateDemoCredentials } from './demo-credentials.js';
import type { VariableRule } from './environment-reader.js';
import {
  booleanRule, choiceRule, EnvironmentReader, httpUrlRule, identifierRule, integerRule, numberRule, redisUrlRule,
  routePathRule, sizeRule,
} from './environment-reader.js';

/** Every variable `loadConfig` reads (`.env.example` documents each one). */
export const CONFIG_VARIABLE_NAMES = [
  'WECHAT_TOKEN', 'WECHAT_AES_KEY', 'WECHAT_APPID', 'WECHAT_APPSECRET', 'WECHAT_PATH', 'WECHAT_API_BASE',
  'WECHAT_ALLOW_PLAINTEXT', 'WECHAT_TIMESTAMP_TOLERANCE', 'WECHAT_BODY_LIMIT',
  'EXTERNAL_SERVICE_TYPE', 'EXTERNAL_SERVICE_URL', 'EXTERNAL_SERVICE_API_KEY', 'EXTERNAL_SERVICE_MODEL',
  'EXTERNAL_SERVICE_TIMEOUT', 'EXTERNAL_SERVICE_TIMEOUT_MSG', 'EXTERNAL_SERVICE_ERROR_MSG',
  'EXTERNAL_SERVICE_BREAKER_THRESHOLD', 'EXTERNAL_SERVICE_BREAKER_COOLDOWN', 'SYSTEM_PROMPT',
  'CUSTOM_SERVICE_MODULE', 'TOOLS_MODULE', 'VOICE_REPLY', 'CONTEXT_MAX_TURNS', 'CONTEXT_TTL',
  'REPLY_MODE', 'PASSIVE_WINDOW_MS', 'PICKUP_KEYWORD', 'WELCOME_MESSAGE', 'DEDUP_TTL', 'MENU_FILE',
  'RATE_LIMIT_PER_MINUTE', 'USER_DAILY_TOKEN_BUDGET', 'ACCOUNT_DAILY_TOKEN_BUDGET', 'LIMIT_EXEMPT_OPENIDS', 'RATE_LIMIT_MESSAGE',
  'TOKEN_BUDGET_MESSAGE', 'USAGE_RETENTION_DAYS',
  'HANDOFF_KEYWORDS', 'HANDOFF_TIMEOUT',
  'CONTENT_FILTER_FILE', 'CONTENT_BLOCKED_MESSAGE', 'MODERATION_URL', 'MODERATION_API_KEY', 'MODERATION_MODEL', 'MODERATION_TIMEOUT',
  'MODERATION_ON_ERROR',
  'HOST', 'PORT', 'PUBLIC_BASE_URL', 'ADMIN_TOKEN', 'SIMULATOR_ENABLED', 'SHUTDOWN_TIMEOUT', 'JOB_CONCURRENCY', 'JOB_TAKEOVER_AFTER', 'TOKEN_FILE_PATH',
  'REDIS_URL', 'REDIS_PREFIX',
  'LOG_LEVEL', 'LOG_DIR', 'LOG_FILE_SIZE', 'LOG_BACKUP_COUNT',
] as const;

/** Variables whose values never appear in a problem line. `REDIS_URL` may carry a password. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'WECHAT_TOKEN', 'WECHAT_AES_KEY', 'WECHAT_APPSECRET', 'EXTERNAL_SERVICE_API_KEY', 'ADMIN_TOKEN', 'REDIS_URL',
  'MODERATION_API_KEY',
]);

/** Any of these set means "a real account is configured": demo mode is off. */
const CREDENTIAL_VARIABLES = ['WECHAT_TOKEN', 'WECHAT_APPID', 'WECHAT_AES_KEY', 'WECHAT_APPSECRET'] as const;

export const DEFAULTS = {
  wechatPath: '/wechat',
  wechatApiBase: 'https://api.weixin.qq.com',
  timestampToleranceSeconds: 300,
  bodyLimitBytes: 1024 * 1024,
  agentTimeoutSeconds: 600,
  breakerThreshold: 5,
  breakerCooldownSeconds: 30,
  agentTimeoutMessage: '请求处理超时，请稍后再试',
  agentErrorMessage: '服务暂时不可用，请稍后重试',
  replyMode: 'auto' as ReplyMode,
  passiveWindowMs: 4500,
  pickupKeyword: '继续',
  dedupTtlSeconds: 60,
  contextMaxTurns: 10,
  contextTtlSeconds: 3600,
  rateLimitMessage: '你的提问太频繁了，请稍后再试。',
  tokenBudgetMessage: '今天的提问额度已经用完了，请明天再来。',
  usageRetentionDays: 90,
  handoffKeywords: ['人工', '转人工', '人工客服'] as readonly string[],
  handoffTimeoutSeconds: 1800,
  contentBlockedMessage: '抱歉，这个问题我无法回答。',
  moderationTimeoutSeconds: 5,
  moderationOnError: 'allow' as 'allow' | 'block',
  host: '0.0.0.0',
  port: 5080,
  shutdownTimeoutSeconds: 10,
  jobConcurrency: 50,
  jobTakeoverAfterSeconds: 10,
  tokenFilePath: './data/access_token.json',
  logLevel: 'info' as LogLevel,
  logDir: './logs',
  logFileSizeBytes: 100 * 1024 ** 2,
  logBackupCount: 10,
} as const;

const AGENT_TYPES = ['default', 'openai', 'ollama', 'dify', 'custom', 'echo'] as const satisfies readonly AgentType[];
const REPLY_MODES = ['auto', 'passive', 'customer_service'] as const satisfies readonly ReplyMode[];

/** The original service's level names (Python logging) and pino's own, case-insensitive. */
const LOG_LEVEL_NAMES: Record<string, LogLevel> = {
  debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error', critical: 'fatal',
  trace: 'trace', fatal: 'fatal', silent: 'silent',
};
const logLevelRule: VariableRule<LogLevel> = {
  schema: z.string().transform((value) => value.toLowerCase())
    .pipe(z.enum(Object.keys(LOG_LEVEL_NAMES) as [string, ...string[]]))
    .transform((name) => LOG_LEVEL_NAMES[name] ?? DEFAULTS.logLevel),
  expected: 'one of DEBUG, INFO, WARNING, ERROR, CRITICAL (or a pino level: trace, debug, info, warn, error, fatal, silent)',
};

const textRule: VariableRule<string> = { schema: z.string(), expected: 'text' };
const aesKeyRule: VariableRule<string> = {
  schema: z.string().regex(/^[A-Za-z0-9]{43}$/),
  expected: 'exactly 43 letters and digits (the EncodingAESKey from the WeChat console)',
};
/** WeChat gives up after 5 s; the rest of the window is left for the network. */
const MAX_PASSIVE_WINDOW_MS = 4900;
const MIN_DEDUP_TTL_SECONDS = 30;

export interface LoadConfigOptions {
  /** Folder that relative paths and `.env` are taken from (default: `process.cwd()`). */
  cwd?: string;
  /** `.env` file to load (relative to `cwd`; must exist), or `false` for none. Default: `.env` if present. */
  envFile?: string | false;
}

/** Parses the `.env` file; a missing default `.env` is normal, a missing explicit one is a problem. */
function readEnvFile(cwd: string, envFile: string | false | undefined, problems: string[]): Record<string, string> {
  if (envFile === false) return {};
  const file = path.resolve(cwd, envFile ?? '.env');
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (envFile !== undefined || code !== 'ENOENT') problems.push(`${file}: cannot read this env file (${code})`);
    return {};
  }
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(parseEnv(content))) {
    if (value !== undefined) values[name] = value;
  }
  return values;
}

/** Problems in the order of `CONFIG_VARIABLE_NAMES` (the order of `.env.example`), so the report reads like the file. */
function sortByVariable(problems: string[]): string[] {
  const position = (problem: string): number => {
    const index = (CONFIG_VARIABLE_NAMES as readonly string[]).indexOf(problem.slice(0, problem.indexOf(':')));
    return index === -1 ? CONFIG_VARIABLE_NAMES.length : index;
  };
  return [...problems].sort((first, second) => position(first) - position(second));
}

export function loadConfig(env: Record<string, string | undefined>, options: LoadConfigOptions = {}): AppConfig {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const fileProblems: string[] = [];
  const merged: Record<string, string | undefined> = { ...readEnvFile(cwd, options.envFile, fileProblems) };
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined) merged[name] = value;
  }
  const reader = new EnvironmentReader(merged, SECRET_VARIABLES);
  const text = (name: string): string | undefined => reader.readOptional(name, textRule);

  // ---- WeChat account ----
  const configuredCredentials = CREDENTIAL_VARIABLES.filter((name) => reader.isSet(name));
  const demo = configuredCredentials.length === 0;
  let token = text('WECHAT_TOKEN');
  let appId = reader.readOptional('WECHAT_APPID', identifierRule);
  let aesKey = reader.readOptional('WECHAT_AES_KEY', aesKeyRule);
  const appSecret = text('WECHAT_APPSECRET');
  if (!demo) {
    if (!reader.isSet('WECHAT_TOKEN')) {
      const given = `${configuredCredentials.join(' and ')} ${configuredCredentials.length === 1 ? 'is' : 'are'} set`;
      reader.addProblem('WECHAT_TOKEN', `required when ${given} (the token from the WeChat console that every callback is signed with); unset all WECHAT_* credentials to run in demo mode`);
    }
    if (reader.isSet('WECHAT_AES_KEY') && !reader.isSet('WECHAT_APPID')) {
      reader.addProblem('WECHAT_AES_KEY', 'requires WECHAT_APPID (every encrypted message carries the AppID and is checked against it)');
    }
    if (reader.isSet('WECHAT_APPSECRET') && !reader.isSet('WECHAT_APPID')) {
      reader.addProblem('WECHAT_APPSECRET', 'requires WECHAT_APPID (access tokens are requested for an AppID with its AppSecret)');
    }
  }
  const allowPlaintext = reader.read('WECHAT_ALLOW_PLAINTEXT', booleanRule, false);

  // ---- AI service ----
  const explicitAgentType = reader.readOptional('EXTERNAL_SERVICE_TYPE', choiceRule(AGENT_TYPES));
  const agentType: AgentType = explicitAgentType ?? (demo ? 'echo' : 'default');
  const customModule = text('CUSTOM_SERVICE_MODULE')?.trim();
  if (agentType === 'custom' && customModule === undefined) {
    reader.addProblem('CUSTOM_SERVICE_MODULE', 'required when EXTERNAL_SERVICE_TYPE=custom (path of the module that exports the agent)');
  }

  // ---- files ----
  const tokenFilePath = path.resolve(cwd, text('TOKEN_FILE_PATH')?.trim() ?? DEFAULTS.tokenFilePath);
  // Unlike other variables, an explicitly empty LOG_DIR means something: console only.
  const logDirValue = reader.readRaw('LOG_DIR');
  const logDir = logDirValue === undefined ? path.resolve(cwd, DEFAULTS.logDir) : logDirValue.trim() === '' ? '' : path.resolve(cwd, logDirValue.trim());
  // The menu is read here, not when the router is built, so a bad menu is one more configuration problem.
  const menuFileValue = text('MENU_FILE')?.trim();
  const menuFile = menuFileValue === undefined ? undefined : path.resolve(cwd, menuFileValue);
  let menu: MenuDefinition | undefined;
  if (menuFile !== undefined) {
    try {
      menu = loadMenuFile(menuFile);
    } catch (error) {
      if (!(error instanceof MenuFileError)) throw error;
      for (const problem of error.problems) reader.addProblem('MENU_FILE', `${menuFile}: ${problem}`);
    }
  }
  // The keyword lists too: a missing or broken file stops start-up (later, a broken edit keeps the last good lists).
  const contentFilterValue = text('CONTENT_FILTER_FILE')?.trim();
  const contentFilterFile = contentFilterValue === undefined ? undefined : path.resolve(cwd, contentFilterValue);
  let contentRules: ContentRules | undefined;
  if (contentFilterFile !== undefined) {
    try {
      contentRules = loadContentFilterFile(contentFilterFile);
    } catch (error) {
      if (!(error instanceof ContentFilterFileError)) throw error;
      for (const problem of error.problems) reader.addProblem('CONTENT_FILTER_FILE', `${contentFilterFile}: ${problem}`);
    }
  }
  const moderationUrl = reader.readOptional('MODERATION_URL', httpUrlRule);
  const moderationApiKey = text('MODERATION_API_KEY')?.trim();
  const moderationModel = text('MODERATION_MODEL')?.trim();
  const moderationTimeoutSeconds = reader.read('MODERATION_TIMEOUT', numberRule({ positive: true }), DEFAULTS.moderationTimeoutSeconds);
  const moderationOnError = reader.read('MODERATION_ON_ERROR', choiceRule(['allow', 'block'] as const), DEFAULTS.moderationOnError);

  const partial = {
    wechat: {
      path: reader.read('WECHAT_PATH', routePathRule, DEFAULTS.wechatPath),
      apiBase: reader.read('WECHAT_API_BASE', httpUrlRule, DEFAULTS.wechatApiBase),
      timestampToleranceSeconds: reader.read('WECHAT_TIMESTAMP_TOLERANCE', numberRule({ positive: false }), DEFAULTS.timestampToleranceSeconds),
      bodyLimitBytes: reader.read('WECHAT_BODY_LIMIT', sizeRule(1024, '1K'), DEFAULTS.bodyLimitBytes),
    },
    agent: {
      type: agentType,
      url: reader.readOptional('EXTERNAL_SERVICE_URL', httpUrlRule),
      timeoutSeconds: reader.read('EXTERNAL_SERVICE_TIMEOUT', numberRule({ positive: true }), DEFAULTS.agentTimeoutSeconds),
      breakerThreshold: reader.read('EXTERNAL_SERVICE_BREAKER_THRESHOLD', integerRule(1), DEFAULTS.breakerThreshold),
      breakerCooldownSeconds: reader.read('EXTERNAL_SERVICE_BREAKER_COOLDOWN', numberRule({ positive: true }), DEFAULTS.breakerCooldownSeconds),
      timeoutMessage: text('EXTERNAL_SERVICE_TIMEOUT_MSG')?.trim() ?? DEFAULTS.agentTimeoutMessage,
      errorMessage: text('EXTERNAL_SERVICE_ERROR_MSG')?.trim() ?? DEFAULTS.agentErrorMessage,
      apiKey: text('EXTERNAL_SERVICE_API_KEY')?.trim(),
      model: text('EXTERNAL_SERVICE_MODEL')?.trim(),
      systemPrompt: text('SYSTEM_PROMPT'),
      customModule,
      toolsModule: text('TOOLS_MODULE')?.trim() || undefined,
      voiceReply: reader.read('VOICE_REPLY', booleanRule, false),
    },
    reply: {
      mode: reader.read('REPLY_MODE', choiceRule(REPLY_MODES), DEFAULTS.replyMode),
      passiveWindowMs: reader.read('PASSIVE_WINDOW_MS', integerRule(0, MAX_PASSIVE_WINDOW_MS), DEFAULTS.passiveWindowMs),
      pickupKeyword: text('PICKUP_KEYWORD')?.trim() ?? DEFAULTS.pickupKeyword,
      welcomeMessage: text('WELCOME_MESSAGE')?.trim() ?? '',
    },
    log: {
      level: reader.read('LOG_LEVEL', logLevelRule, DEFAULTS.logLevel),
      dir: logDir,
      fileSizeBytes: reader.read('LOG_FILE_SIZE', sizeRule(1024, '1K'), DEFAULTS.logFileSizeBytes),
      backupCount: reader.read('LOG_BACKUP_COUNT', integerRule(0), DEFAULTS.logBackupCount),
    },
    limits: {
      ratePerMinute: reader.read('RATE_LIMIT_PER_MINUTE', integerRule(0), 0),
      userDailyTokenBudget: reader.read('USER_DAILY_TOKEN_BUDGET', integerRule(0), 0),
      accountDailyTokenBudget: reader.read('ACCOUNT_DAILY_TOKEN_BUDGET', integerRule(0), 0),
      exemptOpenIds: (text('LIMIT_EXEMPT_OPENIDS') ?? '').split(',').map((openId) => openId.trim()).filter((openId) => openId !== ''),
      rateMessage: text('RATE_LIMIT_MESSAGE')?.trim() ?? DEFAULTS.rateLimitMessage,
      budgetMessage: text('TOKEN_BUDGET_MESSAGE')?.trim() ?? DEFAULTS.tokenBudgetMessage,
    },
    usageRetentionDays: reader.read('USAGE_RETENTION_DAYS', integerRule(1, 3650), DEFAULTS.usageRetentionDays),
    handoff: {
      // Unlike most variables, an explicitly empty HANDOFF_KEYWORDS means something: hand-off off.
      keywords: handoffKeywords(reader.readRaw('HANDOFF_KEYWORDS')),
      timeoutSeconds: reader.read('HANDOFF_TIMEOUT', integerRule(1, 7 * 24 * 3600), DEFAULTS.handoffTimeoutSeconds),
    },
    contentSafety: {
      ...(contentFilterFile !== undefined && contentRules !== undefined ? { filter: { file: contentFilterFile, rules: contentRules } } : {}),
      blockedMessage: text('CONTENT_BLOCKED_MESSAGE')?.trim() ?? DEFAULTS.contentBlockedMessage,
      ...(moderationUrl === undefined
        ? {}
        : {
            moderation: {
              url: moderationUrl,
              ...(moderationApiKey ? { apiKey: moderationApiKey } : {}),
              ...(moderationModel ? { model: moderationModel } : {}),
              timeoutSeconds: moderationTimeoutSeconds,
              onError: moderationOnError,
            },
          }),
    },
    host: text('HOST')?.trim() ?? DEFAULTS.host,
    // 0 = any free port (tests, several instances on one host); the bound port is logged at start-up.
    port: reader.read('PORT', integerRule(0, 65535), DEFAULTS.port),
    publicBaseUrl: reader.readOptional('PUBLIC_BASE_URL', httpUrlRule),
    adminToken: text('ADMIN_TOKEN')?.trim(),
    redisUrl: reader.readOptional('REDIS_URL', redisUrlRule),
    tokenFilePath,
    dedupTtlSeconds: reader.read('DEDUP_TTL', integerRule(MIN_DEDUP_TTL_SECONDS), DEFAULTS.dedupTtlSeconds),
    contextMaxTurns: reader.read('CONTEXT_MAX_TURNS', integerRule(0), DEFAULTS.contextMaxTurns),
    contextTtlSeconds: reader.read('CONTEXT_TTL', integerRule(1), DEFAULTS.contextTtlSeconds),
    simulatorEnabled: reader.read('SIMULATOR_ENABLED', booleanRule, false),
    shutdownTimeoutSeconds: reader.read('SHUTDOWN_TIMEOUT', numberRule({ positive: false }), DEFAULTS.shutdownTimeoutSeconds),
    jobConcurrency: reader.read('JOB_CONCURRENCY', integerRule(1, 10_000), DEFAULTS.jobConcurrency),
    jobTakeoverAfterSeconds: reader.read('JOB_TAKEOVER_AFTER', integerRule(1, 3_600), DEFAULTS.jobTakeoverAfterSeconds),
  };

  const problems = [...fileProblems, ...sortByVariable(reader.problems)];
  // Credentials are generated only for a configuration that is otherwise valid: no stray files on a failed start.
  if (demo && problems.length === 0) {
    try {
      ({ token, appId, aesKey } = loadOrCreateDemoCredentials(tokenFilePath));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      problems.push(`TOKEN_FILE_PATH: cannot store demo credentials in ${demoCredentialsPath(tokenFilePath)} (${code}); point TOKEN_FILE_PATH to a writable folder`);
    }
  }
  if (problems.length > 0 || token === undefined) throw new ConfigError(problems);
  const resolvedAppId = appId ?? '';

  return {
    ...partial,
    demo,
    wechat: { ...partial.wechat, token, appId: resolvedAppId, aesKey, appSecret, allowPlaintext: demo || allowPlaintext },
    redisPrefix: text('REDIS_PREFIX')?.trim() ?? `wx:${resolvedAppId}:`,
    ...(menuFile === undefined || menu === undefined ? {} : { menuFile, menu }),
  };
}

/** `HANDOFF_KEYWORDS`: unset = the defaults; else the comma-separated words (`,` or `，`), trimmed; empty = none. */
function handoffKeywords(value: string | undefined): string[] {
  if (value === undefined) return [...DEFAULTS.handoffKeywords];
  return value.split(/[,，]/).map((keyword) => keyword.trim()).filter((keyword) => keyword !== '');
}

/** Creates the folders named by `TOKEN_FILE_PATH` and `LOG_DIR` when missing; problems are reported as a `ConfigError`. */
export function ensureDirectories(config: AppConfig): void {
  const problems: string[] = [];
  const folders: [string, string][] = [['TOKEN_FILE_PATH', path.dirname(config.tokenFilePath)]];
  if (config.log.dir !== '') folders.push(['LOG_DIR', config.log.dir]);
  for (const [name, folder] of folders) {
    try {
      mkdirSync(folder, { recursive: true });
    } catch (error) {
      problems.push(`${name}: cannot create the folder ${folder} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

/** The text printed to stderr for an invalid configuration: a heading, then one indented line per problem. */
export function formatConfigProblems(error: ConfigError): string {
  const count = error.problems.length;
  return [
    `wx-backend: invalid configuration (${count} ${count === 1 ? 'problem' : 'problems'}; see .env.example):`,
    ...error.problems.map((problem) => `  ${problem}`),
  ].join('\n');
}
