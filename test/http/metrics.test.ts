/**
 * `GET /metrics` end to end: the real server with a fake OpenAI-compatible model and a fake WeChat API (real HTTP
 * servers on loopback), messages sent the way WeChat sends them (encrypted, 5 s per delivery, three deliveries),
 * and the Prometheus text compared before and after. Also the per-message log line: at INFO without the
 * message's content, at DEBUG with it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { longMarkdownAnswer } from '../support/answer-texts.js';
import type { AppInstance } from '../support/app-instances.js';
import { modelOf, startDeliveryStack, type DeliveryStack } from '../support/delivery-stack.js';
import { hasSeries, parseExposition, valueOf, type Exposition } from '../support/prometheus-text.js';
import { requireRedis } from '../support/redis.js';
import { startTestApp, testCredentials, testEnv, type TestApp } from '../support/test-server.js';
import { replyText, WeChatClient } from '../support/wechat-client.js';

/** Every family `/metrics` must show (SPEC §7, issue 10), Node's own included. */
const FAMILIES = [
  'wx_build_info',
  'wx_callbacks_total',
  'wx_callbacks_rejected_total',
  'wx_answer_latency_seconds',
  'wx_deliveries_total',
  'wx_answers_in_flight',
  'wx_customer_service_messages_total',
  'wx_wechat_api_calls_total',
  'wx_access_token_refreshes_total',
  'wx_access_token_age_seconds',
  'wx_access_token_expires_in_seconds',
  'wx_ai_calls_total',
  'wx_ai_time_to_first_token_seconds',
  'wx_ai_duration_seconds',
  'wx_ai_tokens_total',
  'wx_ai_timeouts_total',
  'wx_ai_retries_total',
  'wx_ai_circuit_state',
  'wx_ai_calls_in_flight',
  'wx_ai_queue_depth',
  'wx_redis_latency_seconds',
  'nodejs_eventloop_lag_seconds',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
];

const MODEL_API_KEY = 'sk-delivery-test';
const stacks: DeliveryStack[] = [];
const apps: TestApp[] = [];
after(async () => {
  await Promise.all([...stacks.map((each) => each.close()), ...apps.map((each) => each.close())]);
});

async function stack(...options: Parameters<typeof startDeliveryStack>): Promise<DeliveryStack> {
  const started = await startDeliveryStack(...options);
  stacks.push(started);
  return started;
}

async function scrape(instance: AppInstance): Promise<Exposition> {
  const answer = await instance.request('GET', '/metrics', { headers: { authorization: `Bearer ${instance.server.config.adminToken}` } });
  assert.equal(answer.status, 200, answer.text);
  return parseExposition(answer.text);
}

/** How much a series (summed over the series matching `labels`) moved from `before` to a scrape now. */
function change(before: Exposition, now: Exposition, name: string, labels: Record<string, string> = {}): number {
  return valueOf(now, name, labels) - valueOf(before, name, labels);
}

/** Scrapes until `condition` holds or `timeoutMs` passes; returns the last scrape. */
async function scrapeUntil(instance: AppInstance, condition: (exposition: Exposition) => boolean, timeoutMs: number): Promise<Exposition> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exposition = await scrape(instance);
    if (condition(exposition) || Date.now() >= deadline) return exposition;
    await sleep(100);
  }
}

/** The same signed request with its `signature` replaced: what a forger without WECHAT_TOKEN can send. */
function forged(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('signature', '0'.repeat(40));
  return parsed.href;
}

