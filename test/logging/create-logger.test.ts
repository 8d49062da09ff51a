import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import type { LogConfig } from '../../src/config/app-config.js';
import { addLoggerSecret, closeLogger, createLogger, flushLogger, LOG_FILE_NAME } from '../../src/logging/create-logger.js';
import { redactSecrets } from '../../src/logging/redact.js';

const TOKEN = 'wechatTokenValue42';
const APP_SECRET = '0123456789abcdef0123456789abcdef';
const API_KEY = 'sk-proj-apikeyvalue-XYZ';
const ADMIN_TOKEN = 'admin-token-value-77';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const AES_KEY_BYTES = Buffer.from(`${AES_KEY}=`, 'base64');
const AES_KEY_HEX = AES_KEY_BYTES.toString('hex');
const ACCESS_TOKEN = 'xyzAccessToken-987';
const SECRETS = [TOKEN, APP_SECRET, API_KEY, ADMIN_TOKEN, AES_KEY];
/** Everything that must never appear in output. */
const FORBIDDEN = [...SECRETS, AES_KEY_HEX, AES_KEY_HEX.toUpperCase(), AES_KEY_BYTES.toString('base64'), AES_KEY_BYTES.join(','), ACCESS_TOKEN];

class CaptureStream extends Writable {
  readonly chunks: string[] = [];
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk.toString());
    callback();
  }
  get text(): string {
    return this.chunks.join('');
  }
  lines(): Record<string, unknown>[] {
    return this.text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

function consoleOnly(level: LogConfig['level'] = 'debug'): LogConfig {
  return { level, dir: '', fileSizeBytes: 1024 * 1024, backupCount: 1 };
}

function assertNoSecrets(text: string): void {
  for (const secret of FORBIDDEN) assert.ok(!text.includes(secret), `output contains ${secret.slice(0, 6)}…:\n${text}`);
}

const temporaryFolders: string[] = [];
afterEach(() => {
  for (const folder of temporaryFolders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('createLogger redaction', () => {
  it('never shows a configured secret, its decoded AES key or an access token, at debug level', async () => {
    const output = new CaptureStream();
    const log = createLogger(consoleOnly('debug'), { secrets: SECRETS, destination: output });
    const child = log.child({ messageId: 'm-1' });

    log.debug({ token: TOKEN, appSecret: APP_SECRET, apiKey: API_KEY, adminToken: ADMIN_TOKEN, aesKey: AES_KEY }, 'well-known keys');
    log.debug({ config: { wechat: { token: TOKEN, aesKey: AES_KEY, appSecret: APP_SECRET } } }, 'nested config');
    log.debug({ deep: { deeper: { deepest: { anything: `x${TOKEN}y` } } } }, 'value deep inside');
    log.info(`message with ${TOKEN}, ${APP_SECRET}, ${API_KEY} and ${ADMIN_TOKEN}`);
    log.debug({ key: AES_KEY_HEX, upper: AES_KEY_HEX.toUpperCase(), base64: AES_KEY_BYTES.toString('base64') }, 'decoded key');
    log.debug({ keyBuffer: AES_KEY_BYTES }, 'key as a buffer');
    child.info({ url: `https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=${ACCESS_TOKEN}` }, 'calling WeChat');
    child.warn(`GET /cgi-bin/menu/get?access_token=${ACCESS_TOKEN}&x=1 failed`);
    child.debug({ body: `{"access_token":"${ACCESS_TOKEN}","expires_in":7200}` }, 'token response as text');
    child.debug({ access_token: ACCESS_TOKEN, expires_in: 7200 }, 'token response as object');
    child.debug({ headers: { authorization: `Bearer ${API_KEY}` }, req: { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } } }, 'headers');
    const error = new Error(`request failed for ${TOKEN} at https://x.test/?access_token=${ACCESS_TOKEN} with key ${AES_KEY_HEX}`);
    child.error({ err: error }, 'error object');
    log.error(new Error(`thrown with ${API_KEY}`));
    await flushLogger(log);

    const text = output.text;
    assertNoSecrets(text);
    const lines = output.lines();
    assert.equal(lines.length, 13, 'every line is still valid JSON, none dropped');
    assert.match(text, /\[REDACTED\]/);
    assert.match(text, /access_token=\[REDACTED\]&x=1/);
    const errorLine = lines.find((line) => line.msg === 'error object') as { err: { message: string; stack: string }; messageId: string };
    assert.match(errorLine.err.message, /^request failed for \[REDACTED\]/);
    assert.match(errorLine.err.stack, /request failed for \[REDACTED\]/);
    assert.equal(errorLine.messageId, 'm-1', 'children keep their bindings');
  });

  it('logs at the configured level only', async () => {
    const output = new CaptureStream();
    const log = createLogger(consoleOnly('info'), { secrets: [], destination: output, name: 'test-logger' });
    log.debug('hidden');
    log.info('shown');
    await flushLogger(log);
    const lines = output.lines();
    assert.deepEqual(lines.map((line) => line.msg), ['shown']);
    assert.equal(lines[0]?.level, 'info');
    assert.equal(lines[0]?.name, 'test-logger');
    assert.equal(typeof lines[0]?.time, 'string');
  });

  it('hides secrets learnt at run time through any child', async () => {
    const output = new CaptureStream();
    const log = createLogger(consoleOnly(), { secrets: [], destination: output });
    const child = log.child({ component: 'access-token' });
    addLoggerSecret(child, 'fresh-token-value-123');
    log.info('the fresh-token-value-123 leaked?');
    await flushLogger(log);
    assert.ok(!output.text.includes('fresh-token-value-123'));
  });
});

describe('redactSecrets', () => {
  it('replaces secrets, derived AES key forms and secret-looking parameters', () => {
    const text = [
      `token ${TOKEN}`, `hex ${AES_KEY_HEX}`, `iv ${AES_KEY_HEX.slice(0, 32)}`, `url ?access_token=${ACCESS_TOKEN}&a=1`,
      `token endpoint ?grant_type=client_credential&appid=wx1&secret=${APP_SECRET}`, `Authorization: Bearer ${API_KEY}`,
      'redis://:redispassword@localhost:6379', `json {"access_token":"${ACCESS_TOKEN}"}`,
    ].join('\n');
    const redacted = redactSecrets(text, SECRETS);
    assertNoSecrets(redacted);
    assert.ok(!redacted.includes('redispassword'));
    assert.ok(!redacted.includes(AES_KEY_HEX.slice(0, 32)));
    assert.match(redacted, /appid=wx1&secret=\[REDACTED\]/);
    assert.match(redacted, /redis:\/\/:\[REDACTED\]@localhost:6379/);
  });

  it('leaves ordinary text alone', () => {
    const text = 'prompt_tokens=12 max_tokens: 100 "tokenFilePath":"./data/access_token.json" signature=abc';
    assert.equal(redactSecrets(text, SECRETS), text);
  });

  it('hides the longest secret whole when one contains another', () => {
    assert.equal(redactSecrets('abcdef', ['abcd', 'abcdef']), '[REDACTED]');
  });
});

describe('createLogger files', () => {
  it('creates LOG_DIR and rotates files by size, keeping at most LOG_BACKUP_COUNT rotated files', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'wx-logs-'));
    temporaryFolders.push(folder);
    const dir = path.join(folder, 'nested', 'logs');
    const output = new CaptureStream();
    const backupCount = 2;
    const log = createLogger({ level: 'debug', dir, fileSizeBytes: 2048, backupCount }, { secrets: SECRETS, destination: output });
    // Batches with pauses between them: pino-roll checks the size after each write it receives.
    for (let batch = 0; batch < 40; batch += 1) {
      for (let line = 0; line < 8; line += 1) log.info({ batch, line, token: TOKEN }, `padding ${APP_SECRET} ${'x'.repeat(100)}`);
      await flushLogger(log);
      await delay(5);
    }
    await closeLogger(log);

    let files: string[] = [];
    for (let attempt = 0; attempt < 40; attempt += 1) {
      // Old files are removed asynchronously after a rotation.
      files = readdirSync(dir).filter((name) => name.startsWith(LOG_FILE_NAME.replace(/\.log$/, '')));
      if (files.length <= backupCount + 1) break;
      await delay(50);
    }
    assert.ok(files.length > 1, `expected rotation, got ${files.join(', ')}`);
    assert.ok(files.length <= backupCount + 1, `expected at most ${backupCount + 1} files, got ${files.join(', ')}`);
    for (const file of files) {
      const content = readFileSync(path.join(dir, file), 'utf8');
      assertNoSecrets(content);
      assert.ok(content.length <= 2048 + 8 * 400, `${file} is ${content.length} bytes`);
    }
    const newest = files.map((name) => Number(/\.(\d+)\.log$/.exec(name)?.[1])).sort((first, second) => second - first)[0];
    assert.ok((newest ?? 0) >= 4, 'rotated more than backupCount times');
  });

  it('keeps logging to the console after the files are closed', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'wx-logs-'));
    temporaryFolders.push(folder);
    const output = new CaptureStream();
    const log = createLogger({ level: 'info', dir: folder, fileSizeBytes: 1024 * 1024, backupCount: 3 }, { secrets: [], destination: output });
    log.info('before');
    await closeLogger(log);
    log.info('after');
    await flushLogger(log);
    assert.deepEqual(output.lines().map((line) => line.msg), ['before', 'after']);
    assert.match(readFileSync(path.join(folder, 'wx-backend.1.log'), 'utf8'), /"msg":"before"/);
  });

  it('writes no files with an empty LOG_DIR', async () => {
    const output = new CaptureStream();
    const log = createLogger(consoleOnly(), { secrets: [], destination: output });
    log.info('console only');
    await closeLogger(log);
    assert.equal(output.lines().length, 1);
  });
});
