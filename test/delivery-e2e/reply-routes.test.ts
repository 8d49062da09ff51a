/**
 * SPEC §4, the three routes of `REPLY_MODE=auto`, end to end: WeChat (the test client: 5 s per delivery, three
 * deliveries) → the real server → a fake OpenAI-compatible model, with a fake WeChat API receiving the
 * customer-service messages. The scenarios are independent stacks and run side by side.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, modelOf, startDeliveryStack, type DeliveryStack } from '../support/delivery-stack.js';
import { replyText } from '../support/wechat-client.js';

const stacks: DeliveryStack[] = [];
async function stack(...options: Parameters<typeof startDeliveryStack>): Promise<DeliveryStack> {
  const started = await startDeliveryStack(...options);
  stacks.push(started);
  return started;
}

describe('answer delivery: passive, customer-service, held for retries', { concurrency: true }, () => {
  after(() => Promise.all(stacks.map((each) => each.close())));

  it('an answer ready in 1 s: one passive reply with it, one model call, no customer-service message', async () => {
    const delivery = await stack();
    const model = modelOf(delivery);
    model.replyNext({ delayMs: 1000, chunks: ['北京今天', '晴，', '最高气温 25 度。'] });
    const exchange = await delivery.client.sendText('oUserFast', '北京天气怎么样？');
    assert.deepEqual(exchange.deliveries.map((each) => each.status), [200]);
    assert.equal(replyText(exchange), '北京今天晴，最高气温 25 度。');
    assert.ok(typeof exchange.reply === 'object' && exchange.reply.signatureValid === true);
    await sleep(500);
    assert.equal(model.chatRequests().length, 1);
    assert.deepEqual(delivery.customerServiceMessages('oUserFast'), []);
  });

  it('an answer taking 8 s, with customer-service permission: success within 5 s, the answer as a customer-service message, once', async () => {
    const delivery = await stack();
    const model = modelOf(delivery);
    model.replyNext({ delayMs: 8000, chunks: ['这是一个', '需要思考很久的回答。'] });
    const exchange = await delivery.client.sendText('oUserSlowVerified', '慢问题');
    assert.deepEqual(exchange.deliveries.map((each) => each.status), [200], 'the first delivery is answered: WeChat does not retry');
    assert.ok(exchange.deliveries[0]!.ms < 5000, `answered after ${exchange.deliveries[0]!.ms} ms`);
    assert.equal(exchange.reply, 'success');
    assert.ok(await eventually(() => delivery.customerServiceTexts('oUserSlowVerified').length > 0, 6000), 'the answer arrives by customer-service message');
    // A late retry of the same message (WeChat's, should the success have got lost) changes nothing.
    const again = await delivery.client.deliver(exchange.request);
    assert.equal(again.reply, 'success');
    await sleep(1000);
    assert.deepEqual(delivery.customerServiceTexts('oUserSlowVerified'), ['这是一个需要思考很久的回答。']);
    assert.equal(model.chatRequests().length, 1);
    assert.ok((delivery.wechat.state.typing.get('oUserSlowVerified') ?? []).length >= 1, 'the typing indicator was shown');
  });

  it('an answer taking 8 s, without customer-service permission: held, then the passive reply on the second delivery', async () => {
    const delivery = await stack({ wechat: { customServicePermission: false } });
    const model = modelOf(delivery);
    model.replyNext({ delayMs: 8000, chunks: ['没有客服权限', '也能收到的回答。'] });
    const exchange = await delivery.client.sendText('oUserSlowUnverified', '慢问题');
    assert.deepEqual(exchange.deliveries.map((each) => each.status), ['timeout', 200]);
    assert.ok(exchange.deliveries[1]!.ms < 5000, `the retry was answered after ${exchange.deliveries[1]!.ms} ms`);
    assert.equal(replyText(exchange), '没有客服权限也能收到的回答。');
    assert.equal(model.chatRequests().length, 1);
    assert.deepEqual(delivery.customerServiceMessages('oUserSlowUnverified'), []);
  });

  it('REPLY_MODE=passive holds for a retry even with customer-service permission, and never probes it', async () => {
    const delivery = await stack({ env: { REPLY_MODE: 'passive' } });
    const model = modelOf(delivery);
    model.replyNext({ delayMs: 7000, chunks: ['被动模式的回答。'] });
    const exchange = await delivery.client.sendText('oUserPassiveMode', '慢问题');
    assert.deepEqual(exchange.deliveries.map((each) => each.status), ['timeout', 200]);
    assert.equal(replyText(exchange), '被动模式的回答。');
    assert.equal(model.chatRequests().length, 1);
    assert.deepEqual(delivery.customerServiceMessages('oUserPassiveMode'), []);
    assert.equal(delivery.wechat.callsTo('/cgi-bin/message/custom/typing').length, 0);
  });
});
