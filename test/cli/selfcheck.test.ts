/**
 * `wx-backend selfcheck` against the fake WeChat API, in-process: one line per check, an actionable message
 * for each failure, exit code 0 only when nothing failed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { Redis } from 'ioredis';
import { assertNoStackTrace, startCliFixture, unusedLocalUrl, type CliFixture, type CliResult } from './cli-fixture.js';

const AES_KEY = randomBytes(48).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 43);
const WHITELIST_ERRMSG = 'invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: 1';

/** The line of one check, e.g. `✖ access token: …`. */
function checkLine(result: CliResult, check: string): string {
  const line = result.stdout.split('\n').find((candidate) => candidate.slice(2).startsWith(`${check}:`));
  assert.ok(line, `no "${check}" line in:\n${result.output}`);
  return line;
}

describe('wx-backend selfcheck', () => {
  let fixture: CliFixture;
  before(async () => {
    fixture = await startCliFixture();
  });
  after(() => fixture.close());

  it('everything right: a ✔ per check (– for Redis, not configured) and exit code 0', async () => {
    const result = await fixture.run(['selfcheck'], { env: fixture.env({ WECHAT_AES_KEY: AES_KEY }) });
    assert.equal(result.code, 0, result.output);
    for (const check of ['configuration', 'credentials', 'AES key', 'access token', 'WeChat API']) assert.match(checkLine(result, check), /^✔ /);
    assert.match(checkLine(result, 'Redis'), /^– Redis: not configured/);
    assert.match(checkLine(result, 'AES key'), /encrypts and decrypts a sample/);
    assert.match(result.stdout, /all checks passed\n$/);
  });

  it('asks WeChat for the token even when one is cached: only WeChat can vouch for IP and secret', async () => {
    const before = fixture.fake.callsTo('/cgi-bin/stable_token').length;
    const result = await fixture.run(['selfcheck']);
    assert.equal(result.code, 0, result.output);
    assert.equal(fixture.fake.callsTo('/cgi-bin/stable_token').length, before + 1);
  });

  it('40164: names the IP and says to add it to the IP whitelist; exit code 1', async () => {
    fixture.fake.failNext('/cgi-bin/stable_token', 40164, { errmsg: WHITELIST_ERRMSG });
    const result = await fixture.run(['selfcheck']);
    assert.equal(result.code, 1);
    const line = checkLine(result, 'access token');
    assert.match(line, /^✖ access token: WeChat refused this server's IP 203\.0\.113\.7: add 203\.0\.113\.7 to the IP whitelist/);
    assert.match(line, /IP白名单/);
    assert.match(result.stdout, /^ {4}errcode 40164: invalid ip 203\.0\.113\.7/m);
    assert.match(checkLine(result, 'WeChat API'), /^– WeChat API: not checked/);
    assert.match(result.stdout, /1 check failed\n$/);
    assertNoStackTrace(result.output);
  });

  it('40125: the AppSecret is wrong', async () => {
    const result = await fixture.run(['selfcheck'], { env: fixture.env({ WECHAT_APPSECRET: 'wrong-secret-value' }) });
    assert.equal(result.code, 1);
    assert.match(checkLine(result, 'access token'), /^✖ access token: WECHAT_APPSECRET is wrong: copy the AppSecret from the WeChat console/);
    assert.ok(!result.output.includes('wrong-secret-value'), 'the configured secret was printed');
  });

  it('40013: the AppID is wrong', async () => {
    const result = await fixture.run(['selfcheck'], { env: fixture.env({ WECHAT_APPID: 'wx0000000000000000' }) });
    assert.equal(result.code, 1);
    assert.match(checkLine(result, 'access token'), /^✖ access token: WECHAT_APPID "wx0000000000000000" is not a valid AppID/);
  });

  it('89503: an administrator must confirm', async () => {
    fixture.fake.failNext('/cgi-bin/stable_token', 89503);
    const result = await fixture.run(['selfcheck']);
    assert.equal(result.code, 1);
    assert.match(checkLine(result, 'access token'), /^✖ access token: .*administrator to confirm.*WeChat console/);
  });

  it('WeChat unreachable: says so, naming WECHAT_API_BASE', async () => {
    const result = await fixture.run(['selfcheck'], { env: fixture.env({ WECHAT_API_BASE: await unusedLocalUrl(), TOKEN_FILE_PATH: path.join(fixture.folder, 'unreachable.json') }) });
    assert.equal(result.code, 1);
    assert.match(checkLine(result, 'access token'), /^✖ access token: cannot get an access token/);
    assert.match(result.stdout, /hint: check the network and WECHAT_API_BASE/);
  });

  it('an API call that fails after the token: ✖ WeChat API with the hint', async () => {
    fixture.fake.failNext('/cgi-bin/menu/get', 48001);
    const result = await fixture.run(['selfcheck']);
    assert.equal(result.code, 1);
    assert.match(checkLine(result, 'access token'), /^✔ /);
    assert.match(checkLine(result, 'WeChat API'), /^✖ WeChat API: errcode 48001/);
    assert.match(result.stdout, /hint: the account has no permission/);
  });

  it('demo mode: ✖ credentials, API checks not run', async () => {
    const result = await fixture.run(['selfcheck'], { env: { TOKEN_FILE_PATH: path.join(fixture.folder, 'demo', 'token.json'), LOG_DIR: '' } });
    assert.equal(result.code, 1);
    assert.match(checkLine(result, 'credentials'), /^✖ credentials: none set: demo mode/);
    assert.match(checkLine(result, 'access token'), /^– /);
  });

  it('no WECHAT_APPSECRET: ✖ credentials naming it', async () => {
    const env = fixture.env();
    delete env.WECHAT_APPSECRET;
    const result = await fixture.run(['selfcheck'], { env });
    assert.equal(result.code, 1);
    assert.match(checkLine(result, 'credentials'), /^✖ credentials: WECHAT_APPSECRET not set/);
  });

  it('an invalid configuration: ✖ configuration with every problem named, exit code 1', async () => {
    const result = await fixture.run(['selfcheck'], { env: fixture.env({ WECHAT_AES_KEY: 'short', LOG_LEVEL: 'LOUD' }) });
    assert.equal(result.code, 1);
    assert.match(checkLine(result, 'configuration'), /^✖ configuration: 2 problems/);
    assert.match(result.stdout, /^ {4}WECHAT_AES_KEY: /m);
    assert.match(result.stdout, /^ {4}LOG_LEVEL: /m);
  });

  it('Redis set and reachable: ✔ Redis, the token shared there', async (t) => {
    if (!(await requireRedis(t))) return;
    const prefix = uniquePrefix('cli-selfcheck');
    const result = await fixture.run(['selfcheck'], { env: fixture.env({ REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix }) });
    const redis = new Redis(TEST_REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    await deleteKeys(redis, prefix);
    redis.disconnect();
    assert.equal(result.code, 0, result.output);
    assert.match(checkLine(result, 'Redis'), /^✔ Redis: reachable/);
    assert.match(checkLine(result, 'access token'), /cached in Redis/);
    assert.ok(keys.length > 0, 'the token was not cached in Redis');
  });

  it('Redis set but unreachable: ✖ Redis with the reason, the token not checked', async () => {
    const result = await fixture.run(['selfcheck'], { env: fixture.env({ REDIS_URL: 'redis://:redis-password@127.0.0.1:1/0' }) });
    assert.equal(result.code, 1);
    assert.match(checkLine(result, 'Redis'), /^✖ Redis: cannot use REDIS_URL: .*ECONNREFUSED.*start Redis or correct REDIS_URL/);
    assert.match(checkLine(result, 'access token'), /^– access token: not checked/);
    assert.ok(!result.output.includes('redis-password'), 'the Redis password was printed');
  });
});
