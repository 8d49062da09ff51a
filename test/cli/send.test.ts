/**
 * `wx-backend send OPENID TEXT` against the fake WeChat API, in-process: a customer-service text message, and
 * WeChat's refusals with their hints.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoStackTrace, startCliFixture, type CliFixture } from './cli-fixture.js';

describe('wx-backend send', () => {
  let fixture: CliFixture;
  before(async () => {
    fixture = await startCliFixture({ customServiceQuota: 2 });
  });
  after(() => fixture.close());

  it('sends TEXT (the remaining words) to a user who wrote recently', async () => {
    fixture.fake.noteUserMessage('oWriter');
    const result = await fixture.run(['send', 'oWriter', '您好，', '订单已发货']);
    assert.equal(result.code, 0, result.output);
    assert.equal(result.stdout, 'sent to oWriter\n');
    const sent = fixture.fake.state.customerServiceMessages.get('oWriter');
    assert.equal(sent?.length, 1);
    assert.equal(sent?.[0]?.msgtype, 'text');
    assert.deepEqual(sent?.[0]?.content, { content: '您好， 订单已发货' });
  });

  it('--kf-account sends as that customer-service account', async () => {
    const result = await fixture.run(['send', 'oWriter', 'hi', '--kf-account', 'kf2001@account']);
    assert.equal(result.code, 0, result.output);
    assert.equal(fixture.fake.state.customerServiceMessages.get('oWriter')?.at(-1)?.kfAccount, 'kf2001@account');
  });

  it('45047 (quota for this user message used up) prints WeChat\'s hint', async () => {
    const result = await fixture.run(['send', 'oWriter', 'one more']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^wx-backend send: errcode 45047: /m);
    assert.match(result.stderr, /hint: the customer-service message quota for this user message is used up/);
  });

  it('45015 (no message from the user in 48 hours) prints WeChat\'s hint', async () => {
    fixture.fake.addUser({ openId: 'oSilent' });
    const result = await fixture.run(['send', 'oSilent', 'hello']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^wx-backend send: errcode 45015: /m);
    assert.match(result.stderr, /hint: the user has not interacted with the account in the last 48 hours/);
    assertNoStackTrace(result.output);
  });

  it('48001 (no customer-service permission) prints WeChat\'s hint', async () => {
    fixture.fake.setCustomServicePermission(false);
    fixture.fake.noteUserMessage('oWriter');
    const result = await fixture.run(['send', 'oWriter', 'hello']);
    fixture.fake.setCustomServicePermission(true);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /errcode 48001: .*\n {2}hint: the account has no permission for this API \(unverified accounts/);
  });

  it('a busy answer (-1) is not repeated: a user must never get a message twice', async () => {
    fixture.fake.noteUserMessage('oWriter');
    fixture.fake.failNext('/cgi-bin/message/custom/send', -1);
    const before = fixture.fake.callsTo('/cgi-bin/message/custom/send').length;
    const result = await fixture.run(['send', 'oWriter', 'hello']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /errcode -1/);
    assert.equal(fixture.fake.callsTo('/cgi-bin/message/custom/send').length, before + 1);
  });
});
