/**
 * The web simulator in real headless Chromium against the real server in demo mode: a fast answer (echo), a
 * picture answered with a picture, the menu of MENU_FILE; a slow model (> 5 s) whose answer arrives as
 * customer-service messages through the demo fake WeChat API, with the typing indicator; and REPLY_MODE=passive
 * with a model slower than WeChat's three deliveries: the placeholder, then a successful pickup. No console errors;
 * screenshots under test-results/screenshots.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startFakeOpenAI, type FakeOpenAI } from '../ai/fakes/fake-openai.js';
import { startAppInstance, temporaryFolder, type AppInstance } from '../support/app-instances.js';
import { collectPageErrors, launchBrowser, saveScreenshot } from '../support/browser.js';
import { openAIEnv } from '../support/delivery-stack.js';
import { stripedPng } from '../support/png.js';
import { demoEnv } from '../support/simulator-chat.js';

const MENU = {
  button: [
    { type: 'click', name: '营业时间', key: 'HOURS', reply: '周一至周五 9:00–18:00' },
    {
      name: '更多',
      sub_button: [
        { type: 'click', name: '使用帮助', key: 'HELP', reply: '发送任何问题即可。' },
        { type: 'view', name: '官网', url: 'https://www.example.com/' },
      ],
    },
  ],
};

interface Demo {
  instance: AppInstance;
  model?: FakeOpenAI;
  close(): Promise<void>;
}

async function startDemo(extra: Record<string, string>, options: { model?: boolean; simulatorTimeoutMs?: number } = {}): Promise<Demo> {
  const folder = temporaryFolder('simulator-browser');
  writeFileSync(path.join(folder.path, 'menu.json'), JSON.stringify(MENU));
  const model = options.model ? await startFakeOpenAI({}) : undefined;
  const instance = await startAppInstance(demoEnv({ MENU_FILE: 'menu.json', ...(model ? openAIEnv(model) : {}), ...extra }), {
    cwd: folder.path,
    ...(options.simulatorTimeoutMs === undefined ? {} : { simulatorTimeoutMs: options.simulatorTimeoutMs }),
  });
  return {
    instance,
    ...(model ? { model } : {}),
    async close() {
      await instance.close();
      await model?.close();
      folder.remove();
    },
  };
}

/** Opens the simulator as `openId` (a phone-sized window showing the phone frame) and waits until it is connected. */
async function openSimulator(browser: Browser, demo: Demo, openId: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 520, height: 900 } });
  const errors = collectPageErrors(page);
  await page.goto(`${demo.instance.url}/simulator?openid=${openId}`);
  await page.locator('#banner').waitFor({ state: 'visible' });
  return { page, errors };
}

/** Shows the keyboard (the page starts with the menu when there is one) and sends `text`. */
async function type(page: Page, text: string): Promise<void> {
  if (await page.locator('#to-keyboard').isVisible()) await page.click('#to-keyboard');
  await page.fill('#input', text);
  await page.click('#send');
}

/** Waits until a picture matching `selector` has loaded and is `width` pixels wide (the one sent). */
async function waitForPicture(page: Page, selector: string, width: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const widths = await page.locator(selector).evaluateAll((images) => images.map((image) => {
      const picture = image as unknown as { complete: boolean; naturalWidth: number };
      return picture.complete ? picture.naturalWidth : 0;
    }));
    if (widths.includes(width)) return;
    if (Date.now() > deadline) throw new Error(`no loaded ${width}px picture at ${selector} (widths: ${widths.join(', ')})`);
    await page.waitForTimeout(100);
  }
}

const accountBubble = (page: Page, text: string | RegExp) => page.locator('.row.account .bubble', { hasText: text });