describe('GET /metrics', { concurrency: true }, () => {
  it('needs ADMIN_TOKEN when it is set: 401 without it or with a wrong one (bearer or Basic), Prometheus text with it', async () => {
    const { instance, account } = await stack();
    const without = await instance.request('GET', '/metrics');
    assert.equal(without.status, 401);
    assert.match((await fetch(`${instance.url}/metrics`)).headers.get('www-authenticate') ?? '', /Basic|Bearer/);
    assert.equal((await instance.request('GET', '/metrics', { headers: { authorization: 'Bearer wrong-token' } })).status, 401);
    assert.equal((await instance.request('GET', '/metrics', { headers: { authorization: `Bearer ${account.adminToken}x` } })).status, 401);
    const wrongBasic = Buffer.from('prometheus:not-the-token').toString('base64');
    assert.equal((await instance.request('GET', '/metrics', { headers: { authorization: `Basic ${wrongBasic}` } })).status, 401);
    assert.doesNotMatch(without.text, new RegExp(account.adminToken));

    const response = await fetch(`${instance.url}/metrics`, { headers: { authorization: `Bearer ${account.adminToken}` } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const exposition = parseExposition(await response.text());
    assert.equal(valueOf(exposition, 'wx_build_info', { version: '0.1.0' }), 1);
    assert.ok(exposition.samples.every((sample) => sample.labels.instance !== undefined && sample.labels.instance !== ''), 'every series names its instance');

    const basic = Buffer.from(`prometheus:${account.adminToken}`).toString('base64');
    assert.equal((await instance.request('GET', '/metrics', { headers: { authorization: `Basic ${basic}` } })).status, 200);
  });

  it('is open without ADMIN_TOKEN', async () => {
    const app = await startTestApp(testEnv(testCredentials()));
    apps.push(app);
    const response = await fetch(`${app.url}/metrics`);
    assert.equal(response.status, 200);
    const exposition = parseExposition(await response.text());
    assert.ok(exposition.families.has('wx_callbacks_total'));
  });

  it('shows every family; a passive answer, a dedup hit, rejections and exact token usage move their counters; no secret appears', async (t) => {
    if (!(await requireRedis(t))) return;
    const delivery = await stack({ redis: true });
    const { instance, client, account, wechat } = delivery;
    const model = modelOf(delivery);
    const before = await scrape(instance);
    for (const family of FAMILIES) assert.ok(before.families.has(family), `${family} is declared`);
    assert.equal(valueOf(before, 'wx_ai_circuit_state', { provider: 'openai' }), 0, 'the circuit starts closed');
    assert.ok(hasSeries(before, 'wx_deliveries_total', { route: 'pickup_served' }), 'every route shows from the start');

    model.replyNext({ chunks: ['北京今天', '晴。'], usage: { prompt_tokens: 17, completion_tokens: 5 } });
    const exchange = await client.sendText('oMetricsFast', '北京天气怎么样？');
    assert.equal(replyText(exchange), '北京今天晴。');
    const again = await client.deliver(exchange.request);
    assert.equal(replyText(again), '北京今天晴。');
    const subscribe = await client.send('oMetricsNew', 'event', { Event: 'subscribe', EventKey: '' });
    assert.deepEqual(subscribe.deliveries.map((each) => each.status), [200]);

    const forgery = await fetch(forged(exchange.request.url), { method: 'POST', headers: { 'content-type': 'text/xml' }, body: exchange.request.body });
    assert.equal(forgery.status, 403);
    const empty = await fetch(exchange.request.url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '' });
    assert.equal(empty.status, 400);
    const tooLarge = await fetch(exchange.request.url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: 'x'.repeat(1_100_000) });
    assert.equal(tooLarge.status, 413);

    const now = await scrapeUntil(instance, (exposition) => valueOf(exposition, 'wx_redis_latency_seconds_count') >= 1, 7000);
    assert.equal(change(before, now, 'wx_callbacks_total', { type: 'text', delivery: '1', outcome: 'answered' }), 1);
    assert.equal(change(before, now, 'wx_callbacks_total', { type: 'text', outcome: 'dedup_hit' }), 1);
    assert.equal(change(before, now, 'wx_callbacks_total', { type: 'event:subscribe', delivery: '1', outcome: 'answered' }), 1);
    assert.equal(change(before, now, 'wx_callbacks_total'), 3, 'rejected requests are not callbacks');
    assert.equal(change(before, now, 'wx_callbacks_rejected_total', { status: '403' }), 1);
    assert.equal(change(before, now, 'wx_callbacks_rejected_total', { status: '400' }), 1);
    assert.equal(change(before, now, 'wx_callbacks_rejected_total', { status: '413' }), 1);
    assert.equal(change(before, now, 'wx_deliveries_total', { route: 'passive' }), 1, 'the dedup hit is not a second delivery; the subscribe event has no reply');
    assert.equal(change(before, now, 'wx_deliveries_total'), 1);
    assert.equal(change(before, now, 'wx_answer_latency_seconds_count', { route: 'passive' }), 1);
    assert.equal(change(before, now, 'wx_ai_calls_total', { provider: 'openai', model: 'fake-model', outcome: 'ok' }), 1);
    assert.equal(change(before, now, 'wx_ai_tokens_total', { provider: 'openai', model: 'fake-model', direction: 'in' }), 17);
    assert.equal(change(before, now, 'wx_ai_tokens_total', { provider: 'openai', model: 'fake-model', direction: 'out' }), 5);
    assert.equal(change(before, now, 'wx_ai_time_to_first_token_seconds_count', { provider: 'openai' }), 1);
    assert.equal(change(before, now, 'wx_ai_duration_seconds_count', { provider: 'openai', outcome: 'ok' }), 1);
    assert.equal(valueOf(now, 'wx_answers_in_flight'), 0);
    assert.ok(valueOf(now, 'wx_redis_latency_seconds_count') >= 1, 'Redis is PINGed');
    assert.ok(valueOf(now, 'nodejs_eventloop_lag_seconds') >= 0);

    const text = (await instance.request('GET', '/metrics', { headers: { authorization: `Bearer ${account.adminToken}` } })).text;
    const secrets = { WECHAT_TOKEN: account.token, WECHAT_AES_KEY: account.aesKey, WECHAT_APPSECRET: account.appSecret, ADMIN_TOKEN: account.adminToken, EXTERNAL_SERVICE_API_KEY: MODEL_API_KEY };
    for (const [name, secret] of Object.entries(secrets)) assert.ok(!text.includes(secret), `${name} does not appear`);
    for (const token of wechat.issuedTokens) assert.ok(!text.includes(token), 'no access token appears');
    assert.ok(!text.includes('oMetricsFast') && !text.includes('北京'), 'no openid or content appears');
  });

  it('a slow answer by customer-service messages: route, latency, messages sent, API calls, token refresh and age', async () => {
    const delivery = await stack({ env: { PASSIVE_WINDOW_MS: '1000' } });
    const { instance, client } = delivery;
    const model = modelOf(delivery);
    const before = await scrape(instance);
    assert.equal(valueOf(before, 'wx_access_token_expires_in_seconds'), 0, 'no token before the first API call');

    model.replyNext({ delayMs: 2500, chunks: ['想了很久的', '回答。'] });
    const exchange = await client.sendText('oMetricsSlow', '慢问题');
    assert.equal(exchange.reply, 'success');
    const during = await scrape(instance);
    assert.equal(valueOf(during, 'wx_answers_in_flight'), 1, 'the answer is still being produced');

    const now = await scrapeUntil(instance, (exposition) => change(before, exposition, 'wx_deliveries_total', { route: 'customer_service' }) >= 1, 8000);
    assert.deepEqual(delivery.customerServiceTexts('oMetricsSlow'), ['想了很久的回答。']);
    assert.equal(change(before, now, 'wx_deliveries_total', { route: 'customer_service' }), 1);
    assert.equal(change(before, now, 'wx_deliveries_total'), 1);
    assert.equal(change(before, now, 'wx_answer_latency_seconds_count', { route: 'customer_service' }), 1);
    const latency = change(before, now, 'wx_answer_latency_seconds_sum', { route: 'customer_service' });
    assert.ok(latency >= 2 && latency < 8, `end to end ${latency} s`);
    assert.equal(change(before, now, 'wx_customer_service_messages_total', { result: 'sent', errcode: '0' }), 1);
    assert.equal(change(before, now, 'wx_wechat_api_calls_total', { api: 'message/custom/send', errcode: '0' }), 1);
    assert.ok(change(before, now, 'wx_wechat_api_calls_total', { api: 'message/custom/typing', errcode: '0' }) >= 1);
    assert.equal(change(before, now, 'wx_access_token_refreshes_total', { result: 'ok' }), 1);
    assert.equal(change(before, now, 'wx_wechat_api_calls_total', { api: 'stable_token', errcode: '0' }), 1);
    assert.ok(valueOf(now, 'wx_access_token_expires_in_seconds') > 7000, 'the fake issues tokens for 7200 s');
    assert.ok(valueOf(now, 'wx_access_token_age_seconds') < 60);
    assert.equal(valueOf(now, 'wx_answers_in_flight'), 0);
  });

  it('a long slow answer linked at /a/:id counts as the link route', async () => {
    const delivery = await stack({ env: { PASSIVE_WINDOW_MS: '1000', PUBLIC_BASE_URL: 'https://bot.example.com' } });
    const { instance, client } = delivery;
    const answer = longMarkdownAnswer(6000);
    modelOf(delivery).replyNext({ delayMs: 1500, chunks: answer.match(/[\s\S]{1,500}/g) ?? [], chunkDelayMs: 20 });
    const before = await scrape(instance);
    await client.sendText('oMetricsLong', '写一篇长文');
    const now = await scrapeUntil(instance, (exposition) => change(before, exposition, 'wx_deliveries_total', { route: 'link' }) >= 1, 10_000);
    assert.equal(change(before, now, 'wx_deliveries_total', { route: 'link' }), 1);
    assert.equal(change(before, now, 'wx_deliveries_total', { route: 'customer_service' }), 0);
    assert.equal(change(before, now, 'wx_customer_service_messages_total', { result: 'sent' }), 5, 'the quota');
  });

  it('without customer-service permission: passive on a retry; then a placeholder on the third delivery and a pickup', async () => {
    const delivery = await stack({ env: { PASSIVE_WINDOW_MS: '1000' }, wechat: { customServicePermission: false }, client: { timeoutMs: 1500 } });
    const { instance, client } = delivery;
    const model = modelOf(delivery);
    const before = await scrape(instance);

    model.replyNext({ delayMs: 2000, chunks: ['第二次投递时', '就绪的回答。'] });
    const onRetry = await client.sendText('oMetricsUnverified', '问题一');
    assert.deepEqual(onRetry.deliveries.map((each) => each.status), ['timeout', 200]);
    assert.equal(replyText(onRetry), '第二次投递时就绪的回答。');
    const middle = await scrape(instance);
    assert.equal(change(before, middle, 'wx_deliveries_total', { route: 'passive_on_retry' }), 1);
    assert.equal(change(before, middle, 'wx_deliveries_total'), 1, 'the held first delivery, closed by WeChat, does not count');
    assert.equal(change(before, middle, 'wx_callbacks_total', { type: 'text', delivery: '1' }), 1);
    assert.equal(change(before, middle, 'wx_callbacks_total', { type: 'text', delivery: '2' }), 1);
    assert.equal(change(before, middle, 'wx_wechat_api_calls_total', { api: 'message/custom/typing', errcode: '48001' }), 1, 'the permission probe');

    model.replyNext({ delayMs: 6000, chunks: ['所有投递之后', '才就绪的回答。'] });
    const slow = await client.sendText('oMetricsUnverified', '问题二');
    assert.deepEqual(slow.deliveries.map((each) => each.status), ['timeout', 'timeout', 200]);
    assert.match(replyText(slow) ?? '', /继续/);
    await sleep(3000);
    const pickup = await client.sendText('oMetricsUnverified', '继续');
    assert.equal(replyText(pickup), '所有投递之后才就绪的回答。');

    const now = await scrape(instance);
    assert.equal(change(middle, now, 'wx_deliveries_total', { route: 'placeholder' }), 1);
    assert.equal(change(middle, now, 'wx_deliveries_total', { route: 'pickup_served' }), 1);
    assert.equal(change(middle, now, 'wx_deliveries_total'), 2);
    assert.equal(change(middle, now, 'wx_callbacks_total', { type: 'text', delivery: '1', outcome: 'answered' }), 2, 'the question and the pickup');
    assert.equal(change(middle, now, 'wx_callbacks_total', { type: 'text', delivery: '2', outcome: 'answered' }), 1);
    assert.equal(change(middle, now, 'wx_callbacks_total', { type: 'text', delivery: '3', outcome: 'answered' }), 1);
    const placeholderLatency = change(middle, now, 'wx_answer_latency_seconds_sum', { route: 'placeholder' });
    assert.ok(placeholderLatency >= 2 && placeholderLatency < 10, `placeholder after ${placeholderLatency} s`);
    assert.equal(change(before, now, 'wx_customer_service_messages_total'), 0);
  });

  it('AI retries, timeouts and the circuit breaker', async () => {
    const delivery = await stack({ env: { EXTERNAL_SERVICE_TIMEOUT: '2', EXTERNAL_SERVICE_BREAKER_THRESHOLD: '3' } });
    const { instance, client } = delivery;
    const model = modelOf(delivery);
    const labels = { provider: 'openai', model: 'fake-model' };
    const before = await scrape(instance);

    model.replyNext({ error: { status: 503 } }, { chunks: ['第二次尝试成功。'] });
    assert.equal(replyText(await client.sendText('oMetricsAi', '一')), '第二次尝试成功。');
    model.replyNext({ delayMs: 4000, chunks: ['太晚了'] });
    assert.match(replyText(await client.sendText('oMetricsAi', '二')) ?? '', /超时/);
    const middle = await scrape(instance);
    assert.equal(change(before, middle, 'wx_ai_retries_total', labels), 1);
    assert.equal(change(before, middle, 'wx_ai_calls_total', { ...labels, outcome: 'ok' }), 1, 'a retried call is one call');
    assert.equal(change(before, middle, 'wx_ai_calls_total', { ...labels, outcome: 'timeout' }), 1);
    assert.equal(change(before, middle, 'wx_ai_timeouts_total', labels), 1);
    assert.equal(change(before, middle, 'wx_ai_duration_seconds_count', { ...labels, outcome: 'timeout' }), 1);
    assert.equal(valueOf(middle, 'wx_ai_circuit_state', { provider: 'openai' }), 0);

    // Two more failed attempts in a row (three with the timeout) open the circuit; then calls fail fast.
    model.replyNext({ error: { status: 401 } }, { error: { status: 401 } });
    await client.sendText('oMetricsAi', '三');
    await client.sendText('oMetricsAi', '四');
    await client.sendText('oMetricsAi', '五');
    const now = await scrape(instance);
    assert.equal(valueOf(now, 'wx_ai_circuit_state', { provider: 'openai' }), 2);
    assert.equal(change(middle, now, 'wx_ai_calls_total', { ...labels, outcome: 'error' }), 2);
    assert.equal(change(middle, now, 'wx_ai_calls_total', { ...labels, outcome: 'circuit_open' }), 1);
    assert.equal(model.chatRequests().length, 5, 'the open circuit did not call the model');
  });
});

