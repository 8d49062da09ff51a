/**
 * Issue 12's usage accounting, end to end: the real server answering through each AI service's fake over HTTP,
 * the usage read back from `GET /admin/api/usage`. The tokens are exactly what each fake reports — OpenAI's
 * streamed usage chunk (which the server asks for), Ollama's eval counts, Dify's `metadata.usage` — and a service
 * that reports none (the `default` HTTP service) is estimated and marked so. With Redis, every instance books
 * into one report.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { UsageReport } from '../../../src/guard/usage/usage-report.js';
import { startFakeDefaultService } from '../../ai/fakes/fake-default-service.js';
import { startFakeDify } from '../../ai/fakes/fake-dify.js';
import { startFakeOllama } from '../../ai/fakes/fake-ollama.js';
import type { AppInstance } from '../../support/app-instances.js';
import { MODEL_NAME, modelOf, startDeliveryStack, type DeliveryStack, type DeliveryStackOptions } from '../../support/delivery-stack.js';
import { parseExposition, valueOf } from '../../support/prometheus-text.js';
import { requireRedis } from '../../support/redis.js';
import { replyText } from '../../support/wechat-client.js';

const closers: Array<{ close(): Promise<void> }> = [];
async function stackWith(options: DeliveryStackOptions): Promise<DeliveryStack> {
  const stack = await startDeliveryStack(options);
  closers.push(stack);
  return stack;
}

async function usageOf(instance: AppInstance, query = ''): Promise<UsageReport> {
  const answer = await instance.admin('GET', `/usage${query}`);
  assert.equal(answer.status, 200, answer.text);
  return answer.json as unknown as UsageReport;
}

/** The range's rows per model: [model, input, output, calls, estimated calls]. */
function models(report: UsageReport): Array<[string, number, number, number, number]> {
  const totals = new Map<string, [string, number, number, number, number]>();
  for (const model of report.days.flatMap((day) => day.models)) {
    const row = totals.get(model.model) ?? [model.model, 0, 0, 0, 0];
    totals.set(model.model, [model.model, row[1] + model.inputTokens, row[2] + model.outputTokens, row[3] + model.calls, row[4] + model.estimatedCalls]);
  }
  return [...totals.values()];
}

