/**
 * The dashboard in real headless Chromium: it loads with no console error and nothing from outside the service,
 * its figures move while encrypted messages arrive the way WeChat sends them, and — with two instances sharing the
 * real Redis — the page served by one instance lists both and adds their figures up. Screenshots go to
 * test-results/screenshots/.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { collectPageErrors, launchBrowser, saveScreenshot } from '../support/browser.js';
import { startDeliveryStack, type DeliveryStack } from '../support/delivery-stack.js';
import { requireRedis } from '../support/redis.js';

const stacks: DeliveryStack[] = [];
const browsers: Browser[] = [];

async function stack(...options: Parameters<typeof startDeliveryStack>): Promise<DeliveryStack> {
  const started = await startDeliveryStack(...options);
  stacks.push(started);
  started.model?.setDefaultReply({ delayMs: 120, chunks: ['好的，', '这是一个回答。'] });
  return started;
}

/** The dashboard of `delivery`'s instance `index`, signed in with the admin token as a browser user would (Basic auth). */
async function openDashboard(browser: Browser, delivery: DeliveryStack, index = 0): Promise<{ page: Page; errors: string[]; foreignRequests: string[] }> {
  const context = await browser.newContext({ httpCredentials: { username: 'operator', password: delivery.account.adminToken }, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  const origin = delivery.instances[index]!.url;
  const foreignRequests: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(`${origin}/`)) foreignRequests.push(request.url());
  });
  const response = await page.goto(`${origin}/dashboard`);
  assert.equal(response?.status(), 200);
  await waitForFigure(page, 'connection', (text) => text === 'live');
  return { page, errors, foreignRequests };
}

async function figure(page: Page, name: string): Promise<string> {
  return ((await page.locator(`[data-figure="${name}"]`).first().textContent()) ?? '').trim();
}

/** Waits until the figure's text satisfies `test`; fails with the last text seen. */
async function waitForFigure(page: Page, name: string, test: (text: string) => boolean, timeoutMs = 12_000): Promise<string> {
  return waitForText(() => figure(page, name), `figure ${name}`, test, timeoutMs);
}

/** Polls a text on the page until it passes `test`: the page shows the snapshot of the moment, 2 s apart. */
async function waitForText(read: () => Promise<string | null>, what: string, test: (text: string) => boolean, timeoutMs = 12_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = (await read()) ?? '';
    if (test(text)) return text;
    await sleep(100);
  }
  assert.fail(`${what} is still "${text}" after ${timeoutMs} ms`);
}

async function browser(t: Parameters<typeof launchBrowser>[0]): Promise<Browser | undefined> {
  const launched = await launchBrowser(t);
  if (launched) browsers.push(launched);
  return launched;
}

describe('dashboard in a browser', () => {
  // Browsers first: a page still polling a stopped server would only log connection errors.
  after(async () => {
    await Promise.all(browsers.map((each) => each.close()));
    await Promise.all(stacks.map((each) => each.close()));
  });

  it('loads without errors, shows zeros at rest, and its figures move while messages arrive', async (t) => {
    const chromium = await browser(t);
    if (!chromium) return;
    const delivery = await stack();
    const { page, errors, foreignRequests } = await openDashboard(chromium, delivery);

    assert.equal(await figure(page, 'messages-total'), '0');
    assert.equal(await figure(page, 'messages-rate'), '0');
    assert.equal(await figure(page, 'instances'), '1');
    assert.equal(await figure(page, 'latency-p99'), '—');
    assert.equal(await figure(page, 'circuit'), 'closed');
    assert.equal(await page.locator('#instances tr[data-instance]').count(), 1);
    assert.equal(await page.locator('.chart .uplot').count(), 8, 'eight charts drawn');
    await saveScreenshot(page, 'dashboard-at-rest');

    // Twelve users write within ~3 s, each message encrypted and delivered as WeChat does.
    const sending = (async () => {
      for (let index = 0; index < 12; index++) {
        await delivery.client.sendText(`oBrowserUser${index}`, `你好 ${index}`);
        await sleep(250);
      }
    })();
    await waitForFigure(page, 'messages-rate', (text) => Number(text) > 0);
    await sending;
    await waitForFigure(page, 'messages-total', (text) => text === '12');
    await waitForFigure(page, 'tokens-out', (text) => Number(text) > 0);
    // A message is counted when it arrives and its route when its answer goes out: the two may be a snapshot apart.
    await waitForText(() => page.locator('#routes tr[data-route="passive"] td').nth(1).textContent(), 'passive answers', (text) => text === '12');
    await waitForText(() => page.locator('#instances tr[data-instance] td').nth(3).textContent(), "the instance's messages", (text) => text === '12');
    await saveScreenshot(page, 'dashboard-with-traffic');

    assert.deepEqual(errors, []);
    assert.deepEqual(foreignRequests, [], 'nothing is loaded from outside the service');
  });

  it('served by one of two instances sharing Redis, lists both and adds their figures up', async (t) => {
    if (!(await requireRedis(t))) return;
    const chromium = await browser(t);
    if (!chromium) return;
    const delivery = await stack({ instances: 2 });
    const ids = await Promise.all(
      delivery.instances.map(async (instance) => {
        const data = await instance.request('GET', '/dashboard/data', { headers: { authorization: `Bearer ${delivery.account.adminToken}` } });
        return data.json?.servedBy as string;
      }),
    );
    const { page, errors } = await openDashboard(chromium, delivery, 0);
    await waitForFigure(page, 'instances', (text) => text === '2');
    const listed = await page.locator('#instances tr[data-instance]').evaluateAll((rows) => rows.map((row) => (row as unknown as { dataset: { instance: string } }).dataset.instance));
    assert.deepEqual([...listed].sort(), [...ids].sort());

    for (let index = 0; index < 2; index++) await delivery.clientFor(0).sendText(`oFirstInstanceUser${index}`, '一');
    for (let index = 0; index < 3; index++) await delivery.clientFor(1).sendText(`oSecondInstanceUser${index}`, '二');
    await waitForFigure(page, 'messages-total', (text) => text === '5');
    const perInstance = async (id: string) => page.locator(`#instances tr[data-instance="${id}"] td`).nth(3).textContent();
    assert.deepEqual([await perInstance(ids[0]!), await perInstance(ids[1]!)], ['2', '3']);
    assert.match((await page.locator('#summary').textContent()) ?? '', /2 instances · .*shared through Redis/);
    await saveScreenshot(page, 'dashboard-two-instances');
    assert.deepEqual(errors, []);
  });
});