describe('the per-message log line', { concurrency: true }, () => {
  /** Starts an echo instance at `level` and sends one text message; returns its log lines and the message's content. */
  async function sendAt(level: string): Promise<{ lines: Array<Record<string, unknown>>; raw: string; content: string }> {
    const credentials = testCredentials();
    const app = await startTestApp(testEnv(credentials, { LOG_LEVEL: level }));
    apps.push(app);
    const client = new WeChatClient({ ...credentials, callbackUrl: app.callbackUrl });
    const content = `private-question-${randomBytes(6).toString('hex')}`;
    const exchange = await client.sendText('oMetricsLog', content);
    assert.equal(replyText(exchange), content);
    await sleep(100);
    const raw = app.logs();
    return { raw, content, lines: raw.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
  }

  it('at INFO: id, type, route and latency, without the content anywhere in the log', async () => {
    const { lines, raw, content } = await sendAt('info');
    const answered = lines.filter((line) => line.msg === 'message answered');
    assert.equal(answered.length, 1);
    const [line] = answered;
    assert.match(String(line!.messageKey), /^wx[0-9a-f]+\|\d+$/);
    assert.equal(line!.type, 'text');
    assert.equal(line!.route, 'passive');
    assert.equal(typeof line!.latencyMs, 'number');
    assert.equal(line!.level, 'info');
    assert.ok(!raw.includes(content), 'the content is not logged at INFO');
  });

  it('at DEBUG: a content line with the same messageKey carries the question and the answer', async () => {
    const { lines, content } = await sendAt('debug');
    const answered = lines.find((line) => line.msg === 'message answered');
    const detail = lines.find((line) => line.msg === 'message content');
    assert.ok(answered && detail);
    assert.equal(detail.messageKey, answered.messageKey);
    assert.equal(detail.level, 'debug');
    assert.equal(detail.content, content);
    assert.match(String(detail.answer), new RegExp(content), 'the reply as sent (XML, before encryption)');
    assert.ok(!Object.values(answered).includes(content), 'the INFO line itself stays without content');
  });
});
