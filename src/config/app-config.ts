/**
 * The validated configuration the whole application runs on. Produced once at start-up by `loadConfig`
 * (the only reader of `process.env`); everything else receives it (or a part of it) as an argument.
 * Environment names are in the README's configuration table and `.env.example`.
 */
import type { MenuDefinition } from '../conversation/menu/wechat-menu.js';
import type { ContentRules } from '../guard/safety/content-filter-file.js';

export type AgentType = 'default' | 'openai' | 'ollama' | 'dify' | 'custom' | 'echo';
export type ReplyMode = 'auto' | 'passive' | 'customer_service';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface WeChatConfig {
  /** `WECHAT_TOKEN`: secret for `signature` / `msg_signature`. */
  token: string;
  /** `WECHAT_AES_KEY`: 43-character EncodingAESKey; absent = plaintext only. */
  aesKey?: string;
  /** `WECHAT_APPID`. */
  appId: string;
  /** `WECHAT_APPSECRET`. */
  appSecret?: string;
  /** `WECHAT_PATH` (default `/wechat`). */
  path: string;
  /** `WECHAT_API_BASE` (default `https://api.weixin.qq.com`), without a trailing slash. */
  apiBase: string;
  /** `WECHAT_ALLOW_PLAINTEXT`: accept plaintext POSTs although `aesKey` is set. */
  allowPlaintext: boolean;
  /** `WECHAT_TIMESTAMP_TOLERANCE` (default 300): accepted clock difference, seconds. */
  timestampToleranceSeconds: number;
  /** `WECHAT_BODY_LIMIT` (default 1 MB): largest accepted callback body, bytes. */
  bodyLimitBytes: number;
}

export interface AgentConfig {
  /** `EXTERNAL_SERVICE_TYPE`. */
  type: AgentType;
  /** `EXTERNAL_SERVICE_URL`. */
  url?: string;
  /** `EXTERNAL_SERVICE_TIMEOUT` (default 600), seconds. */
  timeoutSeconds: number;
  /** `EXTERNAL_SERVICE_BREAKER_THRESHOLD` (default 5): failed calls in a row that open the circuit breaker (always set by `loadConfig`). */
  breakerThreshold?: number;
  /** `EXTERNAL_SERVICE_BREAKER_COOLDOWN` (default 30), seconds the circuit stays open before one probe call. */
  breakerCooldownSeconds?: number;
  /** `EXTERNAL_SERVICE_TIMEOUT_MSG`. */
  timeoutMessage: string;
  /** `EXTERNAL_SERVICE_ERROR_MSG`. */
  errorMessage: string;
  /** `EXTERNAL_SERVICE_API_KEY`. */
  apiKey?: string;
  /** `EXTERNAL_SERVICE_MODEL`. */
  model?: string;
  /** `SYSTEM_PROMPT`. */
  systemPrompt?: string;
  /** `CUSTOM_SERVICE_MODULE`. */
  customModule?: string;
  /** `TOOLS_MODULE`: a module exporting extra tools for models that call tools. */
  toolsModule?: string | undefined;
  /** `VOICE_REPLY`: answer a voice message with a spoken answer too (services with text-to-speech). */
  voiceReply?: boolean;
}

export interface ReplyConfig {
  /** `REPLY_MODE` (default `auto`). */
  mode: ReplyMode;
  /** `PASSIVE_WINDOW_MS` (default 4500). */
  passiveWindowMs: number;
  /** `PICKUP_KEYWORD` (default `继续`). */
  pickupKeyword: string;
  /** `WELCOME_MESSAGE`: sent on subscribe; empty = none. */
  welcomeMessage: string;
}

/**
 * Limits checked before the model is called (guard/limits/): over one, the user gets the message and no model call.
 * A limit of 0 is off; all are off by default.
 */
export interface LimitsConfig {
  /** `RATE_LIMIT_PER_MINUTE` (default 0 = off): messages one user may have answered by the AI per minute. */
  ratePerMinute: number;
  /** `USER_DAILY_TOKEN_BUDGET` (default 0 = off): tokens (in + out) one user may spend per day (Asia/Shanghai). */
  userDailyTokenBudget: number;
  /** `ACCOUNT_DAILY_TOKEN_BUDGET` (default 0 = off): tokens the whole account may spend per day (Asia/Shanghai). */
  accountDailyTokenBudget: number;
  /** `LIMIT_EXEMPT_OPENIDS`: users no limit applies to (their usage is still counted). */
  exemptOpenIds: string[];
  /** `RATE_LIMIT_MESSAGE`: the answer to a message over the rate limit. */
  rateMessage: string;
  /** `TOKEN_BUDGET_MESSAGE`: the answer to a message once a daily token budget is spent. */
  budgetMessage: string;
}

