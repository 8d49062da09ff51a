import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { ConfigError } from '../../src/config/config-error.js';
import { DEMO_CREDENTIALS_FILE_NAME } from '../../src/config/demo-credentials.js';
import {
  CONFIG_VARIABLE_NAMES, ensureDirectories, formatConfigProblems, loadConfig,
} from '../../src/config/load-config.js';

const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const REAL_ACCOUNT = { WECHAT_TOKEN: 'realtoken123', WECHAT_APPID: 'wx1234567890abcdef' };

const temporaryFolders: string[] = [];
function makeFolder(): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'wx-config-'));
  temporaryFolders.push(folder);
  return folder;
}
afterEach(() => {
  for (const folder of temporaryFolders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** Loads with a fresh working directory and no `.env`, returning the problems (or [] when valid). */
function problemsFor(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env, { cwd: makeFolder(), envFile: false });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

function load(env: Record<string, string | undefined>, cwd = makeFolder()) {
  return loadConfig(env, { cwd, envFile: false });
}

describe('loadConfig defaults', () => {
  it('fills every default for a minimal real account', () => {
    const cwd = makeFolder();
    const config = load(REAL_ACCOUNT, cwd);
    assert.equal(config.demo, false);
    assert.deepEqual(config.wechat, {
      token: 'realtoken123', appId: 'wx1234567890abcdef', aesKey: undefined, appSecret: undefined, path: '/wechat',
      apiBase: 'https://api.weixin.qq.com', allowPlaintext: false, timestampToleranceSeconds: 300, bodyLimitBytes: 1048576,
    });
    assert.deepEqual(config.agent, {
      type: 'default', url: undefined, timeoutSeconds: 600, breakerThreshold: 5, breakerCooldownSeconds: 30, timeoutMessage: '请求处理超时，请稍后再试',
      errorMessage: '服务暂时不可用，请稍后重试', apiKey: undefined, model: undefined, systemPrompt: undefined, customModule: undefined,
      toolsModule: undefined, voiceReply: false,
    });
    assert.deepEqual(config.reply, { mode: 'auto', passiveWindowMs: 4500, pickupKeyword: '继续', welcomeMessage: '' });
    assert.deepEqual(config.log, { level: 'info', dir: path.join(cwd, 'logs'), fileSizeBytes: 100 * 1024 * 1024, backupCount: 10 });
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 5080);
    assert.equal(config.publicBaseUrl, undefined);
    assert.equal(config.adminToken, undefined);
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.redisPrefix, 'wx:wx1234567890abcdef:');
    assert.equal(config.tokenFilePath, path.join(cwd, 'data', 'access_token.json'));
    assert.equal(config.dedupTtlSeconds, 60);
    assert.equal(config.contextMaxTurns, 10);
    assert.equal(config.contextTtlSeconds, 3600);
    assert.equal(config.simulatorEnabled, false);
    assert.equal(config.shutdownTimeoutSeconds, 10);
  });

  it('treats empty and whitespace-only values as unset', () => {
    const config = load({ ...REAL_ACCOUNT, PORT: '', LOG_LEVEL: '  ', EXTERNAL_SERVICE_URL: '', WECHAT_AES_KEY: '', PICKUP_KEYWORD: '' });
    assert.equal(config.port, 5080);
    assert.equal(config.log.level, 'info');
    assert.equal(config.agent.url, undefined);
    assert.equal(config.wechat.aesKey, undefined);
    assert.equal(config.reply.pickupKeyword, '继续');
  });

  it('reads every variable', () => {
    const cwd = makeFolder();
    const config = load({
      ...REAL_ACCOUNT, WECHAT_AES_KEY: AES_KEY, WECHAT_APPSECRET: 'appsecret-value', WECHAT_PATH: '/wx/callback/',
      WECHAT_API_BASE: 'http://127.0.0.1:9000/', WECHAT_ALLOW_PLAINTEXT: 'YES', WECHAT_TIMESTAMP_TOLERANCE: '2.5',
      WECHAT_BODY_LIMIT: '64K', EXTERNAL_SERVICE_TYPE: 'OpenAI', EXTERNAL_SERVICE_URL: 'https://api.example.com/v1/',
      EXTERNAL_SERVICE_API_KEY: 'sk-test', EXTERNAL_SERVICE_MODEL: 'gpt-x', EXTERNAL_SERVICE_TIMEOUT: '30',
      EXTERNAL_SERVICE_TIMEOUT_MSG: 'slow', EXTERNAL_SERVICE_ERROR_MSG: 'broken', SYSTEM_PROMPT: 'Be brief.',
      EXTERNAL_SERVICE_BREAKER_THRESHOLD: '3', EXTERNAL_SERVICE_BREAKER_COOLDOWN: '1.5', CONTEXT_MAX_TURNS: '0', CONTEXT_TTL: '120', REPLY_MODE: 'customer-service', PASSIVE_WINDOW_MS: '4900',
      PICKUP_KEYWORD: 'more', WELCOME_MESSAGE: 'hi', DEDUP_TTL: '30', HOST: '127.0.0.1', PORT: '8080',
      PUBLIC_BASE_URL: 'https://bot.example.com/', ADMIN_TOKEN: 'admin-token-value', SIMULATOR_ENABLED: '1',
      SHUTDOWN_TIMEOUT: '2.5', TOKEN_FILE_PATH: 'state/token.json', REDIS_URL: 'redis://:pw@localhost:6379/1',
      REDIS_PREFIX: 'test:1:', LOG_LEVEL: 'warning', LOG_DIR: 'var/log', LOG_FILE_SIZE: '512K', LOG_BACKUP_COUNT: '0',
    }, cwd);
    assert.deepEqual(config.wechat, {
      token: 'realtoken123', appId: 'wx1234567890abcdef', aesKey: AES_KEY, appSecret: 'appsecret-value', path: '/wx/callback',
      apiBase: 'http://127.0.0.1:9000', allowPlaintext: true, timestampToleranceSeconds: 2.5, bodyLimitBytes: 65536,
    });
    assert.deepEqual(config.agent, {
      type: 'openai', url: 'https://api.example.com/v1', timeoutSeconds: 30, breakerThreshold: 3, breakerCooldownSeconds: 1.5,
      timeoutMessage: 'slow', errorMessage: 'broken', apiKey: 'sk-test', model: 'gpt-x', systemPrompt: 'Be brief.', customModule: undefined,
      toolsModule: undefined, voiceReply: false,
    });
    assert.deepEqual(config.reply, { mode: 'customer_service', passiveWindowMs: 4900, pickupKeyword: 'more', welcomeMessage: 'hi' });
    assert.deepEqual(config.log, { level: 'warn', dir: path.join(cwd, 'var', 'log'), fileSizeBytes: 512 * 1024, backupCount: 0 });
    assert.equal(config.contextMaxTurns, 0);
    assert.equal(config.contextTtlSeconds, 120);
    assert.equal(config.dedupTtlSeconds, 30);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.publicBaseUrl, 'https://bot.example.com');
    assert.equal(config.adminToken, 'admin-token-value');
    assert.equal(config.simulatorEnabled, true);
    assert.equal(config.shutdownTimeoutSeconds, 2.5);
    assert.equal(config.tokenFilePath, path.join(cwd, 'state', 'token.json'));
    assert.equal(config.redisUrl, 'redis://:pw@localhost:6379/1');
    assert.equal(config.redisPrefix, 'test:1:');
  });

  it('maps the original LOG_LEVEL names and pino names, case-insensitively', () => {
    const cases: [string, string][] = [
      ['DEBUG', 'debug'], ['info', 'info'], ['WARNING', 'warn'], ['Warn', 'warn'], ['ERROR', 'error'], ['CRITICAL', 'fatal'],
      ['trace', 'trace'], ['fatal', 'fatal'], ['silent', 'silent'],
    ];
    for (const [given, expected] of cases) assert.equal(load({ ...REAL_ACCOUNT, LOG_LEVEL: given }).log.level, expected, given);
  });

  it('accepts true/false/1/0/yes/no for booleans', () => {
    for (const [given, expected] of [['true', true], ['FALSE', false], ['1', true], ['0', false], ['Yes', true], ['no', false]] as const) {
      assert.equal(load({ ...REAL_ACCOUNT, SIMULATOR_ENABLED: given }).simulatorEnabled, expected, given);
    }
  });

  it('reads sizes as bytes or with K/M/G', () => {
    const cases: [string, number][] = [['1048576', 1048576], ['100M', 100 * 1024 ** 2], ['512k', 524288], ['1G', 1024 ** 3], ['2KB', 2048], ['1.5M', 1572864]];
    for (const [given, expected] of cases) assert.equal(load({ ...REAL_ACCOUNT, LOG_FILE_SIZE: given }).log.fileSizeBytes, expected, given);
    assert.equal(load({ ...REAL_ACCOUNT, WECHAT_BODY_LIMIT: '2M' }).wechat.bodyLimitBytes, 2 * 1024 ** 2);
  });

  it('turns file logging off with an explicitly empty LOG_DIR', () => {
    assert.equal(load({ ...REAL_ACCOUNT, LOG_DIR: '' }).log.dir, '');
  });

  it('allows default and dify without a URL (the agent decides later)', () => {
    assert.equal(load({ ...REAL_ACCOUNT, EXTERNAL_SERVICE_TYPE: 'default' }).agent.url, undefined);
    assert.equal(load({ ...REAL_ACCOUNT, EXTERNAL_SERVICE_TYPE: 'dify' }).agent.type, 'dify');
  });

  it('accepts a token without an AppID (plaintext callbacks only)', () => {
    const config = load({ WECHAT_TOKEN: 'onlytoken' });
    assert.equal(config.demo, false);
    assert.equal(config.wechat.appId, '');
  });
});

