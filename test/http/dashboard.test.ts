/**
 * `/dashboard`, `/dashboard/data` and `/dashboard/assets/*` on the real server: the ADMIN_TOKEN guard (bearer, or
 * HTTP Basic with the token as password so a browser can prompt), the page's files served from the service, and
 * the figures moving when messages arrive the way WeChat sends them — on one instance, and across instances that
 * share Redis (any instance's data shows all of them).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DashboardData } from '../../src/dashboard/dashboard-view.js';
import { accountEnv, newAccount, startAccountFake, startAppInstance } from '../support/app-instances.js';
import { startDeliveryStack, type DeliveryStack } from '../support/delivery-stack.js';
import { requireRedis } from '../support/redis.js';
import { replyText } from '../support/wechat-client.js';

const PATHS = ['/dashboard', '/dashboard/data', '/dashboard/assets/dashboard.js', '/dashboard/assets/uPlot.iife.min.js'];
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const stacks: DeliveryStack[] = [];
async function stack(...options: Parameters<typeof startDeliveryStack>): Promise<DeliveryStack> {
  const started = await startDeliveryStack(...options);
  stacks.push(started);
  started.model?.setDefaultReply({ delayMs: 50, chunks: ['好的，', '这是回答。'] });
  return started;
}

async function dashboardData(delivery: DeliveryStack, index = 0): Promise<DashboardData> {
  const answer = await delivery.instances[index]!.request('GET', '/dashboard/data', { headers: { authorization: `Bearer ${delivery.account.adminToken}` } });
  assert.equal(answer.status, 200, answer.text);
  return answer.json as unknown as DashboardData;
}

/** Reads the data until `condition` holds (snapshots are taken every 2 s) or `timeoutMs` passes; returns the last read. */
async function dataWhen(delivery: DeliveryStack, condition: (data: DashboardData) => boolean, timeoutMs = 8000, index = 0): Promise<DashboardData> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const data = await dashboardData(delivery, index);
    if (condition(data) || Date.now() > deadline) return data;
    await sleep(150);
  }
}

