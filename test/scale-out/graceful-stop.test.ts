/**
 * Durable answer jobs, an instance stopped gracefully: two instances A and B (real processes) share Redis behind a
 * load balancer; a message reaches A, whose model call takes 8 s; A gets SIGTERM 2 s later (SHUTDOWN_TIMEOUT 12 s,
 * the load balancer sends new deliveries to B). A finishes the answer itself before it exits: one model call, none
 * on B, the answer delivered once —
 * (a) with customer-service permission: by customer-service messages from A;
 * (b) without it: as the passive reply to WeChat's retry, which reached B while A was still producing the answer.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { compact } from '../support/answer-texts.js';
import { jobRunner, startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';
import { requireRedis } from '../support/redis.js';
import { replyText, type Exchange } from '../support/wechat-client.js';

const ANSWER_CHUNKS = ['第一段：收到停止信号的实例', '仍然把回答说完。\n\n', '第二段：另一个实例', '没有再问一次模型。'];
const ANSWER = ANSWER_CHUNKS.join('');
const SLOW_MODEL = { delayMs: 8000, chunks: ANSWER_CHUNKS };

async function cluster(t: TestContext, options: Parameters<typeof startProcessCluster>[0]): Promise<ProcessCluster | undefined> {
  if (!(await requireRedis(t))) return undefined;
  const started = await startProcessCluster(options);
  t.after(() => started.close());
  return started;
}

/** Sends the message to A; 2 s later drains A (the proxy sends to B) and sends it SIGTERM. `exited`: A's exit code. */
async function stopAWhileAnswering(stack: ProcessCluster, user: string): Promise<{ exchange: Promise<Exchange>; exited: Promise<number | null>; a: ProcessCluster['instances'][number]; b: ProcessCluster['instances'][number] }> {
  stack.model.replyNext(SLOW_MODEL, SLOW_MODEL);
  stack.proxy.route(0);
  const exchange = stack.client().sendText(user, '一个要想很久的问题');
  await sleep(2000);
  // A is the instance running the job (any worker may take it); WeChat's requests go to the other one.
  const a = jobRunner(stack);
  stack.proxy.route(1 - a);
  const exited = stack.instances[a]!.stop('SIGTERM');
  return { exchange, exited, a: stack.instances[a]!, b: stack.instances[1 - a]! };
}

describe('an instance stopped (SIGTERM) while its answer is being produced', { concurrency: true }, () => {
  it('(a) with customer-service permission: A sends the whole answer before it exits; B makes no model call', async (t) => {
    const stack = await cluster(t, { instances: 2, env: { SHUTDOWN_TIMEOUT: '12' } });
    if (stack === undefined) return;
    const user = 'oUserStoppedVerified';
    const { exchange, exited, a, b } = await stopAWhileAnswering(stack, user);
    const [delivered, code] = await Promise.all([exchange, exited]);
    assert.equal(code, 0, a.process.output());
    assert.equal(delivered.reply, 'success', JSON.stringify(delivered.deliveries));
    const texts = stack.customerServiceTexts(user);
    assert.equal(compact(texts.join('')), compact(ANSWER), `the answer went out before A exited: ${JSON.stringify(texts)}`);
    // Nothing follows from B.
    await sleep(1500);
    assert.deepEqual(stack.customerServiceTexts(user), texts);
    assert.equal(stack.model.chatRequests().length, 1, 'one model call');
    assert.equal(a.logLines(/agent answered/).length, 1, 'A produced the answer');
    assert.equal(b.logLines(/agent answered/).length, 0, 'B did not');
    const [finished] = a.logLines(/answers in flight finished/);
    assert.equal(finished?.finished, 1, a.process.output());
    assert.equal(a.logLines(/handed back/).length, 0);
  });

  it('(b) without customer-service permission: the answer A produced is the passive reply to the retry B holds', async (t) => {
    const stack = await cluster(t, { instances: 2, env: { SHUTDOWN_TIMEOUT: '12' }, wechat: { customServicePermission: false } });
    if (stack === undefined) return;
    const user = 'oUserStoppedUnverified';
    const { exchange, exited, a, b } = await stopAWhileAnswering(stack, user);
    const [delivered, code] = await Promise.all([exchange, exited]);
    assert.equal(code, 0, a.process.output());
    assert.equal(compact(replyText(delivered) ?? ''), compact(ANSWER), `the whole answer as a passive reply: ${JSON.stringify(delivered.deliveries)} ${JSON.stringify(delivered.reply)}`);
    const answeredOn = delivered.deliveries.at(-1)!.number;
    assert.ok(answeredOn >= 2, 'on a retry');
    const retries = stack.proxy.forwarded.filter((request) => request.path.startsWith('/wechat')).slice(1);
    assert.ok(retries.length > 0 && retries.every((request) => request.target === stack.instances.indexOf(b)), `the retries went to B: ${JSON.stringify(stack.proxy.forwarded)}`);
    assert.equal(stack.model.chatRequests().length, 1, 'one model call');
    assert.equal(a.logLines(/agent answered/).length, 1, 'A produced the answer');
    assert.equal(b.logLines(/agent answered/).length, 0, 'B did not');
    assert.deepEqual(stack.customerServiceTexts(user), []);
    const [finished] = a.logLines(/answers in flight finished/);
    assert.equal(finished?.finished, 1, a.process.output());
  });
});