describe('loadConfig problems', () => {
  it('collects every problem in one error, one line per problem naming the variable', () => {
    const problems = problemsFor({
      WECHAT_APPID: 'wx1234567890abcdef', WECHAT_AES_KEY: 'tooshort', PORT: 'abc', HOST: 'localhost',
      WECHAT_PATH: 'wechat', WECHAT_API_BASE: 'ftp://example.com', WECHAT_ALLOW_PLAINTEXT: 'maybe',
      WECHAT_TIMESTAMP_TOLERANCE: '-1', WECHAT_BODY_LIMIT: '1 lot', EXTERNAL_SERVICE_TYPE: 'gpt',
      EXTERNAL_SERVICE_URL: 'not a url', EXTERNAL_SERVICE_TIMEOUT: '0', EXTERNAL_SERVICE_BREAKER_THRESHOLD: '0',
      EXTERNAL_SERVICE_BREAKER_COOLDOWN: '-1', CONTEXT_MAX_TURNS: '1.5', CONTEXT_TTL: '0',
      REPLY_MODE: 'sometimes', PASSIVE_WINDOW_MS: '5000', DEDUP_TTL: '29', PUBLIC_BASE_URL: 'bot.example.com',
      SIMULATOR_ENABLED: 'on', SHUTDOWN_TIMEOUT: 'soon', REDIS_URL: 'http://localhost', LOG_LEVEL: 'verbose',
      LOG_FILE_SIZE: '100X', LOG_BACKUP_COUNT: '-2',
    });
    const expectedVariables = [
      'WECHAT_TOKEN', 'WECHAT_AES_KEY', 'WECHAT_PATH', 'WECHAT_API_BASE', 'WECHAT_ALLOW_PLAINTEXT',
      'WECHAT_TIMESTAMP_TOLERANCE', 'WECHAT_BODY_LIMIT', 'EXTERNAL_SERVICE_TYPE', 'EXTERNAL_SERVICE_URL',
      'EXTERNAL_SERVICE_TIMEOUT', 'EXTERNAL_SERVICE_BREAKER_THRESHOLD', 'EXTERNAL_SERVICE_BREAKER_COOLDOWN', 'CONTEXT_MAX_TURNS', 'CONTEXT_TTL', 'REPLY_MODE', 'PASSIVE_WINDOW_MS', 'DEDUP_TTL',
      'PORT', 'PUBLIC_BASE_URL', 'SIMULATOR_ENABLED', 'SHUTDOWN_TIMEOUT', 'REDIS_URL', 'LOG_LEVEL', 'LOG_FILE_SIZE',
      'LOG_BACKUP_COUNT',
    ];
    assert.deepEqual(problems.map((problem) => problem.slice(0, problem.indexOf(':'))).sort(), [...expectedVariables].sort());
    for (const problem of problems) assert.ok(!problem.includes('\n'), problem);
    assert.ok(problems.includes('PORT: expected an integer from 0 to 65535, got "abc"'), problems.join('\n'));
    assert.ok(problems.includes('PASSIVE_WINDOW_MS: expected an integer from 0 to 4900, got "5000"'));
    assert.ok(problems.includes('DEDUP_TTL: expected an integer of at least 30, got "29"'));
  });

  it('accepts the boundaries of numeric ranges', () => {
    assert.deepEqual(problemsFor({ ...REAL_ACCOUNT, PASSIVE_WINDOW_MS: '0', PORT: '65535', WECHAT_TIMESTAMP_TOLERANCE: '0', LOG_BACKUP_COUNT: '0' }), []);
    assert.equal(load({ ...REAL_ACCOUNT, PORT: '0' }).port, 0, 'PORT=0: any free port');
    assert.equal(problemsFor({ ...REAL_ACCOUNT, PORT: '-1' }).length, 1);
    assert.equal(problemsFor({ ...REAL_ACCOUNT, PORT: '65536' }).length, 1);
    assert.equal(problemsFor({ ...REAL_ACCOUNT, PASSIVE_WINDOW_MS: '4901' }).length, 1);
  });

  it('requires an AES key of exactly 43 letters and digits, and an AppID with it', () => {
    assert.deepEqual(problemsFor({ ...REAL_ACCOUNT, WECHAT_AES_KEY: AES_KEY }), []);
    assert.equal(problemsFor({ ...REAL_ACCOUNT, WECHAT_AES_KEY: `${AES_KEY}x` }).length, 1);
    assert.equal(problemsFor({ ...REAL_ACCOUNT, WECHAT_AES_KEY: `${AES_KEY.slice(1)}+` }).length, 1);
    const withoutAppId = problemsFor({ WECHAT_TOKEN: 'tok', WECHAT_AES_KEY: AES_KEY });
    assert.equal(withoutAppId.length, 1);
    assert.match(withoutAppId[0] ?? '', /^WECHAT_AES_KEY: requires WECHAT_APPID/);
  });

  it('requires WECHAT_TOKEN whenever an AppID (or other credential) is configured', () => {
    assert.match(problemsFor({ WECHAT_APPID: 'wx1234567890abcdef' })[0] ?? '', /^WECHAT_TOKEN: required when WECHAT_APPID is set/);
    assert.ok(problemsFor({ WECHAT_APPSECRET: 'secret-only' }).some((problem) => problem.startsWith('WECHAT_TOKEN: required')));
  });

  it('requires CUSTOM_SERVICE_MODULE for the custom agent', () => {
    assert.match(problemsFor({ ...REAL_ACCOUNT, EXTERNAL_SERVICE_TYPE: 'custom' })[0] ?? '', /^CUSTOM_SERVICE_MODULE: required/);
    assert.equal(load({ ...REAL_ACCOUNT, EXTERNAL_SERVICE_TYPE: 'custom', CUSTOM_SERVICE_MODULE: './agent.ts' }).agent.customModule, './agent.ts');
  });

  it('never shows a secret value in a problem or in the error message', () => {
    const secrets = {
      WECHAT_TOKEN: 'tok-should-not-leak', WECHAT_APPID: 'wx1234567890abcdef', WECHAT_AES_KEY: 'aes-key-should-not-leak',
      WECHAT_APPSECRET: 'appsecret-should-not-leak', REDIS_URL: 'http://user:redispw-should-not-leak@host',
    };
    let caught: unknown;
    try {
      loadConfig({ ...secrets, PORT: 'x' }, { cwd: makeFolder(), envFile: false });
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ConfigError);
    const everything = [caught.message, formatConfigProblems(caught), ...caught.problems].join('\n');
    assert.doesNotMatch(everything, /should-not-leak/);
    assert.ok(caught.problems.includes('WECHAT_AES_KEY: expected exactly 43 letters and digits (the EncodingAESKey from the WeChat console), got a value of 23 characters (hidden: secret)'), caught.problems.join('\n'));
    assert.ok(caught.problems.some((problem) => problem.startsWith('REDIS_URL: expected a redis:// or rediss:// URL, got a value of')));
  });

  it('formats problems as a heading and one indented line each', () => {
    const text = formatConfigProblems(new ConfigError(['PORT: expected an integer from 1 to 65535, got "abc"', 'LOG_LEVEL: expected …']));
    assert.deepEqual(text.split('\n'), [
      'wx-backend: invalid configuration (2 problems; see .env.example):',
      '  PORT: expected an integer from 1 to 65535, got "abc"',
      '  LOG_LEVEL: expected …',
    ]);
  });
});