describe('web simulator in Chromium (demo mode)', () => {
  let launched: Browser | undefined;
  const demos: Demo[] = [];
  /** One Chromium for every test; a test without one is skipped (a failure under CI=true). */
  const browserFor = async (t: TestContext): Promise<Browser | undefined> => (launched ??= await launchBrowser(t));
  after(async () => {
    await launched?.close();
    for (const demo of demos) await demo.close();
  });

  it('a fast answer, a picture answered with a picture, and the menu of MENU_FILE', async (t) => {
    const browser = await browserFor(t);
    if (!browser) return;
    const demo = await startDemo({});
    demos.push(demo);
    const { page, errors } = await openSimulator(browser, demo, 'oBrowserFast');
    assert.match(await page.locator('#banner').innerText(), /演示模式 · 未连接微信/);
    // The menu is the bottom bar, as in WeChat; a click button answers with its reply.
    assert.ok(await page.locator('#menubar').isVisible());
    await page.click('.menubutton:has-text("营业时间")');
    await accountBubble(page, '周一至周五 9:00–18:00').waitFor({ timeout: 10_000 });
    await page.click('.menubutton:has-text("更多")');
    await page.locator('.submenu button', { hasText: '官网' }).waitFor();
    await saveScreenshot(page, 'simulator-menu');
    await page.click('.submenu button:has-text("使用帮助")');
    await accountBubble(page, '发送任何问题即可。').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.notice', { hasText: '点击菜单「使用帮助」' }).count(), 1);

    // (a) A fast answer: the echo, as a passive reply on the first delivery.
    await type(page, '你好，模拟器！');
    await page.locator('.row.user .bubble', { hasText: '你好，模拟器！' }).waitFor();
    const echo = accountBubble(page, '你好，模拟器！');
    await echo.waitFor({ timeout: 10_000 });
    assert.equal(await echo.getAttribute('data-source'), 'passive');
    assert.equal(await page.locator('.delivery[data-outcome="passive"]').first().innerText(), '');

    // (d) A picture: kept by the fake WeChat API, echoed as a passive image reply, shown from the simulator's media route.
    await page.setInputFiles('#image-input', { name: 'striped.png', mimeType: 'image/png', buffer: stripedPng(120, [230, 80, 60]) });
    await waitForPicture(page, '.row.account .bubble.media img', 120);
    await waitForPicture(page, '.row.user .bubble.media img', 120);
    assert.equal(await page.locator('.row.account .bubble.media[data-source="passive"]').count(), 1);
    await saveScreenshot(page, 'simulator-fast-answer-menu-and-image');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('(b) a model slower than 5 s: the typing indicator, then the answer as customer-service messages', async (t) => {
    const browser = await browserFor(t);
    if (!browser) return;
    const demo = await startDemo({ PASSIVE_WINDOW_MS: '2000' }, { model: true });
    demos.push(demo);
    demo.model!.replyNext({ delayMs: 6000, chunks: ['这是一个', '慢慢想出来的回答。'] });
    const { page, errors } = await openSimulator(browser, demo, 'oBrowserSlow');
    await type(page, '一个要想很久的问题');
    await page.locator('#status', { hasText: '对方正在输入…' }).waitFor({ timeout: 5_000 });
    await saveScreenshot(page, 'simulator-slow-answer-typing');
    const answer = accountBubble(page, '这是一个慢慢想出来的回答。');
    await answer.waitFor({ timeout: 15_000 });
    assert.equal(await answer.getAttribute('data-source'), 'customer-service');
    assert.equal(await page.locator('.row.account .bubble[data-source="passive"]').count(), 0, 'no passive reply: the first delivery got success');
    assert.equal(await page.locator('.delivery[data-outcome="success"]').innerText(), '已送达');
    assert.equal(await page.locator('#status').innerText(), '', 'the typing indicator is gone once the answer is there');
    assert.doesNotMatch(demo.instance.logs(), /40003|invalid openid/);
    await saveScreenshot(page, 'simulator-slow-answer-customer-service');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('(c) REPLY_MODE=passive and a model slower than three deliveries: the placeholder, then the answer on 继续', async (t) => {
    const browser = await browserFor(t);
    if (!browser) return;
    // WeChat's three 5 s deliveries shortened to 1.5 s each (tests only), the passive window to 1 s.
    const demo = await startDemo({ REPLY_MODE: 'passive', PASSIVE_WINDOW_MS: '1000' }, { model: true, simulatorTimeoutMs: 1500 });
    demos.push(demo);
    demo.model!.replyNext({ delayMs: 5500, chunks: ['等了很久', '才准备好的回答。'] });
    const { page, errors } = await openSimulator(browser, demo, 'oBrowserPickup');
    const sentAt = Date.now();
    await type(page, '请慢慢回答');
    const placeholder = accountBubble(page, /回复「继续」/);
    await placeholder.waitFor({ timeout: 10_000 });
    assert.equal(await placeholder.getAttribute('data-source'), 'passive');
    const status = await page.locator('.delivery').first().innerText();
    assert.equal(status, '第 3 次投递时回复（前 2 次无应答）');
    await saveScreenshot(page, 'simulator-placeholder');
    // Picked up once the model is done (it reaches the model only once; a pickup never does).
    await page.waitForTimeout(Math.max(0, sentAt + 6500 - Date.now()));
    await type(page, '继续');
    const answer = accountBubble(page, '等了很久才准备好的回答。');
    await answer.waitFor({ timeout: 10_000 });
    assert.equal(await answer.getAttribute('data-source'), 'passive');
    assert.equal(demo.model!.chatRequests().length, 1);
    await saveScreenshot(page, 'simulator-pickup');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
