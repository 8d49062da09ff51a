/**
 * SPEC §5 resilience seen by users: a model failing with 500s. Each user gets EXTERNAL_SERVICE_ERROR_MSG within
 * the passive window; once EXTERNAL_SERVICE_BREAKER_THRESHOLD attempts in a row failed the circuit opens and the
 * model is no longer called; after EXTERNAL_SERVICE_BREAKER_COOLDOWN one probe call is let through — a failing
 * probe re-opens the circuit, a successful one closes it and users get answers again.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readinessCheck } from '../support/app-instances.js';
import { modelOf, startDeliveryStack, type DeliveryStack } from '../support/delivery-stack.js';
import { replyText, type Exchange } from '../support/wechat-client.js';

const ERROR_MESSAGE = '模型暂时不可用，请稍后再试';
const THRESHOLD = 3;
const COOLDOWN_MS = 1500;

describe('circuit breaker around the model', () => {
  let stack: DeliveryStack | undefined;
  after(() => stack?.close());

  it('errors within the window, then open (no calls), half-open probe (fails, re-opens), then recovers', async () => {
    stack = await startDeliveryStack({
      env: { EXTERNAL_SERVICE_ERROR_MSG: ERROR_MESSAGE, EXTERNAL_SERVICE_BREAKER_THRESHOLD: String(THRESHOLD), EXTERNAL_SERVICE_BREAKER_COOLDOWN: String(COOLDOWN_MS / 1000) },
    });
    const { client, instance } = stack;
    const model = modelOf(stack);
    model.setDefaultReply({ error: { status: 500, message: 'upstream exploded' } });
    const calls = () => model.chatRequests().length;
    const circuit = async () => readinessCheck(await instance.request('GET', '/readyz'), 'ai-service').detail ?? '';
    const answeredInTime = (exchange: Exchange) => {
      assert.deepEqual(exchange.deliveries.map((each) => each.status), [200]);
      assert.ok(exchange.deliveries[0]!.ms < 5000);
      return replyText(exchange);
    };

    // A failing service: retried (retryable 500s) until the threshold is reached, the user told in time.
    assert.equal(answeredInTime(await client.sendText('oBreaker1', '第一个问题')), ERROR_MESSAGE);
    assert.equal(calls(), THRESHOLD, 'the first question is tried THRESHOLD times (first attempt and retries)');
    assert.match(await circuit(), /circuit open/);

    // Open: answered at once with the error message, the model is not called.
    const started = performance.now();
    assert.equal(answeredInTime(await client.sendText('oBreaker2', '第二个问题')), ERROR_MESSAGE);
    assert.ok(performance.now() - started < 1000, 'an open circuit fails fast');
    assert.equal(calls(), THRESHOLD);

    // After the cool-down, one probe reaches the model; it fails, and the circuit opens again.
    await sleep(COOLDOWN_MS + 200);
    assert.match(await circuit(), /circuit half-open/);
    assert.equal(answeredInTime(await client.sendText('oBreaker3', '第三个问题')), ERROR_MESSAGE);
    assert.equal(calls(), THRESHOLD + 1, 'one probe, not retried while the circuit is half-open');
    assert.equal(answeredInTime(await client.sendText('oBreaker4', '第四个问题')), ERROR_MESSAGE);
    assert.equal(calls(), THRESHOLD + 1);

    // The service recovers: the next probe closes the circuit, answers flow again.
    model.setDefaultReply({ chunks: ['恢复正常了。'] });
    await sleep(COOLDOWN_MS + 200);
    assert.equal(answeredInTime(await client.sendText('oBreaker5', '第五个问题')), '恢复正常了。');
    assert.equal(answeredInTime(await client.sendText('oBreaker6', '第六个问题')), '恢复正常了。');
    assert.equal(calls(), THRESHOLD + 3);
    assert.match(await circuit(), /circuit closed/);
  });
});