describe('.env file', () => {
  it('loads .env from the working directory; real variables win, even when empty', () => {
    const cwd = makeFolder();
    writeFileSync(path.join(cwd, '.env'), [
      '# comment', 'WECHAT_TOKEN=filetoken', 'WECHAT_APPID=wx1234567890abcdef', 'PORT=6000', 'LOG_LEVEL=debug',
      'LOG_DIR=file-logs', 'WELCOME_MESSAGE="欢迎 welcome"',
    ].join('\n'));
    const config = loadConfig({ PORT: '7000', LOG_DIR: '', UNRELATED: undefined }, { cwd });
    assert.equal(config.wechat.token, 'filetoken');
    assert.equal(config.port, 7000);
    assert.equal(config.log.level, 'debug');
    assert.equal(config.log.dir, '');
    assert.equal(config.reply.welcomeMessage, '欢迎 welcome');
    assert.equal(config.demo, false);
  });

  it('loads a given env file, ignores .env with envFile: false, and reports a missing given file', () => {
    const cwd = makeFolder();
    writeFileSync(path.join(cwd, '.env'), 'PORT=6000\n');
    writeFileSync(path.join(cwd, 'other.env'), 'PORT=6001\n');
    assert.equal(loadConfig(REAL_ACCOUNT, { cwd, envFile: 'other.env' }).port, 6001);
    assert.equal(loadConfig(REAL_ACCOUNT, { cwd, envFile: false }).port, 5080);
    assert.throws(() => loadConfig(REAL_ACCOUNT, { cwd, envFile: 'missing.env' }), (error: unknown) =>
      error instanceof ConfigError && error.problems.length === 1 && (error.problems[0] ?? '').includes('missing.env'));
  });

  it('works without any .env file', () => {
    assert.equal(loadConfig(REAL_ACCOUNT, { cwd: makeFolder() }).port, 5080);
  });
});

