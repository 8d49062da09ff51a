/**
 * SPEC §5 conversation context, end to end: a user's second question reaches the model with the first turn
 * before it, `/reset` forgets it, and instances sharing Redis share it — question 1 answered by instance A,
 * question 2 by instance B, which still sees turn 1.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RESET_DONE_MESSAGE } from '../../src/conversation/handlers/reset-handler.js';
import type { ChatCompletionBody } from '../ai/fakes/fake-openai.js';
import { modelOf, startDeliveryStack, type DeliveryStack } from '../support/delivery-stack.js';
import { requireRedis } from '../support/redis.js';
import { replyText } from '../support/wechat-client.js';

/** The conversation a chat request carried, without the system prompt: [role, text] pairs. */
function turns(request: ChatCompletionBody | undefined): Array<[string, unknown]> {
  return (request?.messages ?? []).filter((message) => message.role !== 'system').map((message) => [message.role, message.content]);
}

const stacks: DeliveryStack[] = [];

describe('conversation context', { concurrency: true }, () => {
  after(() => Promise.all(stacks.map((each) => each.close())));

  it('the second question carries the first turn; /reset clears it', async () => {
    const stack = await startDeliveryStack();
    stacks.push(stack);
    const model = modelOf(stack);
    model.replyNext({ chunks: ['你好，小明！'] }, { chunks: ['你叫小明。'] }, { chunks: ['我不知道你的名字。'] });
    const user = 'oContextUser';
    assert.equal(replyText(await stack.client.sendText(user, '我叫小明')), '你好，小明！');
    assert.equal(replyText(await stack.client.sendText(user, '我叫什么名字？')), '你叫小明。');
    assert.deepEqual(turns(model.chatRequests()[1]), [['user', '我叫小明'], ['assistant', '你好，小明！'], ['user', '我叫什么名字？']]);

    assert.equal(replyText(await stack.client.sendText(user, '/reset')), RESET_DONE_MESSAGE);
    assert.equal(model.chatRequests().length, 2, '/reset is not a question for the model');
    assert.equal(replyText(await stack.client.sendText(user, '我叫什么名字？')), '我不知道你的名字。');
    assert.deepEqual(turns(model.chatRequests()[2]), [['user', '我叫什么名字？']]);
  });

  it('two instances sharing Redis share a user\'s context: turn 1 on A, turn 2 on B sees it', async (t) => {
    if (!(await requireRedis(t))) return;
    const stack = await startDeliveryStack({ instances: 2 });
    stacks.push(stack);
    const model = modelOf(stack);
    // Question 2 follows the answer at once (faster than a person types): the turn must already be stored.
    // Repeated, as a stored-after-the-answer turn would be missed only now and then.
    for (let round = 0; round < 50; round++) {
      model.replyNext({ chunks: ['记住了：蓝色。'] }, { chunks: ['你喜欢蓝色。'] });
      const user = `oSharedContextUser${round}`;
      assert.equal(replyText(await stack.clientFor(0).sendText(user, '我最喜欢蓝色')), '记住了：蓝色。');
      assert.equal(replyText(await stack.clientFor(1).sendText(user, '我最喜欢什么颜色？')), '你喜欢蓝色。');
      assert.deepEqual(turns(model.chatRequests().at(-1)), [['user', '我最喜欢蓝色'], ['assistant', '记住了：蓝色。'], ['user', '我最喜欢什么颜色？']], `round ${round}`);
    }
  });
});
