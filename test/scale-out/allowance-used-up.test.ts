/**
 * A user's second answer that finds the customer-service allowance used up by the first one (two instances): nothing
 * may be lost, and the user must be told that it waits for them — WeChat still lets the account answer the second
 * message passively, so it is held for WeChat's retries and pickup rather than put behind a silent `success`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { compact, longMarkdownAnswer, readPickupPage } from '../support/answer-texts.js';
import { eventually } from '../support/delivery-stack.js';
import { startProcessCluster } from '../support/process-cluster.js';
import { requireRedis } from '../support/redis.js';
import { replyText } from '../support/wechat-client.js';

describe('a second answer after the first used the whole customer-service allowance', () => {
  it('is pointed out to the user: the passive reply to the second message, or the last pickup page of the first, names 继续', async (t) => {
    if (!(await requireRedis(t))) return;
    const stack = await startProcessCluster({ instances: 2, env: { PASSIVE_WINDOW_MS: '1000' } });
    t.after(() => stack.close());
    const user = 'oUserAllowanceUsedUp';
    // About 12.8 kB: more than 5 messages of 2048 bytes, so the first answer alone uses the allowance of 5.
    const first = longMarkdownAnswer(4500);
    const second = longMarkdownAnswer(1000).replaceAll('投递规则', '第二个回答');
    stack.model.replyNext({ delayMs: 1500, chunks: [first] }, { delayMs: 1500, chunks: [second] });
    const firstExchange = stack.clientOf(0).sendText(user, '第一个长问题');
    await sleep(100);
    const secondExchange = stack.clientOf(1).sendText(user, '第二个长问题');
    const [, toSecond] = await Promise.all([firstExchange, secondExchange]);
    const answered = (): number => stack.instances.flatMap((instance) => instance.logLines(/^message answered$/)).length;
    assert.ok(await eventually(() => answered() >= 2, 20_000), stack.output());
    await sleep(1500);
    const texts = stack.customerServiceTexts(user);
    assert.equal(texts.length, 5, 'the first answer used the allowance');
    assert.equal(stack.wechat.callsTo('/cgi-bin/message/custom/send').filter((call) => call.errcode !== 0).length, 0);

    // Read the first answer's rest to its last page.
    let lastPage = '';
    for (let page = 1; page <= 10; page++) {
      lastPage = replyText(await stack.clientOf(1).sendText(user, '继续')) ?? '';
      const read = readPickupPage(lastPage);
      if (read.pageNumber === read.pageCount) break;
    }
    const told = /继续/.test(replyText(toSecond) ?? '') || /继续/.test(lastPage.slice(-40));
    assert.ok(told, `the user is told the second answer waits: reply to message 2 ${JSON.stringify(toSecond.reply)}, last page of the first ends ${JSON.stringify(lastPage.slice(-40))}`);
    // And it is there.
    const next = replyText(await stack.clientOf(1).sendText(user, '继续')) ?? '';
    assert.ok(compact(next).includes('第二个回答'), next.slice(0, 80));
  });
});