describe('demo mode', () => {
  it('generates credentials, allows plaintext and uses the echo agent when no credential is configured', () => {
    const cwd = makeFolder();
    const config = load({}, cwd);
    assert.equal(config.demo, true);
    assert.match(config.wechat.token, /^[A-Za-z0-9]{32}$/);
    assert.match(config.wechat.aesKey ?? '', /^[A-Za-z0-9]{43}$/);
    assert.match(config.wechat.appId, /^wx[0-9a-f]{16}$/);
    assert.equal(config.wechat.allowPlaintext, true);
    assert.equal(config.agent.type, 'echo');
    assert.equal(config.redisPrefix, `wx:${config.wechat.appId}:`);
  });

  it('keeps the configured EXTERNAL_SERVICE_TYPE', () => {
    assert.equal(load({ EXTERNAL_SERVICE_TYPE: 'ollama' }).agent.type, 'ollama');
  });

  it('stores the credentials privately beside TOKEN_FILE_PATH and reuses them on the next load', () => {
    const cwd = makeFolder();
    const first = load({ TOKEN_FILE_PATH: 'state/tokens/access_token.json' }, cwd);
    const file = path.join(cwd, 'state', 'tokens', DEMO_CREDENTIALS_FILE_NAME);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    assert.equal(stored.token, first.wechat.token);
    assert.equal(stored.aesKey, first.wechat.aesKey);
    assert.equal(stored.appId, first.wechat.appId);
    assert.deepEqual(readdirSync(path.dirname(file)), [DEMO_CREDENTIALS_FILE_NAME], 'no temporary file left behind');

    // What `wx-backend simulate` does: a second, independent load.
    const second = load({ TOKEN_FILE_PATH: 'state/tokens/access_token.json' }, cwd);
    assert.deepEqual(second.wechat, first.wechat);
  });

  it('replaces a damaged credentials file', () => {
    const cwd = makeFolder();
    mkdirSync(path.join(cwd, 'data'));
    writeFileSync(path.join(cwd, 'data', DEMO_CREDENTIALS_FILE_NAME), '{ not json');
    const config = load({}, cwd);
    assert.equal(config.demo, true);
    const stored = JSON.parse(readFileSync(path.join(cwd, 'data', DEMO_CREDENTIALS_FILE_NAME), 'utf8')) as Record<string, string>;
    assert.equal(stored.token, config.wechat.token);
  });

  it('never switches on when any real credential is configured', () => {
    for (const name of ['WECHAT_TOKEN', 'WECHAT_APPID', 'WECHAT_AES_KEY', 'WECHAT_APPSECRET']) {
      const cwd = makeFolder();
      const value = name === 'WECHAT_AES_KEY' ? AES_KEY : name === 'WECHAT_APPID' ? 'wx1234567890abcdef' : 'value1234';
      let demo: boolean | undefined;
      try {
        demo = loadConfig({ [name]: value }, { cwd, envFile: false }).demo;
      } catch (error) {
        assert.ok(error instanceof ConfigError, name);
      }
      assert.notEqual(demo, true, name);
      assert.equal(existsSync(path.join(cwd, 'data', DEMO_CREDENTIALS_FILE_NAME)), false, name);
    }
  });

  it('does not write credentials when the configuration is otherwise invalid', () => {
    const cwd = makeFolder();
    assert.throws(() => load({ PORT: 'x' }, cwd), ConfigError);
    assert.equal(existsSync(path.join(cwd, 'data')), false);
  });

  it('reports an unwritable credentials folder against TOKEN_FILE_PATH', () => {
    const cwd = makeFolder();
    writeFileSync(path.join(cwd, 'blocker'), 'a file where a folder should be');
    assert.throws(() => load({ TOKEN_FILE_PATH: 'blocker/access_token.json' }, cwd), (error: unknown) =>
      error instanceof ConfigError && (error.problems[0] ?? '').startsWith('TOKEN_FILE_PATH: cannot store demo credentials'));
  });
});

