/**
 * The limits as a router step, with the real router, memory counters and a memory usage store: which messages
 * count, the order (budgets, then rate), exempt users, the messages and metrics of each refusal, and that a limit
 * that cannot be checked lets the message through.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { LimitsConfig } from '../../../src/config/app-config.js';
import { Router, type HandlerContext, type HandlerResult } from '../../../src/conversation/router.js';
import { anyLimit, limitsHandler } from '../../../src/guard/limits/limits-handler.js';
import { MemoryRateCounter } from '../../../src/guard/limits/memory-rate-counter.js';
import { MemoryUsageStore } from '../../../src/guard/usage/memory-usage-store.js';
import { createMetrics } from '../../../src/metrics/metrics.js';
import type { InboundMessage } from '../../../src/wechat/message/types.js';

const OFF: LimitsConfig = { ratePerMinute: 0, userDailyTokenBudget: 0, accountDailyTokenBudget: 0, exemptOpenIds: [], rateMessage: 'too fast', budgetMessage: 'no budget' };
const AI_ANSWER = { type: 'text', content: 'from the AI' } as const;
const NOW = Date.parse('2025-06-01T04:00:00Z');

function text(from: string, content = 'question'): InboundMessage {
  return { kind: 'text', msgType: 'text', toUserName: 'gh_account', fromUserName: from, createTime: 1, msgId: '1', content, fields: {} };
}

function setUp(limits: Partial<LimitsConfig>, options: { counter?: MemoryRateCounter | { hit(): Promise<number>; close(): Promise<void> } } = {}) {
  const config = { ...OFF, ...limits };
  const usage = new MemoryUsageStore();
  const metrics = createMetrics({ instance: 'test', version: 'test', defaultMetrics: false });
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  let aiCalls = 0;
  const router = new Router()
    .use(limitsHandler({ limits: config, usage, counter: options.counter ?? new MemoryRateCounter(), metrics, now: () => NOW }))
    .use(() => {
      aiCalls += 1;
      return AI_ANSWER;
    });
  const send = (message: InboundMessage): Promise<HandlerResult> => {
    const context: HandlerContext = { message, appId: 'wx1', messageKey: `k${Math.random()}`, log };
    return Promise.resolve(router.handle(context));
  };
  const rejections = async (limit: string): Promise<number> => {
    const metric = await metrics.limitRejections.get();
    return metric.values.find((value) => value.labels.limit === limit)?.value ?? 0;
  };
  return { send, usage, aiCalls: () => aiCalls, lines, rejections };
}

describe('limits handler', () => {
  it('rate: the message after the limit gets RATE_LIMIT_MESSAGE and reaches no AI; another user is not affected', async () => {
    const { send, aiCalls, rejections, lines } = setUp({ ratePerMinute: 2 });
    assert.deepEqual(await send(text('oAlice')), AI_ANSWER);
    assert.deepEqual(await send(text('oAlice')), AI_ANSWER);
    assert.deepEqual(await send(text('oAlice')), { type: 'text', content: 'too fast' });
    assert.deepEqual(await send(text('oBob')), AI_ANSWER);
    assert.equal(aiCalls(), 3);
    assert.equal(await rejections('rate'), 1);
    assert.match(lines.join(''), /"limit":"rate".*message refused: over a limit/);
    assert.doesNotMatch(lines.join(''), /oAlice/, 'no openid in the log');
  });

  it('only messages the AI would answer count: events pass untouched', async () => {
    const { send, aiCalls } = setUp({ ratePerMinute: 1 });
    const click: InboundMessage = { kind: 'click', msgType: 'event', event: 'CLICK', eventKey: 'K', toUserName: 'gh', fromUserName: 'oAlice', createTime: 1, fields: {} };
    await send(click);
    await send(click);
    assert.deepEqual(await send(text('oAlice')), AI_ANSWER);
    assert.equal(aiCalls(), 3);
  });

  it('user budget: spent ≥ budget → TOKEN_BUDGET_MESSAGE; under it → the AI', async () => {
    const { send, usage, aiCalls, rejections } = setUp({ userDailyTokenBudget: 100 });
    await usage.record({ openId: 'oAlice', model: 'm', inputTokens: 60, outputTokens: 39, estimated: false, at: NOW });
    assert.deepEqual(await send(text('oAlice')), AI_ANSWER, '99 of 100');
    await usage.record({ openId: 'oAlice', model: 'm', inputTokens: 1, outputTokens: 0, estimated: false, at: NOW });
    assert.deepEqual(await send(text('oAlice')), { type: 'text', content: 'no budget' });
    assert.deepEqual(await send(text('oBob')), AI_ANSWER);
    assert.equal(aiCalls(), 2);
    assert.equal(await rejections('user_budget'), 1);
  });

  it('yesterday\'s usage does not count against today\'s budget', async () => {
    const { send, usage } = setUp({ userDailyTokenBudget: 100 });
    await usage.record({ openId: 'oAlice', model: 'm', inputTokens: 500, outputTokens: 0, estimated: false, at: NOW - 86_400_000 });
    assert.deepEqual(await send(text('oAlice')), AI_ANSWER);
  });

  it('account budget: everyone refused once the account spent it, exempt users excepted', async () => {
    const { send, usage, rejections } = setUp({ accountDailyTokenBudget: 100, exemptOpenIds: ['oOperator'] });
    await usage.record({ openId: 'oAlice', model: 'm', inputTokens: 70, outputTokens: 30, estimated: false, at: NOW });
    assert.deepEqual(await send(text('oBob')), { type: 'text', content: 'no budget' });
    assert.deepEqual(await send(text('oOperator')), AI_ANSWER);
    assert.equal(await rejections('account_budget'), 1);
  });

  it('exempt users pass every limit', async () => {
    const { send, usage, aiCalls } = setUp({ ratePerMinute: 1, userDailyTokenBudget: 10, exemptOpenIds: ['oOperator', 'oTester'] });
    await usage.record({ openId: 'oOperator', model: 'm', inputTokens: 500, outputTokens: 0, estimated: false, at: NOW });
    for (let index = 0; index < 5; index++) assert.deepEqual(await send(text('oOperator')), AI_ANSWER);
    assert.equal(aiCalls(), 5);
  });

  it('a message refused for the budget does not use up the rate', async () => {
    const counter = new MemoryRateCounter();
    const { send, usage } = setUp({ ratePerMinute: 5, userDailyTokenBudget: 10 }, { counter });
    await usage.record({ openId: 'oAlice', model: 'm', inputTokens: 10, outputTokens: 0, estimated: false, at: NOW });
    await send(text('oAlice'));
    await send(text('oAlice'));
    assert.equal(await counter.hit('oAlice'), 1);
  });

  it('limits that cannot be checked (Redis down) let the message through, with a warning', async () => {
    const broken = { hit: () => Promise.reject(new Error('connection lost')), close: async () => {} };
    const { send, lines } = setUp({ ratePerMinute: 1 }, { counter: broken });
    assert.deepEqual(await send(text('oAlice')), AI_ANSWER);
    assert.deepEqual(await send(text('oAlice')), AI_ANSWER);
    assert.match(lines.join(''), /could not check the limits/);
  });

  it('anyLimit: off unless a limit is set; a rate limit needs a counter', () => {
    assert.equal(anyLimit(OFF), false);
    assert.equal(anyLimit({ ...OFF, exemptOpenIds: ['x'] }), false);
    assert.equal(anyLimit({ ...OFF, accountDailyTokenBudget: 1 }), true);
    assert.throws(() => limitsHandler({ limits: { ...OFF, ratePerMinute: 3 }, usage: new MemoryUsageStore() }), /needs a rate counter/);
  });
});
