/**
 * SPEC §4 for long answers (a 6,000-character Chinese Markdown answer): customer-service messages stay within
 * 2048 bytes each and 5 per user message, Markdown becomes plain text, and nothing is lost — the rest is linked
 * (`/a/:id`, with PUBLIC_BASE_URL) or left for pickup. An answer ready in time sends its first part passively.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { markdownToWeChatText } from '../../src/delivery/text/markdown-to-text.js';
import { compact, longMarkdownAnswer, MARKDOWN_MARKERS, pickUpAnswer, withoutContinuation } from '../support/answer-texts.js';
import { eventually, modelOf, startDeliveryStack, type DeliveryStack } from '../support/delivery-stack.js';
import { replyText } from '../support/wechat-client.js';

const PUBLIC_BASE_URL = 'https://bot.example.com';
const QUOTA = 5;
const answer = longMarkdownAnswer(6000);
const expected = markdownToWeChatText(answer);
/** The answer streamed in pieces of ~500 characters, after `delayMs` of thinking. */
const streamed = (delayMs: number) => ({ delayMs, chunks: answer.match(/[\s\S]{1,500}/g) ?? [], chunkDelayMs: 20 });

const stacks: DeliveryStack[] = [];
async function stack(...options: Parameters<typeof startDeliveryStack>): Promise<DeliveryStack> {
  const started = await startDeliveryStack(...options);
  stacks.push(started);
  return started;
}

/** Waits until `openId` has had customer-service messages and no more arrive for a second. */
async function settledMessages(delivery: DeliveryStack, openId: string): Promise<string[]> {
  assert.ok(await eventually(() => delivery.customerServiceTexts(openId).length > 0, 10_000), 'customer-service messages arrive');
  for (let count = -1; count !== delivery.customerServiceTexts(openId).length; ) {
    count = delivery.customerServiceTexts(openId).length;
    await sleep(1000);
  }
  return delivery.customerServiceTexts(openId);
}

function assertWeChatTexts(messages: string[]): void {
  for (const message of messages) {
    assert.ok(Buffer.byteLength(message, 'utf8') <= 2048, `${Buffer.byteLength(message, 'utf8')} bytes`);
    assert.doesNotMatch(message, MARKDOWN_MARKERS, 'Markdown is rendered as plain text');
  }
}

describe('long answers', { concurrency: true }, () => {
  after(() => Promise.all(stacks.map((each) => each.close())));

  assert.ok(answer.length >= 6000 && Buffer.byteLength(expected, 'utf8') > QUOTA * 2048, 'the answer needs more than the quota');

  it('by customer-service messages with PUBLIC_BASE_URL: at most 5, the last links /a/:id, which serves the whole answer', async () => {
    const delivery = await stack({ env: { PUBLIC_BASE_URL } });
    modelOf(delivery).replyNext(streamed(5000));
    const exchange = await delivery.client.sendText('oLongLinked', '详细讲讲');
    assert.equal(exchange.reply, 'success');
    const messages = await settledMessages(delivery, 'oLongLinked');
    assert.ok(messages.length <= QUOTA, `${messages.length} messages`);
    assertWeChatTexts(messages);
    const link = new RegExp(`${PUBLIC_BASE_URL}/a/([A-Za-z0-9_-]+)$`).exec(messages.at(-1)!);
    assert.ok(link, `the last message links the full answer: …${messages.at(-1)!.slice(-80)}`);
    const page = await delivery.instance.request('GET', `/a/${link[1]}`);
    assert.equal(page.status, 200);
    const served = /<pre>([\s\S]*)<\/pre>/.exec(page.text)?.[1] ?? '';
    assert.equal(served.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&'), expected);
    assert.ok(compact(expected).startsWith(compact(messages.map(withoutContinuation).join(''))), 'the messages are the start of the answer, in order');
    assert.equal(modelOf(delivery).chatRequests().length, 1);
  });

  it('by customer-service messages without PUBLIC_BASE_URL: at most 5, the rest by pickup pages', async () => {
    const delivery = await stack();
    modelOf(delivery).replyNext(streamed(5000));
    const exchange = await delivery.client.sendText('oLongPickup', '详细讲讲');
    assert.equal(exchange.reply, 'success');
    const messages = await settledMessages(delivery, 'oLongPickup');
    assert.ok(messages.length <= QUOTA, `${messages.length} messages`);
    assertWeChatTexts(messages);
    assert.match(messages.at(-1)!, /回复「继续」/);
    const pages = await pickUpAnswer(delivery.client, 'oLongPickup', '继续');
    assertWeChatTexts(pages);
    assert.equal(compact([...messages.map(withoutContinuation), ...pages].join('')), compact(expected), 'nothing is lost');
    assert.equal(modelOf(delivery).chatRequests().length, 1);
  });

  it('ready in time, with permission: the first part passively, the rest by customer-service messages (and link)', async () => {
    const delivery = await stack({ env: { PUBLIC_BASE_URL } });
    modelOf(delivery).replyNext(streamed(500));
    const exchange = await delivery.client.sendText('oLongFast', '详细讲讲');
    assert.deepEqual(exchange.deliveries.map((each) => each.status), [200]);
    const first = replyText(exchange) ?? '';
    assertWeChatTexts([first]);
    const messages = await settledMessages(delivery, 'oLongFast');
    assert.ok(messages.length <= QUOTA, `${messages.length} messages`);
    assertWeChatTexts(messages);
    const link = new RegExp(`${PUBLIC_BASE_URL}/a/([A-Za-z0-9_-]+)$`).exec(messages.at(-1)!);
    assert.ok(link, 'what does not fit is linked');
    assert.equal((await delivery.instance.request('GET', `/a/${link[1]}`)).status, 200);
    assert.ok(compact(expected).startsWith(compact([first, ...messages.map(withoutContinuation)].join(''))), 'passive part and messages continue each other');
  });

  it('ready in time, without permission: the first part passively with a pickup hint, the rest by pickup pages', async () => {
    const delivery = await stack({ wechat: { customServicePermission: false } });
    modelOf(delivery).replyNext(streamed(500));
    const exchange = await delivery.client.sendText('oLongFastUnverified', '详细讲讲');
    const first = replyText(exchange) ?? '';
    assertWeChatTexts([first]);
    assert.match(first, /回复「继续」/);
    const pages = await pickUpAnswer(delivery.client, 'oLongFastUnverified', '继续');
    assertWeChatTexts(pages);
    assert.equal(compact([withoutContinuation(first), ...pages].join('')), compact(expected), 'nothing is lost');
    assert.deepEqual(delivery.customerServiceMessages('oLongFastUnverified'), []);
  });
});
