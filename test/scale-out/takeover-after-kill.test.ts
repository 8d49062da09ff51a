/**
 * Durable answer jobs, an instance crashing: two instances A and B (real processes) share Redis behind a load
 * balancer; a message reaches A, whose model call takes 8 s; A is killed (SIGKILL) 2 s later. The job is taken over
 * by B once A's lock on it expires (BullMQ, 10 s lock by default), and the user still gets the whole answer,
 * exactly once, with at most two model calls (A's, lost, and B's):
 * (a) an account with customer-service permission: by customer-service messages;
 * (b) an account without it: WeChat's retries go to B, the last one gets the placeholder naming 继续, and 继续 (to B)
 *     returns the answer.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { compact, pickUpAnswer } from '../support/answer-texts.js';
import { eventually } from '../support/delivery-stack.js';
import { jobRunner, startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';
import { requireRedis } from '../support/redis.js';
import { replyText } from '../support/wechat-client.js';

const ANSWER_CHUNKS = ['第一段：实例被杀死时', '还没有说完的回答。\n\n', '第二段：接手的实例把它', '完整地送到了用户手里。'];
const ANSWER = ANSWER_CHUNKS.join('');
const SLOW_MODEL = { delayMs: 8000, chunks: ANSWER_CHUNKS };
/** From the kill until the answer is out: the lock expires (≤ 10 s), a stalled check finds it (≤ 5 s), the model again (8 s). */
const TAKEOVER_LIMIT_MS = 25_000;

async function cluster(t: TestContext, options: Parameters<typeof startProcessCluster>[0]): Promise<ProcessCluster | undefined> {
  if (!(await requireRedis(t))) return undefined;
  const started = await startProcessCluster(options);
  t.after(() => started.close());
  return started;
}

describe('an instance killed (SIGKILL) while its answer is being produced', { concurrency: true }, () => {
  it('(a) with customer-service permission: B takes the job over and the customer-service messages carry the whole answer once', async (t) => {
    const stack = await cluster(t, { instances: 2 });
    if (stack === undefined) return;
    const user = 'oUserKilledVerified';
    stack.model.replyNext(SLOW_MODEL, SLOW_MODEL);
    stack.proxy.route(0);
    const exchange = stack.client().sendText(user, '一个要想很久的问题');
    await sleep(2000);
    // A is the instance running the job (any worker may take it); WeChat's requests go to the other one, B.
    const a = jobRunner(stack);
    const b = 1 - a;
    stack.proxy.route(b);
    await stack.instances[a]!.stop('SIGKILL');
    const killedAt = Date.now();

    const delivered = await exchange;
    // A died before the passive window ended, so WeChat's retries reached B: answered `success` once B's run chose
    // customer-service messages, or the placeholder if the last retry came first. Never nothing at all.
    assert.ok(delivered.reply === 'success' || /继续/.test(replyText(delivered) ?? ''), `the deliveries: ${JSON.stringify(delivered.deliveries)} ${JSON.stringify(delivered.reply)}`);
    assert.ok(
      await eventually(() => compact(stack.customerServiceTexts(user).join('')) === compact(ANSWER), TAKEOVER_LIMIT_MS),
      `the whole answer by customer-service messages within ${TAKEOVER_LIMIT_MS} ms of the kill; got ${JSON.stringify(stack.customerServiceTexts(user))}\n${stack.output()}`,
    );
    const tookMs = Date.now() - killedAt;
    // Nothing follows: no message repeated by a second run.
    await sleep(1500);
    const texts = stack.customerServiceTexts(user);
    assert.equal(compact(texts.join('')), compact(ANSWER), JSON.stringify(texts));
    assert.equal(new Set(texts).size, texts.length, `no text repeated: ${JSON.stringify(texts)}`);
    assert.ok(stack.model.chatRequests().length <= 2, `model calls: ${stack.model.chatRequests().length}`);
    assert.equal(stack.instances[b]!.logLines(/agent answered/).length, 1, 'B produced the answer');
    t.diagnostic(`answer complete ${tookMs} ms after the kill; deliveries ${JSON.stringify(delivered.deliveries.map((each) => each.status))}, reply ${JSON.stringify(replyText(delivered) ?? delivered.reply)}`);
  });

  it('(b) without customer-service permission: the retries reach B, the last gets the placeholder, and 继续 to B returns the answer', async (t) => {
    const stack = await cluster(t, { instances: 2, wechat: { customServicePermission: false } });
    if (stack === undefined) return;
    const user = 'oUserKilledUnverified';
    stack.model.replyNext(SLOW_MODEL, SLOW_MODEL);
    stack.proxy.route(0);
    const exchange = stack.client().sendText(user, '一个要想很久的问题');
    await sleep(2000);
    // A is the instance running the job (any worker may take it); WeChat's requests go to the other one, B.
    const a = jobRunner(stack);
    const b = 1 - a;
    stack.proxy.route(b);
    await stack.instances[a]!.stop('SIGKILL');

    const delivered = await exchange;
    const statuses = delivered.deliveries.map((each) => each.status);
    assert.equal(statuses.length, 3, `three deliveries: ${JSON.stringify(delivered.deliveries)}`);
    assert.notEqual(statuses[0], 200, 'the first delivery died with A');
    assert.equal(statuses[2], 200);
    assert.match(replyText(delivered) ?? '', /回复「继续」/, 'the last delivery: the placeholder naming 继续');
    const toB = stack.proxy.forwarded.filter((request) => request.target === b && request.path.startsWith('/wechat'));
    assert.equal(toB.length, 2, `the retries went to B: ${JSON.stringify(stack.proxy.forwarded)}`);

    // B takes the job over, and the answer is left for pickup once it is ready.
    await stack.instances[b]!.process.waitFor(/answer finished after the last delivery: left for pickup/, TAKEOVER_LIMIT_MS);
    const pages = await pickUpAnswer(stack.client(), user, '继续');
    assert.equal(compact(pages.join('')), compact(ANSWER));
    assert.ok(stack.model.chatRequests().length <= 2, `model calls: ${stack.model.chatRequests().length} (继续 is a pickup, not a question)`);
    assert.deepEqual(stack.customerServiceTexts(user), []);
  });
});
