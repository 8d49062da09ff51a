/**
 * Durable answer jobs, one instance restarted: a single instance with Redis has 5 answers (5 users) in flight
 * when it is killed (SIGKILL); a new process with the same environment takes the jobs up from Redis once their
 * locks expire, and all 5 users get their answer — once each.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../support/delivery-stack.js';
import { startProcessCluster } from '../support/process-cluster.js';
import { requireRedis } from '../support/redis.js';

const ANSWER = '重启之后，答案依然送到了。';
const USERS = ['oUserRestart1', 'oUserRestart2', 'oUserRestart3', 'oUserRestart4', 'oUserRestart5'];
const RESTART_LIMIT_MS = 25_000;

describe('one instance restarted while answers are in flight', () => {
  it('SIGKILL, then a new process with the same environment: all 5 answers are delivered, once each', async (t) => {
    if (!(await requireRedis(t))) return;
    // A short passive window: every user has been answered `success` (the answer follows by customer-service
    // message) before the kill, so the answers exist only as jobs in Redis.
    const stack = await startProcessCluster({ instances: 1, env: { PASSIVE_WINDOW_MS: '1000' } });
    t.after(() => stack.close());
    stack.model.setDefaultReply({ delayMs: 6000, chunks: ['重启之后，', '答案依然送到了。'] });
    const client = stack.client();
    const exchanges = await Promise.all(USERS.map((user) => client.sendText(user, `${user} 的问题`)));
    assert.deepEqual(exchanges.map((exchange) => exchange.reply), USERS.map(() => 'success'));
    assert.equal(stack.model.chatRequests().length, 5, 'all 5 answers are being produced');
    await stack.instances[0]!.stop('SIGKILL');
    assert.deepEqual(USERS.flatMap((user) => stack.customerServiceTexts(user)), [], 'nothing was delivered before the kill');

    const restartedAt = Date.now();
    const restarted = await stack.restart(0);
    const everyone = (): boolean => USERS.every((user) => stack.customerServiceTexts(user).length > 0);
    assert.ok(await eventually(everyone, RESTART_LIMIT_MS), `all 5 answers after the restart; got ${JSON.stringify(USERS.map((user) => stack.customerServiceTexts(user)))}\n${stack.output()}`);
    const tookMs = Date.now() - restartedAt;
    await sleep(1500);
    for (const user of USERS) assert.deepEqual(stack.customerServiceTexts(user), [ANSWER], user);
    assert.equal(restarted.logLines(/agent answered/).length, 5, 'the new process produced the 5 answers');
    assert.ok(stack.model.chatRequests().length <= 10, `model calls: ${stack.model.chatRequests().length}`);
    t.diagnostic(`all answers ${tookMs} ms after the restart began`);
  });
});
