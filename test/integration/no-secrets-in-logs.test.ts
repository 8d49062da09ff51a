/**
 * SPEC §2: secrets never appear in logs, at any level, nor in what the service answers. One instance runs at
 * LOG_LEVEL=trace with every line captured, and goes through everything that handles a secret: the access
 * token fetch, a 40001 with its refresh and retry, operator calls with the bearer token, refused ones (missing,
 * wrong, or carrying an access token in the query), a WeChat error passed on to the operator, an encrypted
 * callback message, /readyz and /healthz. Then no secret — in any form it could be printed in — shows up in the
 * logs, in any admin API answer or in /readyz.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { textMessageXml, WeChatEmulator } from '../../src/simulator/wechat-emulator.js';
import type { FakeWeChatApi } from '../../src/demo/fake-wechat-api/start-fake-wechat-api.js';
import {
  accountEnv, newAccount, SAMPLE_MENU, startAccountFake, startAppInstance, type AppInstance, type HttpAnswer,
} from '../support/app-instances.js';

const USER = 'oNoSecretsUser00000000000001';

describe('no secrets in logs or answers (LOG_LEVEL=trace)', () => {
  const account = newAccount();
  let fake: FakeWeChatApi;
  let instance: AppInstance;
  /** Every answer of the admin API, /readyz and /healthz during the run. */
  const answers: { label: string; answer: HttpAnswer }[] = [];
  const record = async (label: string, pending: Promise<HttpAnswer>): Promise<HttpAnswer> => {
    const answer = await pending;
    answers.push({ label, answer });
    return answer;
  };

  before(async () => {
    fake = await startAccountFake(account);
    fake.noteUserMessage(USER);
    instance = await startAppInstance(accountEnv(account, fake.url, { LOG_LEVEL: 'trace' }));
  });
  after(async () => {
    await instance?.close();
    await fake?.close();
  });

  it('runs at trace level and exercises every path that handles a secret', async () => {
    assert.equal(instance.server.config.log.level, 'trace');
    assert.equal((await record('readyz before', instance.request('GET', '/readyz'))).status, 200);

    // The first call fetches the token.
    assert.equal((await record('PUT menu', instance.admin('PUT', '/menu', SAMPLE_MENU))).status, 200);
    assert.equal((await record('GET menu', instance.admin('GET', '/menu'))).status, 200);

    // WeChat rejects the cached token: refresh, retry.
    fake.failNext('/cgi-bin/menu/get', 40001);
    assert.equal((await record('GET menu after 40001', instance.admin('GET', '/menu'))).status, 200);
    assert.equal(fake.issuedTokens.length, 2, 'the rejected token was replaced');

    assert.equal((await record('custom message', instance.admin('POST', '/messages/custom', { openid: USER, type: 'text', content: 'hi' }))).status, 200);
    assert.equal((await record('custom message to a stranger', instance.admin('POST', '/messages/custom', { openid: 'oStranger', type: 'text', content: 'hi' }))).status, 502);
    assert.equal((await record('token status', instance.admin('GET', '/token'))).json?.state, 'ok');

    // Refused: without a token, with a wrong one, with secrets where they do not belong.
    const refused = [
      instance.request('GET', '/admin/api/token'),
      instance.request('GET', '/admin/api/token', { headers: { authorization: `Bearer ${account.adminToken}x` } }),
      instance.request('GET', '/admin/api/token', { headers: { authorization: `Bearer ${account.appSecret}` } }),
      instance.request('GET', `/admin/api/token?access_token=${fake.issuedTokens[1]}&secret=${account.appSecret}`),
      instance.request('POST', '/admin/api/messages/custom', { body: { openid: USER, type: 'text', content: account.token } }),
    ];
    for (const [index, pending] of refused.entries()) assert.equal((await record(`refused #${index}`, pending)).status, 401);

    // An encrypted callback message: the WeChat token and the EncodingAESKey at work.
    const emulator = new WeChatEmulator(
      { token: account.token, aesKey: account.aesKey, appId: account.appId },
      `${instance.url}${instance.server.config.wechat.path}`,
    );
    const delivery = await emulator.deliver(emulator.sign(textMessageXml({ from: USER, to: 'gh_account', content: 'echo me' }), 'safe'));
    assert.equal(delivery.status, 200);
    assert.equal(delivery.reply?.Content, 'echo me');

    assert.equal((await record('readyz after', instance.request('GET', '/readyz'))).status, 200);
    assert.equal((await record('healthz', instance.request('GET', '/healthz'))).status, 200);

    // The capture really holds the detailed lines the checks below run over.
    const logs = instance.logs();
    assert.match(logs, /"level":"debug".*WeChat API call/);
    assert.match(logs, /credential refreshed/);
    assert.match(logs, /rejected the access token/);
    assert.match(logs, /admin request refused/);
  });

  it('no secret appears in the logs, in any admin API answer or in /readyz', async () => {
    assert.ok(answers.length > 10, 'the previous test ran');
    // Shutting down logs too.
    await instance.close();
    const decodedAesKey = Buffer.from(`${account.aesKey}=`, 'base64');
    const secrets: [name: string, value: string][] = [
      ['WECHAT_APPSECRET', account.appSecret],
      ['WECHAT_TOKEN', account.token],
      ['WECHAT_AES_KEY', account.aesKey],
      ['decoded AES key (hex)', decodedAesKey.toString('hex')],
      ['decoded AES key (base64)', decodedAesKey.toString('base64')],
      ['ADMIN_TOKEN', account.adminToken],
      ...fake.issuedTokens.map((token, index): [string, string] => [`access token #${index + 1}`, token]),
    ];
    assert.ok(fake.issuedTokens.length >= 2);
    const places: [where: string, text: string][] = [
      ['logs', instance.logs()],
      ...answers.map(({ label, answer }): [string, string] => [`answer to ${label}`, answer.text]),
    ];
    const leaks = places.flatMap(([where, text]) => secrets.filter(([, value]) => text.includes(value)).map(([name]) => `${name} in ${where}`));
    assert.deepEqual(leaks, []);
    // And not even the start of an access token in an answer (the status reports never show any part of it).
    for (const { label, answer } of answers) {
      for (const token of fake.issuedTokens) assert.equal(answer.text.includes(token.slice(0, 12)), false, `part of a token in ${label}`);
    }
  });
});
