/**
 * Durable answer jobs, one user's messages spread over instances: three messages sent 100 ms apart, each to
 * another of three instances (real processes sharing Redis), are answered in order — though the first answer is
 * the slowest — and each model call sees the turns before it. And two long answers for one user, from two
 * instances, stay within what WeChat allows after a message (5 customer-service messages: a second message does
 * not add 5 more): WeChat refuses nothing (no 45047), and what did not fit is left for pickup.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { markdownToWeChatText } from '../../src/delivery/text/markdown-to-text.js';
import { compact, longMarkdownAnswer, pickUpAnswer, withoutContinuation } from '../support/answer-texts.js';
import { eventually } from '../support/delivery-stack.js';
import { startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';
import { requireRedis } from '../support/redis.js';
import type { Exchange } from '../support/wechat-client.js';

async function cluster(t: TestContext, options: Parameters<typeof startProcessCluster>[0]): Promise<ProcessCluster | undefined> {
  if (!(await requireRedis(t))) return undefined;
  const started = await startProcessCluster(options);
  t.after(() => started.close());
  return started;
}

/** Sends `questions` from `user`, 100 ms apart, question i to instance i (directly, as a load balancer might). */
async function spread(stack: ProcessCluster, user: string, questions: string[]): Promise<Exchange[]> {
  const exchanges: Array<Promise<Exchange>> = [];
  for (const [index, question] of questions.entries()) {
    if (index > 0) await sleep(100);
    exchanges.push(stack.clientOf(index).sendText(user, question));
  }
  return Promise.all(exchanges);
}

/** The text of a chat message as the model received it. */
function contentText(content: unknown): string {
  return typeof content === 'string' ? content : JSON.stringify(content);
}

describe('one user\'s messages reaching different instances', { concurrency: true }, () => {
  it('three messages to three instances are answered in order, each model call with the earlier turns', async (t) => {
    const stack = await cluster(t, { instances: 3, env: { PASSIVE_WINDOW_MS: '1000' } });
    if (stack === undefined) return;
    const user = 'oUserThreeInstances';
    const questions = ['第一个问题', '第二个问题', '第三个问题'];
    const answers = ['第一个回答。', '第二个回答。', '第三个回答。'];
    // Every answer outlasts the passive window (customer-service messages); the first is the slowest.
    stack.model.replyNext({ delayMs: 4000, chunks: [answers[0]!] }, { delayMs: 2500, chunks: [answers[1]!] }, { delayMs: 1500, chunks: [answers[2]!] });
    const exchanges = await spread(stack, user, questions);
    assert.deepEqual(exchanges.map((exchange) => exchange.reply), ['success', 'success', 'success'], JSON.stringify(exchanges.map((exchange) => exchange.deliveries)));
    assert.ok(await eventually(() => stack.customerServiceTexts(user).length === 3, 20_000), `three answers; got ${JSON.stringify(stack.customerServiceTexts(user))}\n${stack.output()}`);
    await sleep(500);
    assert.deepEqual(stack.customerServiceTexts(user), answers, 'in the order of the questions');

    const calls = stack.model.chatRequests();
    assert.equal(calls.length, 3);
    const turns = calls.map((call) => call.messages.filter((message) => message.role !== 'system').map((message) => `${message.role}:${contentText(message.content)}`));
    assert.deepEqual(turns[0], [`user:${questions[0]}`]);
    assert.deepEqual(turns[1], [`user:${questions[0]}`, `assistant:${answers[0]}`, `user:${questions[1]}`]);
    assert.deepEqual(turns[2], [`user:${questions[0]}`, `assistant:${answers[0]}`, `user:${questions[1]}`, `assistant:${answers[1]}`, `user:${questions[2]}`]);
    const producers = stack.instances.map((instance) => instance.logLines(/agent answered/).length);
    assert.equal(producers.reduce((sum, count) => sum + count, 0), 3, `answers produced per instance: ${JSON.stringify(producers)}`);
  });

  it('two long answers for one user from two instances: at most 5 customer-service messages in all, none refused, the rest left for pickup', async (t) => {
    const stack = await cluster(t, { instances: 2, env: { PASSIVE_WINDOW_MS: '1000' } });
    if (stack === undefined) return;
    const user = 'oUserTwoLongAnswers';
    // About 4900 bytes each: three messages of 2048 bytes at most; two answers would need six.
    const first = longMarkdownAnswer(1500);
    const second = longMarkdownAnswer(1500).replaceAll('投递规则', '第二个回答');
    stack.model.replyNext({ delayMs: 1500, chunks: [first] }, { delayMs: 1500, chunks: [second] });
    const exchanges = await spread(stack, user, ['第一个长问题', '第二个长问题']);
    assert.deepEqual(exchanges.map((exchange) => exchange.reply), ['success', 'success'], JSON.stringify(exchanges.map((exchange) => exchange.deliveries)));

    const expected = compact(markdownToWeChatText(first)) + compact(markdownToWeChatText(second));
    // Both answers' deliveries logged (route customer_service), then a moment for anything that might still follow.
    const delivered = (): number => stack.instances.flatMap((instance) => instance.logLines(/^message answered$/)).filter((line) => line.route === 'customer_service').length;
    assert.ok(await eventually(() => delivered() === 2, 20_000), `both answers delivered\n${stack.output()}`);
    await sleep(1500);
    const texts = stack.customerServiceTexts(user);
    const sends = stack.wechat.callsTo('/cgi-bin/message/custom/send');
    assert.deepEqual(sends.filter((call) => call.errcode !== 0).map((call) => call.errcode), [], 'WeChat refused no customer-service message (45047: over the allowance)');
    assert.ok(texts.length <= 5, `at most 5 customer-service messages after the two messages, got ${texts.length}`);
    assert.ok(texts.length >= 4, `the allowance was used: ${texts.length} messages`);
    assert.match(texts.at(-1)!, /回复「继续」/, 'the last message names 继续 for what did not fit');
    const picked = await pickUpAnswer(stack.clientOf(1), user, '继续');
    assert.equal(compact([...texts.map(withoutContinuation), ...picked].join('')), expected, 'both answers whole, in order');
    assert.equal(stack.model.chatRequests().length, 2);
    t.diagnostic(`${texts.length} customer-service messages, ${picked.length} pickup pages`);
  });
});
