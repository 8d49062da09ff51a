/**
 * Issue 3: an access token WeChat refuses for a reason only an operator can fix — here 40164, the server's IP
 * not in the account's whitelist. The operator API answers 502 with the errcode and a hint naming the IP,
 * /readyz stays 200 but shows the access token as degraded with the same explanation, the error is logged
 * once, and WeChat is not asked again during the cool-down, however many calls come in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeWeChatApi } from '../../src/demo/fake-wechat-api/start-fake-wechat-api.js';
import {
  accountEnv, newAccount, readinessCheck, seedMenu, startAccountFake, startAppInstance, type AppInstance,
} from '../support/app-instances.js';

const STABLE_TOKEN = '/cgi-bin/stable_token';
const WHITELIST_ERRMSG = 'invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: 1';

describe('access token refused with 40164 (IP not whitelisted)', () => {
  const account = newAccount();
  let fake: FakeWeChatApi;
  let instance: AppInstance;

  before(async () => {
    fake = await startAccountFake(account);
    seedMenu(fake);
    // WeChat keeps refusing until the operator acts; far more answers queued than the instance may ask for.
    fake.failNext(STABLE_TOKEN, 40164, { times: 100, errmsg: WHITELIST_ERRMSG });
    instance = await startAppInstance(accountEnv(account, fake.url));
  });
  after(async () => {
    await instance?.close();
    await fake?.close();
  });

  it('before any call /readyz is ok: the token is fetched on first use', async () => {
    const ready = await instance.request('GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(readinessCheck(ready, 'access-token').status, 'ok');
    assert.equal(fake.callsTo(STABLE_TOKEN).length, 0);
  });

  it('the operator call answers 502 with errcode 40164 and a hint naming the IP to whitelist', async () => {
    const answer = await instance.admin('GET', '/menu');
    assert.equal(answer.status, 502, answer.text);
    assert.equal(answer.json?.error, 'wechat_api_error');
    assert.equal(answer.json?.errcode, 40164);
    assert.equal(answer.json?.errmsg, WHITELIST_ERRMSG);
    assert.match(String(answer.json?.hint), /IP whitelist/);
    assert.match(String(answer.json?.hint), /add 203\.0\.113\.7/);
    assert.equal(fake.callsTo(STABLE_TOKEN).length, 1);
  });

  it('/readyz: 200, overall degraded, the access token degraded with a detail naming the IP and the whitelist', async () => {
    const ready = await instance.request('GET', '/readyz');
    assert.equal(ready.status, 200, 'still in rotation: passive replies work without a token');
    assert.equal(ready.json?.status, 'degraded');
    const check = readinessCheck(ready, 'access-token');
    assert.equal(check.status, 'degraded');
    assert.match(String(check.detail), /40164/);
    assert.match(String(check.detail), /203\.0\.113\.7/);
    assert.match(String(check.detail), /whitelist/);
  });

  it('GET /admin/api/token shows the error with its hint', async () => {
    const status = await instance.admin('GET', '/token');
    assert.equal(status.status, 200);
    assert.equal(status.json?.state, 'error');
    const error = status.json?.error as { errcode?: number; hint?: string } | undefined;
    assert.equal(error?.errcode, 40164);
    assert.match(String(error?.hint), /203\.0\.113\.7/);
  });

  it('no hot retry loop: more calls within the cool-down fail fast without asking WeChat, logged once', async () => {
    const answers = [];
    for (let index = 0; index < 5; index++) answers.push(await instance.admin('GET', '/menu'));
    answers.push(...await Promise.all([0, 1, 2, 3, 4].map(() => instance.admin('POST', '/messages/custom', { openid: 'oUser000000000000000000000001', type: 'text', content: 'hi' }))));
    assert.deepEqual(answers.map((answer) => [answer.status, answer.json?.errcode]), answers.map(() => [502, 40164]));
    await sleep(300);
    assert.equal(fake.callsTo(STABLE_TOKEN).length, 1, 'WeChat was asked once in all');
    assert.equal(fake.calls.length, 1, 'and no API call went out without a token');
    const reported = instance.logs().split('\n').filter((line) => line.includes('an operator must fix this'));
    assert.equal(reported.length, 1, 'the operator error is logged once at error level');
    assert.match(reported[0]!, /"level":"error"/);
    assert.match(reported[0]!, /203\.0\.113\.7/);
    assert.equal((await instance.request('GET', '/readyz')).status, 200);
  });
});