describe('token usage, end to end', { concurrency: true }, () => {
  after(() => Promise.all(closers.map((closer) => closer.close())));

  it('OpenAI-compatible, streamed: the usage chunk the server asks for is booked exactly, per user and model', async () => {
    const stack = await stackWith({});
    const model = modelOf(stack);
    model.setDefaultReply({ chunks: ['Hello', ' there'], usage: { prompt_tokens: 123, completion_tokens: 45 } });
    for (const [openId, text] of [['oUsageAlice', 'one'], ['oUsageAlice', 'two'], ['oUsageBob', 'three']] as const) {
      assert.equal(replyText(await stack.client.sendText(openId, text)), 'Hello there');
    }
    assert.ok(model.chatRequests().every((request) => request.stream === true && request.stream_options?.include_usage === true), 'streamed, usage asked for');
    const report = await usageOf(stack.instance);
    assert.deepEqual(models(report), [[MODEL_NAME, 369, 135, 3, 0]]);
    assert.deepEqual(report.topUsers.map((user) => [user.openid, user.inputTokens, user.outputTokens, user.calls]), [['oUsageAlice', 246, 90, 2], ['oUsageBob', 123, 45, 1]]);
    assert.deepEqual([report.total.totalTokens, report.total.users, report.total.estimatedCalls], [504, 2, 0]);
    // The Prometheus counters keep counting the same tokens.
    const metrics = parseExposition((await stack.instance.request('GET', '/metrics', { headers: { authorization: `Bearer ${stack.account.adminToken}` } })).text);
    assert.equal(valueOf(metrics, 'wx_ai_tokens_total', { direction: 'in' }), 369);
    assert.equal(valueOf(metrics, 'wx_ai_tokens_total', { direction: 'out' }), 135);
  });

  it('Ollama: prompt_eval_count and eval_count are booked exactly', async () => {
    const ollama = await startFakeOllama();
    closers.push(ollama);
    ollama.setDefaultReply({ chunks: ['Hi', ' from llama'], usage: { prompt_eval_count: 77, eval_count: 33 } });
    const stack = await stackWith({ agentEnv: { EXTERNAL_SERVICE_TYPE: 'ollama', EXTERNAL_SERVICE_URL: ollama.url, EXTERNAL_SERVICE_MODEL: 'llama3.2:3b' } });
    assert.equal(replyText(await stack.client.sendText('oOllamaUser', 'q1')), 'Hi from llama');
    assert.equal(replyText(await stack.client.sendText('oOllamaUser', 'q2')), 'Hi from llama');
    assert.equal(ollama.chatRequests().length, 2);
    assert.deepEqual(models(await usageOf(stack.instance)), [['llama3.2:3b', 154, 66, 2, 0]]);
  });

  it('Dify: metadata.usage of message_end is booked exactly, under the provider\'s name', async () => {
    const dify = await startFakeDify({ apiKey: 'app-usage-test' });
    closers.push(dify);
    dify.setDefaultReply({ chunks: ['Dify', ' says hi'], usage: { prompt_tokens: 55, completion_tokens: 66 } });
    const stack = await stackWith({ agentEnv: { EXTERNAL_SERVICE_TYPE: 'dify', EXTERNAL_SERVICE_URL: dify.baseUrl, EXTERNAL_SERVICE_API_KEY: 'app-usage-test' } });
    assert.equal(replyText(await stack.client.sendText('oDifyUser', 'q')), 'Dify says hi');
    const report = await usageOf(stack.instance);
    assert.deepEqual(models(report), [['dify', 55, 66, 1, 0]]);
    assert.equal(report.topUsers[0]?.openid, 'oDifyUser');
  });

  it('a service that reports no usage (default HTTP): estimated from the text and marked as estimated', async () => {
    const service = await startFakeDefaultService();
    closers.push(service);
    service.setDefaultReply({ chunks: ['四个汉字', ' and some text'] });
    const stack = await stackWith({ agentEnv: { EXTERNAL_SERVICE_TYPE: 'default', EXTERNAL_SERVICE_URL: service.url } });
    assert.equal(replyText(await stack.client.sendText('oEstimatedUser', '你好吗')), '四个汉字 and some text');
    const report = await usageOf(stack.instance);
    // In: 你好吗 = 3. Out: 四个汉字 = 4, " and some text" = 14 characters → 4.
    assert.deepEqual(models(report), [['default', 3, 8, 1, 1]]);
    assert.equal(report.total.estimatedCalls, 1);
  });

  it('with Redis, instances book into one report: answers through either are in both instances\' reports', async (t) => {
    if (!(await requireRedis(t))) return;
    const stack = await stackWith({ instances: 2 });
    modelOf(stack).setDefaultReply({ chunks: ['ok'], usage: { prompt_tokens: 10, completion_tokens: 1 } });
    await stack.clientFor(0).sendText('oSharedUsage', 'q');
    await stack.clientFor(1).sendText('oSharedUsage', 'q');
    await stack.clientFor(1).sendText('oSharedUsageOther', 'q');
    for (const instance of stack.instances) {
      const report = await usageOf(instance);
      assert.deepEqual(models(report), [[MODEL_NAME, 30, 3, 3, 0]]);
      assert.deepEqual(report.topUsers.map((user) => [user.openid, user.totalTokens]), [['oSharedUsage', 22], ['oSharedUsageOther', 11]]);
    }
  });

  it('the admin API: a range and top, a bad query is 400 naming the parameter, no token is 401, and no WeChat API access is needed', async () => {
    const stack = await stackWith({ env: { WECHAT_APPSECRET: '' } });
    modelOf(stack).setDefaultReply({ chunks: ['ok'], usage: { prompt_tokens: 2, completion_tokens: 1 } });
    await stack.client.sendText('oAdminUsage1', 'q');
    await stack.client.sendText('oAdminUsage2', 'q');
    await stack.client.sendText('oAdminUsage2', 'q');
    const week = await usageOf(stack.instance);
    assert.equal(week.days.length, 7);
    assert.equal(week.to, week.days.at(-1)?.day);
    const top1 = await usageOf(stack.instance, `?from=${week.to}&to=${week.to}&top=1`);
    assert.deepEqual([top1.from, top1.days.length], [week.to, 1]);
    assert.deepEqual(top1.topUsers.map((user) => [user.openid, user.calls]), [['oAdminUsage2', 2]]);
    assert.equal((await usageOf(stack.instance, '?from=2020-01-01&to=2020-01-02')).total.calls, 0);

    const bad = await stack.instance.admin('GET', '/usage?from=yesterday');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json?.issues, [{ path: 'from', message: 'expected a day as YYYY-MM-DD, got "yesterday"' }]);
    assert.equal((await stack.instance.admin('GET', '/usage?top=5&top=6')).status, 400);
    assert.equal((await stack.instance.request('GET', '/admin/api/usage')).status, 401);
    // The WeChat routes of the same API answer 503 on this instance; usage does not need WeChat.
    assert.equal((await stack.instance.admin('GET', '/token')).status, 503);
  });
});