describe('dashboard routes', { concurrency: true }, () => {
  after(() => Promise.all(stacks.map((each) => each.close())));

  it('with ADMIN_TOKEN: 401 and a Basic challenge without it or with a wrong one; Bearer and Basic (any user name) let in', async () => {
    const delivery = await stack();
    const { instance, account } = delivery;
    const refused = {
      none: {},
      'wrong bearer': { authorization: 'Bearer not-the-token' },
      'wrong basic password': { authorization: basic('operator', 'not-the-token') },
      'token as user name, not password': { authorization: basic(account.adminToken, '') },
      'basic without a colon': { authorization: `Basic ${Buffer.from(account.adminToken).toString('base64')}` },
      'not base64': { authorization: 'Basic %%%' },
      'another scheme': { authorization: `Digest ${account.adminToken}` },
    };
    for (const path of PATHS) {
      for (const [label, headers] of Object.entries(refused)) {
        const response = await fetch(`${instance.url}${path}`, { headers });
        assert.equal(response.status, 401, `${path}, ${label}`);
        assert.equal(response.headers.get('www-authenticate'), 'Basic realm="wx-backend"', `${path}, ${label}`);
        assert.ok(!(await response.text()).includes(account.adminToken));
      }
      for (const authorization of [`Bearer ${account.adminToken}`, basic('operator', account.adminToken), basic('', account.adminToken), basic('张三', account.adminToken)]) {
        const response = await fetch(`${instance.url}${path}`, { headers: { authorization } });
        assert.equal(response.status, 200, `${path} with ${authorization.slice(0, 12)}…`);
        await response.arrayBuffer();
      }
    }
    assert.ok(!instance.logs().includes(account.adminToken), 'the admin token is never logged');
    assert.match(instance.logs(), /admin request refused/);
  });

  it('without ADMIN_TOKEN the dashboard is open, like /metrics', async () => {
    const account = newAccount();
    const fake = await startAccountFake(account);
    const env = accountEnv(account, fake.url, { LOG_LEVEL: 'warn' });
    delete env.ADMIN_TOKEN;
    const instance = await startAppInstance(env);
    try {
      for (const path of PATHS) assert.equal((await instance.request('GET', path)).status, 200, path);
    } finally {
      await instance.close();
      await fake.close();
    }
  });

  it('serves the page and its files from the service itself: no CDN, no inline script, a strict content security policy', async () => {
    const { instance, account } = await stack();
    const headers = { authorization: `Bearer ${account.adminToken}` };
    const page = await fetch(`${instance.url}/dashboard`, { headers });
    const html = await page.text();
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self';/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'every script and style comes from this service');
    assert.doesNotMatch(html, /<script>|<style>| style="/, 'no inline script or style (the policy would block it)');
    for (const [file, type] of [['dashboard.js', /^text\/javascript/], ['dashboard.css', /^text\/css/], ['uPlot.iife.min.js', /^text\/javascript/], ['uPlot.min.css', /^text\/css/]] as const) {
      assert.ok(html.includes(`dashboard/assets/${file}`), `the page loads ${file}`);
      const response = await fetch(`${instance.url}/dashboard/assets/${file}`, { headers });
      assert.equal(response.status, 200, file);
      assert.match(response.headers.get('content-type') ?? '', type);
      assert.ok((await response.arrayBuffer()).byteLength > 1000, file);
    }
    const uplot = await (await fetch(`${instance.url}/dashboard/assets/uPlot.iife.min.js`, { headers })).text();
    assert.equal(uplot, readFileSync(new URL('../../node_modules/uplot/dist/uPlot.iife.min.js', import.meta.url), 'utf8'), 'uPlot as its npm package ships it');
    for (const unknown of ['nothing.js', '..%2Fdashboard.html', '..%2F..%2Fpackage.json']) {
      assert.equal((await fetch(`${instance.url}/dashboard/assets/${unknown}`, { headers })).status, 404, unknown);
    }
  });

  it('/dashboard/data moves when messages arrive as WeChat sends them, and carries no secret', async () => {
    const delivery = await stack();
    const { instance, account, wechat } = delivery;
    const idle = await dashboardData(delivery);
    assert.equal(idle.deployment.messages.total, 0);
    assert.equal(idle.rows.length, 1);
    assert.equal(idle.rows[0]!.instance, idle.servedBy);
    assert.equal(idle.rows[0]!.version, VERSION);
    assert.deepEqual(idle.rows[0]!.ai, { provider: 'openai', model: 'fake-model' });

    // A forged delivery, refused with 403 before any handler runs; then three messages, encrypted, as WeChat sends them.
    const forged = await fetch(`${instance.url}/wechat?signature=0&timestamp=${Math.floor(Date.now() / 1000)}&nonce=1&encrypt_type=aes&msg_signature=0`, { method: 'POST', body: '<xml><Encrypt><![CDATA[x]]></Encrypt></xml>' });
    assert.equal(forged.status, 403);
    for (let index = 0; index < 3; index++) assert.equal(replyText(await delivery.client.sendText(`oDashboardUser${index}`, `问题 ${index}`)), '好的，这是回答。');

    // Percentiles cover the latest interval (~2 s) only: remember whether any read showed them.
    const seen = { latency: false, firstToken: false, rate: false };
    const data = await dataWhen(delivery, (each) => {
      seen.latency ||= each.deployment.answerLatency.p50 !== null;
      seen.firstToken ||= each.deployment.ai.firstToken.p50 !== null;
      seen.rate ||= each.deployment.messages.perSecond > 0;
      return each.deployment.messages.total === 3 && each.deployment.ai.tokensOut.total > 0 && seen.latency && seen.firstToken && seen.rate;
    });
    const figures = data.deployment;
    assert.equal(figures.messages.total, 3);
    assert.deepEqual(seen, { latency: true, firstToken: true, rate: true });
    assert.deepEqual(figures.rejected.byStatus, { '403': 1 });
    assert.deepEqual(figures.routes.filter((route) => route.total > 0).map((route) => [route.route, route.total]), [['passive', 3]]);
    assert.equal(figures.ai.calls.total, 3);
    assert.ok(figures.ai.tokensIn.total > 0 && figures.ai.tokensOut.total > 0, JSON.stringify(figures.ai));
    const latency = data.snapshots[0]!.totals.histograms.wx_answer_latency_seconds!;
    assert.equal(latency.count, 3, 'three answers timed');
    assert.ok(latency.sum > 0 && latency.sum < 15);
    assert.equal(figures.circuit, 'closed');
    assert.equal(data.rows[0]!.messages.total, 3);
    assert.ok(figures.residentMemoryBytes > 10e6);

    const text = JSON.stringify(data);
    const secrets = { token: account.token, aesKey: account.aesKey, appSecret: account.appSecret, adminToken: account.adminToken, modelKey: 'sk-delivery-test', ...Object.fromEntries(wechat.issuedTokens.map((token, index) => [`access token ${index}`, token])) };
    for (const [name, secret] of Object.entries(secrets)) assert.ok(!text.includes(secret), `${name} is not in the data`);
    assert.ok(!text.includes(delivery.model!.url), 'nor is the AI service URL');
    assert.ok(!text.includes('oDashboardUser'), 'nor any openid');
  });

  it('with REDIS_URL, every instance’s data shows the whole deployment; an instance that stops leaves it', async (t) => {
    if (!(await requireRedis(t))) return;
    const delivery = await stack({ instances: 2 });
    const [first, second] = [await dashboardData(delivery, 0), await dashboardData(delivery, 1)];
    assert.notEqual(first.servedBy, second.servedBy);
    const ids = [first.servedBy, second.servedBy].sort();

    await delivery.clientFor(0).sendText('oClusterUserA', '一');
    for (let index = 0; index < 2; index++) await delivery.clientFor(1).sendText(`oClusterUserB${index}`, '二');

    for (const index of [0, 1]) {
      const data = await dataWhen(delivery, (each) => each.deployment.messages.total === 3 && each.rows.length === 2, 8000, index);
      assert.deepEqual(data.rows.map((row) => row.instance).sort(), ids, `instance ${index} lists both`);
      assert.equal(data.deployment.messages.total, 3, `instance ${index} adds both up`);
      const byInstance = Object.fromEntries(data.rows.map((row) => [row.instance, row.messages.total]));
      assert.deepEqual(byInstance, { [first.servedBy]: 1, [second.servedBy]: 2 });
      assert.ok(data.rows.every((row) => row.redis));
    }

    await delivery.instances[1]!.close();
    const after = await dataWhen(delivery, (each) => each.rows.length === 1, 3000);
    assert.deepEqual(after.rows.map((row) => row.instance), [first.servedBy], 'a stopped instance takes itself off at once');
  });
});
