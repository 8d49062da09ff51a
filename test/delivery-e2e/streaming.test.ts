/**
 * SPEC §4 route 2, progressively: a model that streams its answer over 20 s, on an account with customer-service
 * permission. The first complete paragraph goes as the passive reply as soon as it is ready (no waiting for the end
 * of the passive window), the rest follows by customer-service messages as more paragraphs complete — long before
 * the stream ends — and the whole answer arrives within the quota, in order, nothing lost or repeated.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { markdownToWeChatText } from '../../src/delivery/text/markdown-to-text.js';
import { compact, MARKDOWN_MARKERS, pickUpAnswer, withoutContinuation } from '../support/answer-texts.js';
import { replyText } from '../support/wechat-client.js';
import { eventually, modelOf, startDeliveryStack, type DeliveryStack } from '../support/delivery-stack.js';

const PARAGRAPHS = 20;
const CHUNK_DELAY_MS = 1000;
/** One paragraph per chunk (about 70 characters each), a blank line after each. */
const chunks = Array.from({ length: PARAGRAPHS }, (_, index) =>
  `第${index + 1}段：模型正在一边思考一边输出答案，**每一段**都是完整的一段话。客服消息可以在流式输出的过程中逐步发送给用户，不必等到全部结束。\n\n`);
const expected = markdownToWeChatText(chunks.join(''));

describe('a streamed answer', () => {
  let stack: DeliveryStack | undefined;
  after(() => stack?.close());

  it('streams for 20 s: the first paragraph is the passive reply, the rest follows by customer-service messages within 8 s, at most 5, nothing lost', async (t) => {
    stack = await startDeliveryStack();
    const delivery = stack;
    const model = modelOf(delivery);
    model.replyNext({ chunks, chunkDelayMs: CHUNK_DELAY_MS });
    const user = 'oUserStreaming';
    const exchange = await delivery.client.sendText(user, '边想边说');
    const passive = replyText(exchange) ?? '';
    assert.match(passive, /^第1段/, 'the first paragraph is the passive reply');
    assert.ok(exchange.endedAt - exchange.sentAt < 3500, `passive reply after ${Math.round(exchange.endedAt - exchange.sentAt)} ms`);
    // `at` of the fake's messages is Date.now(); the exchange's times are performance.now().
    const sentAt = Date.now() - (performance.now() - exchange.sentAt);

    assert.ok(await eventually(() => delivery.customerServiceMessages(user).length > 0, 8000), 'a first message while the model still streams');
    const firstAt = delivery.customerServiceMessages(user)[0]!.at - sentAt;
    assert.ok(firstAt < 8000, `first customer-service message ${firstAt} ms after the user's message`);

    const streamEnds = PARAGRAPHS * CHUNK_DELAY_MS;
    assert.ok(await eventually(() => /回复「继续」|第20段/.test(delivery.customerServiceTexts(user).at(-1) ?? ''), streamEnds + 5000), 'the end of the answer arrives');
    const messages = delivery.customerServiceTexts(user);
    const lastAt = delivery.customerServiceMessages(user).at(-1)!.at - sentAt;
    assert.ok(lastAt >= streamEnds - 1000, `the last message waits for the end of the stream (${lastAt} ms)`);
    assert.ok(messages.length >= 2 && messages.length <= 5, `${messages.length} messages`);
    for (const message of messages) {
      assert.ok(Buffer.byteLength(message, 'utf8') <= 2048);
      assert.doesNotMatch(message, MARKDOWN_MARKERS);
    }
    const typing = delivery.wechat.state.typing.get(user) ?? [];
    assert.ok(typing.length >= 2, 'the typing indicator is shown while more is coming');

    const pages = /回复「继续」/.test(messages.at(-1)!) ? await pickUpAnswer(delivery.client, user, '继续') : [];
    assert.equal(compact([passive, ...messages.map(withoutContinuation), ...pages].join('')), compact(expected), 'nothing lost, nothing twice, in order');
    assert.equal(model.chatRequests().length, 1);
    t.diagnostic(`first message after ${firstAt} ms, ${messages.length} messages, last after ${lastAt} ms, ${pages.length} pickup pages`);
  });

  it('the first paragraph ready 2.5 s after the question reaches the user by 3.5 s; all paragraphs follow in order, none twice', async (t) => {
    const delivery = await startDeliveryStack();
    after(() => delivery.close());
    const model = modelOf(delivery);
    const paragraphs = chunks.slice(0, 6);
    model.replyNext({ delayMs: 2500, chunks: paragraphs, chunkDelayMs: 1000 });
    const user = 'oUserFirstParagraph';
    const exchange = await delivery.client.sendText(user, '先说第一段');
    const elapsed = exchange.endedAt - exchange.sentAt;
    assert.match(replyText(exchange) ?? '', /^第1段/);
    assert.ok(elapsed >= 2400 && elapsed < 3500, `the first paragraph reached the user ${Math.round(elapsed)} ms after the question`);
    assert.ok(await eventually(() => /第6段/.test(delivery.customerServiceTexts(user).join('')), 10_000), 'the rest arrives');
    const texts = delivery.customerServiceTexts(user);
    assert.ok(texts.length <= 5, `${texts.length} customer-service messages`);
    assert.equal(compact([replyText(exchange) ?? '', ...texts].join('')), compact(markdownToWeChatText(paragraphs.join(''))));
    t.diagnostic(`first paragraph after ${Math.round(elapsed)} ms, then ${texts.length} customer-service messages`);
  });
});