/** Hand-off to people (guard/handoff/): a keyword passes the user to the account's customer-service staff. */
export interface HandoffConfig {
  /** `HANDOFF_KEYWORDS` (default `人工,转人工,人工客服`): texts that hand the user off; empty = hand-off off. */
  keywords: string[];
  /** `HANDOFF_TIMEOUT` (default 1800): seconds the AI stays silent for a handed-off user unless the staff session closes first. */
  timeoutSeconds: number;
}

/** Content safety (guard/safety/): keyword lists for messages and answers, and moderation of answers. */
export interface ContentSafetyConfig {
  /** `CONTENT_FILTER_FILE` (absolute) and the lists read from it at start-up; absent = no keyword lists. */
  filter?: { file: string; rules: ContentRules };
  /** `CONTENT_BLOCKED_MESSAGE`: what the user gets instead of a blocked question's answer, or after a blocked answer's clean part. */
  blockedMessage: string;
  /** `MODERATION_URL` and its companions; absent = answers are not moderated. */
  moderation?: {
    /** `MODERATION_URL`: an OpenAI-compatible `/v1/moderations` endpoint (or its base URL). */
    url: string;
    /** `MODERATION_API_KEY`. */
    apiKey?: string;
    /** `MODERATION_MODEL`: the service's default without it. */
    model?: string;
    /** `MODERATION_TIMEOUT` (default 5), seconds one check may take. */
    timeoutSeconds: number;
    /** `MODERATION_ON_ERROR` (default `allow`): what a failed check means for the text. */
    onError: 'allow' | 'block';
  };
}

export interface LogConfig {
  /** `LOG_LEVEL`, normalised to pino's names. */
  level: LogLevel;
  /** `LOG_DIR` (default `./logs`); '' = console only. */
  dir: string;
  /** `LOG_FILE_SIZE` (default `100M`), bytes. */
  fileSizeBytes: number;
  /** `LOG_BACKUP_COUNT` (default 10). */
  backupCount: number;
}

export interface AppConfig {
  /** True when no WeChat credentials were configured and generated demo credentials are in use. */
  demo: boolean;
  wechat: WeChatConfig;
  agent: AgentConfig;
  reply: ReplyConfig;
  log: LogConfig;
  /** `HOST` (default `0.0.0.0`). */
  host: string;
  /** `PORT` (default 5080). */
  port: number;
  /** `PUBLIC_BASE_URL`, without a trailing slash. */
  publicBaseUrl?: string;
  /** `ADMIN_TOKEN`: guards `/admin/api/*`, `/metrics` and `/dashboard`. */
  adminToken?: string;
  /** `REDIS_URL`: shared state across instances when set. */
  redisUrl?: string;
  /** `REDIS_PREFIX` (default `wx:{appid}:`). */
  redisPrefix: string;
  /** `TOKEN_FILE_PATH` (default `./data/access_token.json`). */
  tokenFilePath: string;
  /** `DEDUP_TTL` (default 60, at least 30): how long an answered message is remembered, seconds. */
  dedupTtlSeconds: number;
  /** `CONTEXT_MAX_TURNS` (default 10). */
  contextMaxTurns: number;
  /** `CONTEXT_TTL` (default 3600), seconds. */
  contextTtlSeconds: number;
  /** `SIMULATOR_ENABLED`: serve `/simulator` outside demo mode too. */
  simulatorEnabled: boolean;
  /** `SHUTDOWN_TIMEOUT` (default 10): seconds to finish in-flight work on SIGTERM before exiting. */
  shutdownTimeoutSeconds: number;
  /** `JOB_CONCURRENCY` (default 50): answer jobs (model call and delivery) one instance runs at once; more wait in the queue. */
  jobConcurrency: number;
  /**
   * `JOB_TAKEOVER_AFTER` (default 10, Redis only): seconds after which a job whose instance stopped renewing its lock
   * (killed, hung) is taken over by another instance; checked every half of it.
   */
  jobTakeoverAfterSeconds: number;
  limits: LimitsConfig;
  /** `USAGE_RETENTION_DAYS` (default 90): days token usage is kept per day, user and model. */
  usageRetentionDays: number;
  handoff: HandoffConfig;
  contentSafety: ContentSafetyConfig;
  /** `MENU_FILE`, resolved to an absolute path. */
  menuFile?: string;
  /** The menu in `MENU_FILE` and its click actions, read and validated at start-up (absent without `MENU_FILE`). */
  menu?: MenuDefinition;
}

/** Values that must never be printed, logged or returned: every configured secret. */
export function secretValues(config: AppConfig): string[] {
  const values = [config.wechat.token, config.wechat.aesKey, config.wechat.appSecret, config.agent.apiKey, config.adminToken, config.contentSafety.moderation?.apiKey];
  return values.filter((value): value is string => typeof value === 'string' && value.length >= 3);
}
