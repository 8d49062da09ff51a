/**
 * SPEC §4 route 3 at its limit: an account without customer-service permission and a model slower than all of
 * WeChat's deliveries. The last delivery gets the placeholder naming PICKUP_KEYWORD, the answer is kept for
 * pickup (paged), and messages sent meanwhile are new questions that reach the model and are answered too.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { markdownToWeChatText } from '../../src/delivery/text/markdown-to-text.js';
import { compact, longMarkdownAnswer, MARKDOWN_MARKERS, pickUpAnswer } from '../support/answer-texts.js';
import { eventually, modelOf, startDeliveryStack, type DeliveryStack } from '../support/delivery-stack.js';
import { replyText } from '../support/wechat-client.js';

const KEYWORD = '继续';
const PLACEHOLDER = /回复「继续」/;

describe('answers slower than every delivery, without customer-service permission', () => {
  let stack: DeliveryStack | undefined;
  after(() => stack?.close());

  it('placeholder on the third delivery, the answer paged for pickup; meanwhile another user and the same user are answered', async () => {
    stack = await startDeliveryStack({ wechat: { customServicePermission: false } });
    const { client } = stack;
    const model = modelOf(stack);
    const longAnswer = longMarkdownAnswer(2500);
    model.replyNext(
      { delayMs: 25_000, chunks: [longAnswer.slice(0, 1000), longAnswer.slice(1000)] },
      { chunks: ['另一位用户的问题，', '马上就有回答。'] },
      { chunks: ['第二个问题的回答：', '排在第一个回答之后。'] },
    );
    const user = 'oUserVerySlow';
    const first = client.sendText(user, '请写一篇关于消息投递的长文');
    await sleep(1500);
    // Another user is not held up by the slow answer.
    const other = await client.sendText('oOtherUser', '另一个用户的问题');
    assert.deepEqual(other.deliveries.map((each) => each.status), [200]);
    assert.equal(replyText(other), '另一位用户的问题，马上就有回答。');
    // The same user asks something else while the first answer is still being written: a new question.
    const second = client.sendText(user, '顺便问一下别的问题');

    const firstExchange = await first;
    assert.deepEqual(firstExchange.deliveries.map((each) => each.status), ['timeout', 'timeout', 200]);
    assert.ok(firstExchange.deliveries[2]!.ms < 5000);
    assert.match(replyText(firstExchange) ?? '', PLACEHOLDER);

    // Picking up before the answer is ready says that it is still coming (and does not ask the model).
    const early = await client.sendText(user, KEYWORD);
    assert.deepEqual(early.deliveries.map((each) => each.status), [200]);
    assert.match(replyText(early) ?? '', /还在准备中/);

    // The same user's second question is answered after the first (in order): it too outlasts WeChat's deliveries.
    const secondExchange = await second;
    assert.deepEqual(secondExchange.deliveries.map((each) => each.status), ['timeout', 'timeout', 200]);
    assert.match(replyText(secondExchange) ?? '', PLACEHOLDER);

    assert.ok(await eventually(() => model.chatRequests().length === 3, 15_000), 'the second question reaches the model');
    const pages = await pickUpAnswer(client, user, KEYWORD);
    assert.ok(pages.length >= 3, `a long answer is paged (${pages.length} pages)`);
    for (const page of pages) {
      assert.ok(Buffer.byteLength(page, 'utf8') <= 2048);
      assert.doesNotMatch(page, MARKDOWN_MARKERS);
    }
    assert.equal(compact(pages.join('')), compact(markdownToWeChatText(longAnswer)), 'nothing of the answer is lost');

    const next = await client.sendText(user, KEYWORD);
    assert.equal(replyText(next), '第二个问题的回答：排在第一个回答之后。');

    const requests = model.chatRequests();
    assert.equal(requests.length, 3, 'one model call per question; pickups never reach the model');
    const secondQuestion = requests[2]!.messages.filter((message) => message.role !== 'system');
    assert.deepEqual(secondQuestion.map((message) => message.role), ['user', 'assistant', 'user']);
    assert.equal(secondQuestion[2]!.content, '顺便问一下别的问题');
  });
});
