/**
 * Issue 12's limits, end to end: the real server, the fake OpenAI-compatible model and the fake WeChat API over
 * HTTP, messages delivered as WeChat delivers them. Over the rate or a budget a user gets the configured message
 * as the passive reply and the model is not called; other users and exempt users are not affected; instances
 * sharing Redis share the counters.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RESET_DONE_MESSAGE } from '../../../src/conversation/handlers/reset-handler.js';
import { modelOf, startDeliveryStack, type DeliveryStack, type DeliveryStackOptions } from '../../support/delivery-stack.js';
import { parseExposition, valueOf } from '../../support/prometheus-text.js';
import { requireRedis } from '../../support/redis.js';
import { replyText } from '../../support/wechat-client.js';

const ANSWER = 'Hello from the fake';
const RATE_MESSAGE = '慢一点，一分钟后再问吧。';
const BUDGET_MESSAGE = '今天的额度用完了。';
const MESSAGES = { RATE_LIMIT_MESSAGE: RATE_MESSAGE, TOKEN_BUDGET_MESSAGE: BUDGET_MESSAGE };

const stacks: DeliveryStack[] = [];
async function stackWith(options: DeliveryStackOptions): Promise<DeliveryStack> {
  const stack = await startDeliveryStack(options);
  stacks.push(stack);
  return stack;
}

async function rejections(stack: DeliveryStack, index: number, limit: string): Promise<number> {
  const instance = stack.instances[index]!;
  const answer = await instance.request('GET', '/metrics', { headers: { authorization: `Bearer ${instance.server.config.adminToken}` } });
  return valueOf(parseExposition(answer.text), 'wx_limit_rejections_total', { limit });
}

describe('limits, end to end', { concurrency: true }, () => {
  after(() => Promise.all(stacks.map((stack) => stack.close())));

  it('rate: the third message in a minute gets RATE_LIMIT_MESSAGE and no model call; others and exempt users are answered', async () => {
    const stack = await stackWith({ env: { ...MESSAGES, RATE_LIMIT_PER_MINUTE: '2', LIMIT_EXEMPT_OPENIDS: 'oExemptA,oExemptB' } });
    const model = modelOf(stack);
    const send = async (openId: string, text = '你好'): Promise<string | undefined> => replyText(await stack.client.sendText(openId, text));

    assert.equal(await send('oRateAlice'), ANSWER);
    assert.equal(await send('oRateAlice'), ANSWER);
    assert.equal(model.chatRequests().length, 2);
    assert.equal(await send('oRateAlice'), RATE_MESSAGE);
    assert.equal(model.chatRequests().length, 2, 'the refused message reached no model');
    assert.equal(await send('oRateAlice'), RATE_MESSAGE);

    assert.equal(await send('oRateBob'), ANSWER, 'another user is not affected');
    for (let index = 0; index < 4; index++) assert.equal(await send('oExemptB'), ANSWER, 'an exempt user is not limited');
    assert.equal(model.chatRequests().length, 7);
    assert.equal(await rejections(stack, 0, 'rate'), 2);
  });

  it('rate: /reset is not a question for the model and does not count', async () => {
    const stack = await stackWith({ env: { ...MESSAGES, RATE_LIMIT_PER_MINUTE: '1' } });
    for (let index = 0; index < 3; index++) assert.equal(replyText(await stack.client.sendText('oRateReset', '/reset')), RESET_DONE_MESSAGE);
    assert.equal(replyText(await stack.client.sendText('oRateReset', '你好')), ANSWER);
    assert.equal(replyText(await stack.client.sendText('oRateReset', '你好')), RATE_MESSAGE);
    assert.equal(modelOf(stack).chatRequests().length, 1);
  });

  it('user budget: once a user\'s tokens today reach USER_DAILY_TOKEN_BUDGET, TOKEN_BUDGET_MESSAGE and no model call', async () => {
    const stack = await stackWith({ env: { ...MESSAGES, USER_DAILY_TOKEN_BUDGET: '100', LIMIT_EXEMPT_OPENIDS: 'oBudgetExempt' } });
    const model = modelOf(stack);
    model.setDefaultReply({ chunks: [ANSWER], usage: { prompt_tokens: 40, completion_tokens: 20 } });
    assert.equal(replyText(await stack.client.sendText('oBudgetAlice', 'q1')), ANSWER, '0 of 100 spent');
    assert.equal(replyText(await stack.client.sendText('oBudgetAlice', 'q2')), ANSWER, '60 of 100: the answer that crosses the budget is finished');
    assert.equal(replyText(await stack.client.sendText('oBudgetAlice', 'q3')), BUDGET_MESSAGE, '120 of 100');
    assert.equal(model.chatRequests().length, 2);
    assert.equal(replyText(await stack.client.sendText('oBudgetBob', 'q1')), ANSWER, 'another user has a budget of their own');
    for (let index = 0; index < 3; index++) assert.equal(replyText(await stack.client.sendText('oBudgetExempt', 'q')), ANSWER);
    assert.equal(model.chatRequests().length, 6);
    assert.equal(await rejections(stack, 0, 'user_budget'), 1);
  });

  it('account budget: once the account\'s tokens today reach ACCOUNT_DAILY_TOKEN_BUDGET, every user but the exempt ones is refused', async () => {
    const stack = await stackWith({ env: { ...MESSAGES, ACCOUNT_DAILY_TOKEN_BUDGET: '100', LIMIT_EXEMPT_OPENIDS: 'oAccountExempt' } });
    const model = modelOf(stack);
    model.setDefaultReply({ chunks: [ANSWER], usage: { prompt_tokens: 50, completion_tokens: 10 } });
    assert.equal(replyText(await stack.client.sendText('oAccountA', 'q')), ANSWER);
    assert.equal(replyText(await stack.client.sendText('oAccountB', 'q')), ANSWER, '60 of 100');
    assert.equal(replyText(await stack.client.sendText('oAccountC', 'q')), BUDGET_MESSAGE, '120 of 100');
    assert.equal(replyText(await stack.client.sendText('oAccountA', 'q')), BUDGET_MESSAGE);
    assert.equal(replyText(await stack.client.sendText('oAccountExempt', 'q')), ANSWER);
    assert.equal(model.chatRequests().length, 3);
    assert.equal(await rejections(stack, 0, 'account_budget'), 2);
  });

  it('no limit set: nothing is refused', async () => {
    const stack = await stackWith({});
    for (let index = 0; index < 8; index++) assert.equal(replyText(await stack.client.sendText('oUnlimited', 'q')), ANSWER);
    assert.equal(await rejections(stack, 0, 'rate'), 0);
  });

  it('two instances sharing Redis share the rate counter: messages through either count together', async (t) => {
    if (!(await requireRedis(t))) return;
    const stack = await stackWith({ instances: 2, env: { ...MESSAGES, RATE_LIMIT_PER_MINUTE: '2' } });
    const model = modelOf(stack);
    assert.equal(replyText(await stack.clientFor(0).sendText('oSharedRate', 'q')), ANSWER);
    assert.equal(replyText(await stack.clientFor(1).sendText('oSharedRate', 'q')), ANSWER);
    assert.equal(replyText(await stack.clientFor(0).sendText('oSharedRate', 'q')), RATE_MESSAGE);
    assert.equal(replyText(await stack.clientFor(1).sendText('oSharedRate', 'q')), RATE_MESSAGE);
    assert.equal(replyText(await stack.clientFor(1).sendText('oSharedRateOther', 'q')), ANSWER);
    assert.equal(model.chatRequests().length, 3);
  });

  it('two instances sharing Redis share the budgets: tokens spent through one instance are refused by the other', async (t) => {
    if (!(await requireRedis(t))) return;
    const stack = await stackWith({ instances: 2, env: { ...MESSAGES, USER_DAILY_TOKEN_BUDGET: '50', ACCOUNT_DAILY_TOKEN_BUDGET: '200' } });
    const model = modelOf(stack);
    model.setDefaultReply({ chunks: [ANSWER], usage: { prompt_tokens: 40, completion_tokens: 20 } });
    assert.equal(replyText(await stack.clientFor(0).sendText('oSharedBudgetA', 'q')), ANSWER);
    assert.equal(replyText(await stack.clientFor(1).sendText('oSharedBudgetA', 'q')), BUDGET_MESSAGE, 'user budget spent on instance 0');
    assert.equal(replyText(await stack.clientFor(1).sendText('oSharedBudgetB', 'q')), ANSWER);
    assert.equal(replyText(await stack.clientFor(0).sendText('oSharedBudgetC', 'q')), ANSWER, '120 of 200');
    assert.equal(replyText(await stack.clientFor(1).sendText('oSharedBudgetD', 'q')), ANSWER, '180 of 200');
    assert.equal(replyText(await stack.clientFor(0).sendText('oSharedBudgetE', 'q')), BUDGET_MESSAGE, '240 of 200: the account budget');
    assert.equal(model.chatRequests().length, 4);
  });
});
