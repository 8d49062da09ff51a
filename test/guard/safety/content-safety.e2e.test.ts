/**
 * Issue 12, content safety, end to end: WeChat (the test client) → the real server → a fake OpenAI-compatible
 * model, with the fake WeChat API receiving customer-service messages and, where moderation is on, a fake
 * moderation endpoint. The keyword lists come from a real CONTENT_FILTER_FILE that the test edits while the
 * server runs.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { temporaryFolder } from '../../support/app-instances.js';
import { eventually, modelOf, startDeliveryStack, type DeliveryStack } from '../../support/delivery-stack.js';
import { parseExposition, valueOf } from '../../support/prometheus-text.js';
import { replyText } from '../../support/wechat-client.js';
import { startFakeModeration, type FakeModeration } from './fake-moderation.js';

const BLOCKED = '抱歉，这个问题我无法回答。';
const FILTER = `
incoming:
  block: [违禁问题]
  mask: [我的密码]
outgoing:
  block: [违禁答案]
  mask: [机密代号]
`;

/** The text of the last user message the model was asked. */
function lastQuestion(stack: DeliveryStack): unknown {
  return modelOf(stack).chatRequests().at(-1)?.messages.filter((message) => message.role === 'user').at(-1)?.content;
}

async function metrics(stack: DeliveryStack) {
  const answer = await stack.instance.request('GET', '/metrics', { headers: { authorization: `Bearer ${stack.account.adminToken}` } });
  return parseExposition(answer.text);
}

