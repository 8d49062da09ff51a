/**
 * The operator side of the hand-off without a running account: the configuration of HANDOFF_KEYWORDS and
 * HANDOFF_TIMEOUT, `/admin/api/handoff` on an instance that has no WeChat API access (it needs none), and the
 * usage errors and refusals of `wx-backend handoff`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import type { CliIo } from '../../../src/cli/cli-io.js';
import { runCli } from '../../../src/cli/main.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { MemoryHandoffStore } from '../../../src/guard/handoff/memory-handoff-store.js';
import { adminRoutes } from '../../../src/http/routes/admin.js';
import { unusedLocalUrl } from '../../cli/cli-fixture.js';

const ACCOUNT = { WECHAT_TOKEN: 'callbacktoken', WECHAT_APPID: 'wx1234567890abcdef', EXTERNAL_SERVICE_TYPE: 'openai', LOG_DIR: '' };

function handoffConfig(env: Record<string, string>) {
  return loadConfig({ ...ACCOUNT, ...env }, { envFile: false }).handoff;
}

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...ACCOUNT, ...env }, { envFile: false });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('hand-off configuration', () => {
  it('defaults: 人工, 转人工, 人工客服 and 1800 s', () => {
    assert.deepEqual(handoffConfig({}), { keywords: ['人工', '转人工', '人工客服'], timeoutSeconds: 1800 });
  });

  it('HANDOFF_KEYWORDS: comma-separated (ASCII or full-width), trimmed, blanks dropped; empty = off', () => {
    assert.deepEqual(handoffConfig({ HANDOFF_KEYWORDS: ' 客服 ,找人工，human ,, ' }).keywords, ['客服', '找人工', 'human']);
    assert.deepEqual(handoffConfig({ HANDOFF_KEYWORDS: '' }).keywords, []);
    assert.deepEqual(handoffConfig({ HANDOFF_KEYWORDS: ' , ' }).keywords, []);
  });

  it('HANDOFF_TIMEOUT: whole seconds from 1 to 7 days; anything else is a problem naming the variable', () => {
    assert.equal(handoffConfig({ HANDOFF_TIMEOUT: '60' }).timeoutSeconds, 60);
    for (const value of ['0', '-5', '1.5', 'soon', '604801']) {
      assert.match(problems({ HANDOFF_TIMEOUT: value }).join('\n'), /^HANDOFF_TIMEOUT: expected an integer/m, value);
    }
  });
});

describe('/admin/api/handoff', () => {
  const TOKEN = 'admin-token-0123456789';
  async function app(handoff?: MemoryHandoffStore) {
    const instance = Fastify();
    // No `services`: this instance cannot call the WeChat API, which the hand-off does not need.
    await instance.register(adminRoutes, { token: TOKEN, ...(handoff ? { handoff } : {}), now: () => Date.UTC(2025, 0, 1, 12, 0, 30) });
    return instance;
  }
  const auth = { authorization: `Bearer ${TOKEN}` };

  it('works without WeChat API access, where the other admin routes answer 503', async () => {
    const store = new MemoryHandoffStore({ now: () => Date.UTC(2025, 0, 1, 12, 0, 0) });
    await store.begin('oAlice', 60_000);
    const instance = await app(store);
    const listed = await instance.inject({ method: 'GET', url: '/admin/api/handoff', headers: auth });
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(listed.json(), { users: [{ openid: 'oAlice', since: '2025-01-01T12:00:00.000Z', until: '2025-01-01T12:01:00.000Z', remainingSeconds: 30 }] });
    assert.equal((await instance.inject({ method: 'GET', url: '/admin/api/token', headers: auth })).statusCode, 503);
    assert.equal((await instance.inject({ method: 'DELETE', url: '/admin/api/handoff/oAlice', headers: auth })).statusCode, 200);
    assert.deepEqual(await store.list(), []);
    await instance.close();
  });

  it('refuses without the token (before looking at the hand-off); off → 404 handoff_off; a failing store → 500 without details', async () => {
    const off = await app();
    assert.equal((await off.inject({ method: 'GET', url: '/admin/api/handoff' })).statusCode, 401);
    const answer = await off.inject({ method: 'GET', url: '/admin/api/handoff', headers: auth });
    assert.equal(answer.statusCode, 404);
    assert.equal(answer.json<{ error: string }>().error, 'handoff_off');
    await off.close();

    const failing = new MemoryHandoffStore();
    failing.list = () => Promise.reject(new Error('redis://:secret@host lost'));
    const broken = await app(failing);
    const failed = await broken.inject({ method: 'GET', url: '/admin/api/handoff', headers: auth });
    assert.equal(failed.statusCode, 500);
    assert.deepEqual(failed.json(), { error: 'internal_error' });
    await broken.close();
  });
});

describe('wx-backend handoff: usage and refusals', () => {
  async function run(args: string[], env: Record<string, string> = ACCOUNT): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const io: CliIo = { env, cwd: process.cwd(), envFile: false, print: (line) => void (stdout += `${line}\n`), printError: (line) => void (stderr += `${line}\n`) };
    return { code: await runCli(args, io), stdout, stderr };
  }

  it('--help prints the usage; the command is listed in wx-backend --help', async () => {
    const help = await run(['handoff', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: wx-backend handoff list/);
    assert.match((await run(['--help'])).stdout, /^ {2}handoff list\|release\b/m);
  });

  it('usage errors exit 2 with the usage: no or an unknown subcommand, release without an openid, --json with release, a bad --url', async () => {
    for (const args of [['handoff'], ['handoff', 'drop'], ['handoff', 'release'], ['handoff', 'release', 'oA', '--json'], ['handoff', 'list', 'extra'], ['handoff', 'list', '--url', 'not a url']]) {
      const result = await run(args);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, /Usage: wx-backend handoff/, args.join(' '));
    }
  });

  it('refuses with exit 2 when the hand-off is off (no keywords, or echo) or the server cannot be reached without ADMIN_TOKEN', async () => {
    const off = await run(['handoff', 'list'], { ...ACCOUNT, HANDOFF_KEYWORDS: '' });
    assert.equal(off.code, 2);
    assert.match(off.stderr, /off \(HANDOFF_KEYWORDS is empty\)/);
    const echo = await run(['handoff', 'list'], { ...ACCOUNT, EXTERNAL_SERVICE_TYPE: 'echo' });
    assert.equal(echo.code, 2);
    assert.match(echo.stderr, /EXTERNAL_SERVICE_TYPE=echo/);
    const noToken = await run(['handoff', 'list']);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /set ADMIN_TOKEN/);
    const urlWithRedis = await run(['handoff', 'list', '--url', 'http://127.0.0.1:1'], { ...ACCOUNT, REDIS_URL: 'redis://127.0.0.1:6379' });
    assert.equal(urlWithRedis.code, 2);
    assert.match(urlWithRedis.stderr, /--url is for a server without REDIS_URL/);
  });

  it('an unreachable server or Redis exits 1 with a sentence (no stack trace)', async () => {
    const url = await unusedLocalUrl();
    const server = await run(['handoff', 'list', '--url', url], { ...ACCOUNT, ADMIN_TOKEN: 'admin-token-0123456789' });
    assert.equal(server.code, 1);
    assert.ok(server.stderr.includes(`cannot reach the server at ${url} (ECONNREFUSED). Is it running?`), server.stderr);
    const redis = await run(['handoff', 'list'], { ...ACCOUNT, REDIS_URL: 'redis://:hunter2secret@127.0.0.1:9' });
    assert.equal(redis.code, 1);
    assert.match(redis.stderr, /cannot connect to Redis \(REDIS_URL\)/);
    for (const output of [server.stderr, redis.stderr]) assert.doesNotMatch(output, /^\s+at .+:\d+:\d+\)?$/m);
    assert.doesNotMatch(redis.stderr, /hunter2secret/);
  });
});