describe('ensureDirectories', () => {
  it('creates the folders of TOKEN_FILE_PATH and LOG_DIR', () => {
    const cwd = makeFolder();
    const config = load({ ...REAL_ACCOUNT, TOKEN_FILE_PATH: 'a/b/token.json', LOG_DIR: 'c/d' }, cwd);
    ensureDirectories(config);
    assert.ok(statSync(path.join(cwd, 'a', 'b')).isDirectory());
    assert.ok(statSync(path.join(cwd, 'c', 'd')).isDirectory());
    ensureDirectories(config);
  });

  it('reports a folder that cannot be created, naming the variable', () => {
    const cwd = makeFolder();
    writeFileSync(path.join(cwd, 'blocker'), '');
    const config = load({ ...REAL_ACCOUNT, LOG_DIR: 'blocker/logs' }, cwd);
    assert.throws(() => ensureDirectories(config), (error: unknown) =>
      error instanceof ConfigError && error.problems.length === 1 && (error.problems[0] ?? '').startsWith('LOG_DIR: cannot create'));
  });
});

describe('.env.example', () => {
  const example = readFileSync(path.join(import.meta.dirname, '..', '..', '.env.example'), 'utf8');
  const assignments = example.split('\n').filter((line) => /^# [A-Z_]+=/.test(line)).map((line) => line.slice(2));

  it('documents every variable, each with a comment line above it', () => {
    const documented = assignments.map((line) => line.slice(0, line.indexOf('=')));
    assert.deepEqual([...documented].sort(), [...CONFIG_VARIABLE_NAMES].sort());
    const lines = example.split('\n');
    for (const [index, line] of lines.entries()) {
      if (!/^# [A-Z_]+=/.test(line)) continue;
      const above = lines[index - 1] ?? '';
      assert.ok(above.startsWith('# ') && !/^# [A-Z_]+=/.test(above), `comment above ${line}`);
    }
  });

  it('shows the defaults: uncommented as a .env it gives the default configuration', () => {
    const cwd = makeFolder();
    writeFileSync(path.join(cwd, '.env'), assignments.join('\n'));
    const fromExample = loadConfig({ ...REAL_ACCOUNT, EXTERNAL_SERVICE_TYPE: undefined }, { cwd });
    const defaults = load(REAL_ACCOUNT, cwd);
    assert.deepEqual(fromExample, defaults);
  });
});