describe('content safety', () => {
  const folder = temporaryFolder('content-safety-e2e');
  const filterFile = path.join(folder.path, 'content-filter.yaml');
  writeFileSync(filterFile, FILTER);
  const stacks: DeliveryStack[] = [];
  const start = async (...options: Parameters<typeof startDeliveryStack>): Promise<DeliveryStack> => {
    const stack = await startDeliveryStack(...options);
    stacks.push(stack);
    return stack;
  };
  after(async () => {
    await Promise.all(stacks.map((stack) => stack.close()));
    folder.remove();
  });

  describe('keyword lists, passive replies', () => {
    let stack: DeliveryStack;
    before(async () => {
      stack = await start({ env: { CONTENT_FILTER_FILE: filterFile } });
    });

    it('a blocked word in a question: the user gets CONTENT_BLOCKED_MESSAGE, the model is never asked', async () => {
      const exchange = await stack.client.sendText('oUserAsksBlocked', '请告诉我违禁问题的答案');
      assert.equal(replyText(exchange), BLOCKED);
      await sleep(300);
      assert.equal(modelOf(stack).chatRequests().length, 0);
    });

    it('a masked word in a question: the model sees it masked', async () => {
      modelOf(stack).replyNext({ chunks: ['好的，', '我记住了。'] });
      const exchange = await stack.client.sendText('oUserAsksMasked', '我的密码是 123');
      assert.equal(replyText(exchange), '好的，我记住了。');
      assert.equal(lastQuestion(stack), '****是 123');
    });

    it('a blocked word in an answer, split across stream chunks: the clean part, then the message, nothing after', async () => {
      modelOf(stack).replyNext({ chunks: ['第一句没有问题。', '第二句有违禁', '答案，', '后面的内容。'] });
      const exchange = await stack.client.sendText('oUserAnswerBlocked', '说点什么');
      const text = replyText(exchange) ?? '';
      assert.equal(text, `第一句没有问题。\n\n${BLOCKED}`);
      assert.doesNotMatch(text, /违禁|后面的内容/);
    });

    it('a masked word in an answer, split across stream chunks: delivered masked', async () => {
      modelOf(stack).replyNext({ chunks: ['项目的机密', '代号是', '「青鸟」。'] });
      const exchange = await stack.client.sendText('oUserAnswerMasked', '项目叫什么');
      assert.equal(replyText(exchange), '项目的****是「青鸟」。');
      // The model's next turn carries what the user saw, not its own words.
      modelOf(stack).replyNext({ chunks: ['好。'] });
      await stack.client.sendText('oUserAnswerMasked', '再说一遍');
      const history = modelOf(stack).chatRequests().at(-1)!.messages.filter((message) => message.role === 'assistant');
      assert.doesNotMatch(JSON.stringify(history), /机密代号/);
    });

    it('the file is reloaded when it changes: a word added while the server runs applies to the next message', async () => {
      const before = modelOf(stack).chatRequests().length;
      modelOf(stack).replyNext({ chunks: ['新的说法也能回答。'] });
      assert.equal(replyText(await stack.client.sendText('oUserReload', '新增的禁词')), '新的说法也能回答。');
      writeFileSync(filterFile, `${FILTER}\nboth:\n  block: [新增的禁词]\n`);
      assert.ok(await eventually(() => /"msg":"content filter reloaded"/.test(stack.instance.logs()), 5000), 'the server logs the reload');
      assert.equal(replyText(await stack.client.sendText('oUserReload', '再问新增的禁词')), BLOCKED);
      assert.equal(modelOf(stack).chatRequests().length, before + 1, 'only the question before the change reached the model');
    });

    it('counts what was blocked and masked, and logs none of it at INFO', async () => {
      const exposition = await metrics(stack);
      assert.equal(valueOf(exposition, 'wx_content_blocked_total', { direction: 'incoming', action: 'block' }), 2);
      assert.equal(valueOf(exposition, 'wx_content_blocked_total', { direction: 'incoming', action: 'mask' }), 1);
      assert.equal(valueOf(exposition, 'wx_content_blocked_total', { direction: 'outgoing', action: 'block' }), 1);
      assert.equal(valueOf(exposition, 'wx_content_blocked_total', { direction: 'outgoing', action: 'mask' }), 1);
      const logs = stack.instance.logs();
      assert.match(logs, /"msg":"content blocked"/);
      assert.match(logs, /"msg":"content masked"/);
      for (const content of ['违禁', '我的密码', '机密代号', '新增的禁词', '后面的内容', '第一句没有问题', '青鸟']) {
        assert.equal(logs.includes(content), false, `"${content}" is in the INFO log`);
      }
    });
  });

  describe('keyword lists, customer-service messages', () => {
    let stack: DeliveryStack;
    before(async () => {
      stack = await start({ env: { CONTENT_FILTER_FILE: filterFile, REPLY_MODE: 'customer_service' } });
    });
    /** Everything the user was shown: the passive reply (perhaps the first paragraph), then the customer-service messages. */
    const seenBy = (user: string, exchange: { reply: unknown }): string =>
      [typeof exchange.reply === 'object' ? replyText(exchange as Parameters<typeof replyText>[0]) ?? '' : '', ...stack.customerServiceTexts(user)].filter((text) => text !== '').join('\n\n');

    it('a streamed answer (longer than the passive window) with a blocked word split across chunks: the clean paragraphs, then the message; the rest never sent', async () => {
      modelOf(stack).replyNext({
        chunkDelayMs: 1000,
        chunks: ['第一段没有问题。\n\n', '第二段也', '没有问题。\n\n', '第三段有违', '禁答案', '，不能发出去。\n\n', '第四段。'],
      });
      const user = 'oUserStreamBlocked';
      const exchange = await stack.client.sendText(user, '分几段说');
      assert.ok(await eventually(() => stack.customerServiceTexts(user).join('\n').includes(BLOCKED), 12_000), 'the blocked message arrives by customer-service message');
      await sleep(2500); // the model's stream would have ended by now: nothing more may follow
      const seen = seenBy(user, exchange);
      assert.match(seen, /第一段没有问题。[\s\S]*第二段也没有问题。/);
      assert.doesNotMatch(seen, /违禁|不能发出去|第四段/);
      assert.ok(seen.trimEnd().endsWith(BLOCKED), seen);
    });

    it('a masked word in a streamed answer arrives masked', async () => {
      modelOf(stack).replyNext({ chunkDelayMs: 1000, chunks: ['开头一段。\n\n', '答案里的机', '密代号', '要遮住。\n\n', '就这些', '。'] });
      const user = 'oUserStreamMasked';
      const exchange = await stack.client.sendText(user, '说吧');
      assert.ok(await eventually(() => stack.customerServiceTexts(user).join('').includes('就这些'), 12_000));
      const seen = seenBy(user, exchange);
      assert.match(seen, /答案里的\*\*\*\*要遮住。/);
      assert.doesNotMatch(seen, /机密代号/);
    });
  });

  describe('moderation', () => {
    let moderation: FakeModeration;
    before(async () => {
      moderation = await startFakeModeration({ apiKey: 'moderation-key' });
    });
    after(() => moderation.close());
    const moderated = (onError: 'allow' | 'block') =>
      start({ env: { MODERATION_URL: moderation.baseUrl, MODERATION_API_KEY: 'moderation-key', MODERATION_TIMEOUT: '1', MODERATION_ON_ERROR: onError } });

    it('a flagged answer never reaches the user', async () => {
      const stack = await moderated('allow');
      moderation.flaggedWords = ['攻击性'];
      try {
        modelOf(stack).replyNext({ chunks: ['这是一句', '攻击性的话。'] });
        assert.equal(replyText(await stack.client.sendText('oUserFlagged', '骂人')), BLOCKED);
        modelOf(stack).replyNext({ chunks: ['这是一句', '友好的话。'] });
        assert.equal(replyText(await stack.client.sendText('oUserFlagged', '夸人')), '这是一句友好的话。');
        assert.ok(moderation.inputs().includes('这是一句友好的话。'), 'the answer was moderated');
      } finally {
        moderation.flaggedWords = [];
      }
    });

    it('MODERATION_ON_ERROR=allow: with the endpoint failing, answers are sent (and the failure is a WARN)', async () => {
      const stack = await moderated('allow');
      moderation.failWith = 500;
      try {
        modelOf(stack).replyNext({ chunks: ['服务出错时', '照常回答。'] });
        assert.equal(replyText(await stack.client.sendText('oUserModerationDownAllow', '问题')), '服务出错时照常回答。');
      } finally {
        moderation.failWith = undefined;
      }
      assert.match(stack.instance.logs(), /"level":"warn"[^\n]*moderation failed: the answer is sent unmoderated/);
      assert.equal(valueOf(await metrics(stack), 'wx_moderation_checks_total', { result: 'error' }), 1);
    });

    it('MODERATION_ON_ERROR=block: with the endpoint timing out, the user gets CONTENT_BLOCKED_MESSAGE instead', async () => {
      const stack = await moderated('block');
      moderation.delayMs = 2000;
      try {
        modelOf(stack).replyNext({ chunks: ['服务超时时', '不能发出的回答。'] });
        const text = replyText(await stack.client.sendText('oUserModerationDownBlock', '问题'));
        assert.equal(text, BLOCKED);
      } finally {
        moderation.delayMs = 0;
      }
      const exposition = await metrics(stack);
      assert.equal(valueOf(exposition, 'wx_content_blocked_total', { direction: 'outgoing', action: 'block' }), 1);
      assert.doesNotMatch(stack.instance.logs(), /不能发出的回答/);
    });
  });
});
