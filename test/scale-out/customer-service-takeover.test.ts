/**
 * Durable answer jobs, an instance killed in the middle of a customer-service delivery: a long answer streams in
 * several sections, so that several customer-service messages go out (after the first section, which may go ahead
 * as the passive reply), and the instance running the job (A: either one — any worker may take it) is killed
 * (SIGKILL) at its first customer-service message.
 * B takes the job over, asks the model again and continues after what A sent (the ledger in Redis says what):
 * the user ends up with the whole answer — the customer-service messages, plus the pickup (继续) for what they
 * point to — with no message repeated and never more than 5 customer-service messages.
 *
 * Two moments of the kill: after WeChat confirmed the first message (B simply continues), and while its sending was
 * still unanswered (B cannot know whether it arrived: it never sends it again, leaves it for pickup and says so).
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { markdownToWeChatText } from '../../src/delivery/text/markdown-to-text.js';
import { compact, longMarkdownAnswer, pickUpAnswer, withoutContinuation } from '../support/answer-texts.js';
import { eventually } from '../support/delivery-stack.js';
import { jobRunner, startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';
import { requireRedis } from '../support/redis.js';
import { replyText, type Exchange } from '../support/wechat-client.js';

const ANSWER = longMarkdownAnswer(2000);
const EXPECTED = compact(markdownToWeChatText(ANSWER));
/** One chunk per section (about 1000 bytes each), 2 s apart: the stream outlasts the passive window by several seconds. */
const SECTIONS = ANSWER.split(/(?=\n## )/);
const STREAMED = { delayMs: 500, chunkDelayMs: 2000, chunks: SECTIONS };
/** B's model call: the same answer, at once. */
const AGAIN = { chunks: SECTIONS };
const SEND_PATH = '/cgi-bin/message/custom/send';
const TAKEOVER_LIMIT_MS = 25_000;
/** B's note when the message A was sending when it died may not have arrived. */
const UNCERTAIN_NOTE = /^（上一条消息可能没有送达，回复「继续」查看）\s*/;
const NAMES_PICKUP = /回复「继续」/;

/** Two instances; the long answer asked of A. `arrange` prepares the fakes before the message is sent. */
async function sendLongAnswer(t: TestContext, user: string, arrange: (stack: ProcessCluster) => void = () => {}): Promise<{ stack: ProcessCluster; exchange: Promise<Exchange> } | undefined> {
  if (!(await requireRedis(t))) return undefined;
  const stack = await startProcessCluster({ instances: 2 });
  t.after(() => stack.close());
  assert.ok(SECTIONS.length >= 5, `a long answer in ${SECTIONS.length} sections`);
  stack.model.replyNext(STREAMED, AGAIN);
  arrange(stack);
  stack.proxy.route(0);
  return { stack, exchange: stack.client().sendText(user, '请写一篇关于消息投递的长文') };
}

/** Kills the instance running the job (SIGKILL); WeChat's requests go to the other one. Returns the other's index. */
async function killWorker(stack: ProcessCluster): Promise<number> {
  const worker = jobRunner(stack);
  const other = 1 - worker;
  stack.proxy.route(other);
  await stack.instances[worker]!.stop('SIGKILL');
  return other;
}

/** Waits until B (the instance left) has delivered the rest (its `message answered` line), and a moment more. */
async function deliveredByB(stack: ProcessCluster, index: number): Promise<void> {
  const b = stack.instances[index]!;
  assert.ok(await eventually(() => b.logLines(/^message answered$/).length > 0, TAKEOVER_LIMIT_MS), `B finishes the delivery\n${stack.output()}`);
  await sleep(1500);
}

/** Checks what every run must keep to, whatever the moment of the kill. */
function checkLimits(stack: ProcessCluster, texts: string[]): void {
  assert.ok(texts.length <= 5, `at most 5 customer-service messages, got ${texts.length}`);
  assert.equal(new Set(texts).size, texts.length, 'no message repeated');
  assert.ok(stack.model.chatRequests().length <= 2, `model calls: ${stack.model.chatRequests().length}`);
  const refusals = stack.wechat.callsTo(SEND_PATH).filter((call) => call.errcode !== undefined && call.errcode !== 0);
  assert.deepEqual(refusals.map((call) => call.errcode), [], 'WeChat refused nothing');
}

describe('an instance killed in the middle of a customer-service delivery', { concurrency: true }, () => {
  it('killed after the first message was sent: B continues after it — the whole answer, nothing repeated, at most 5 messages', async (t) => {
    const user = 'oUserKilledAfterSend';
    const started = await sendLongAnswer(t, user);
    if (started === undefined) return;
    const { stack, exchange } = started;
    assert.ok(await eventually(() => stack.customerServiceMessages(user).length > 0, 15_000), `a first customer-service message from A\n${stack.output()}`);
    // A moment for A to record that WeChat took it (the next message waits for 1600 more bytes, 2 s per section).
    await sleep(300);
    const b = await killWorker(stack);
    const sentByA = stack.customerServiceTexts(user);
    assert.equal(sentByA.length, 1, 'killed after the first message');
    // The first section may have gone ahead as the passive reply (the rest then follows by customer-service messages).
    const passive = replyText(await exchange) ?? '';

    await deliveredByB(stack, b);
    const texts = stack.customerServiceTexts(user);
    checkLimits(stack, texts);
    assert.equal(texts[0], sentByA[0], 'the message A sent stays first');
    assert.ok(texts.length >= 2, 'B sent the rest');
    assert.ok(!texts.some((text) => UNCERTAIN_NOTE.test(text)), 'no "may not have arrived" note: A had recorded the message as sent');
    const picked = NAMES_PICKUP.test(texts.at(-1)!) ? await pickUpAnswer(stack.client(), user, '继续') : [];
    assert.equal(compact([passive, ...texts.map(withoutContinuation), ...picked].join('')), EXPECTED, 'the whole answer, once');
    const [continued] = stack.instances[b]!.logLines(/continuing a customer-service delivery taken over/);
    assert.deepEqual([continued?.sent, continued?.uncertain, continued?.matched], [1, 0, true], 'B continued after the one message A sent');
    t.diagnostic(`${texts.length} customer-service messages, ${picked.length} pickup pages, ${stack.model.chatRequests().length} model calls`);
  });

  it('killed while WeChat had not answered the first send: B never sends it again, leaves it for pickup and says so', async (t) => {
    const user = 'oUserKilledMidSend';
    // The first customer-service message reaches WeChat, whose answer takes long: A dies waiting for it (and this
    // fake, like a server whose client is gone, then drops the request).
    const started = await sendLongAnswer(t, user, (stack) => stack.wechat.delay(SEND_PATH, 10_000, { times: 1 }));
    if (started === undefined) return;
    const { stack, exchange } = started;
    assert.ok(await eventually(() => stack.wechat.callsTo(SEND_PATH).length > 0, 15_000), `A sends a first customer-service message\n${stack.output()}`);
    const b = await killWorker(stack);
    const [cut] = stack.wechat.callsTo(SEND_PATH);
    const cutText = String((cut!.body as { text: { content: string } }).text.content);
    const passive = replyText(await exchange) ?? '';

    await deliveredByB(stack, b);
    const texts = stack.customerServiceTexts(user);
    checkLimits(stack, texts);
    assert.ok(!texts.includes(cutText), 'the message whose sending was cut off is not sent again');
    assert.match(texts[0] ?? '', UNCERTAIN_NOTE, `B's first message says the previous one may not have arrived: ${JSON.stringify(texts[0]?.slice(0, 80))}`);
    const picked = await pickUpAnswer(stack.client(), user, '继续');
    assert.equal(compact(picked.join('')).startsWith(compact(cutText)), true, 'the pickup gives the message that may not have arrived');
    const received = [passive, ...picked, ...texts.map((text) => withoutContinuation(text.replace(UNCERTAIN_NOTE, '')))];
    assert.equal(compact(received.join('')), EXPECTED, 'the whole answer: the pickup, then the customer-service messages');
    const [continued] = stack.instances[b]!.logLines(/continuing a customer-service delivery taken over/);
    assert.deepEqual([continued?.sent, continued?.uncertain, continued?.matched], [1, 1, true]);
    t.diagnostic(`${texts.length} customer-service messages, ${picked.length} pickup pages, ${stack.model.chatRequests().length} model calls`);
  });
});
