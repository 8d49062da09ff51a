/**
 * `wx-backend simulate` plays WeChat's delivery rule against a real server: it waits through WeChat's retries and
 * prints the answer that came on a retry, or the pickup placeholder (and the answer on `继续`); it prints the
 * customer-service messages of a slow answer when the server's simulator is on, and says so when it is off; a
 * server that never answers is "no delivery got an answer", only a refused connection is "cannot reach".
 * Real servers on loopback, a fake OpenAI-compatible model; the command runs in-process (`runCli`).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../../src/cli/main.js';
import { startFakeOpenAI, type FakeOpenAI } from '../ai/fakes/fake-openai.js';
import { startAppInstance, temporaryFolder, type AppInstance } from '../support/app-instances.js';
import { eventually, openAIEnv, startDeliveryStack, type DeliveryStack } from '../support/delivery-stack.js';
import { demoEnv } from '../support/simulator-chat.js';
import { assertNoStackTrace, unusedLocalUrl } from './cli-fixture.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function simulate(args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['simulate', ...args], {
    env,
    cwd,
    envFile: false,
    print: (line) => void (stdout += `${line}\n`),
    printError: (line) => void (stderr += `${line}\n`),
  });
  assertNoStackTrace(stdout + stderr);
  return { code, stdout, stderr };
}

/** A demo-mode server answering with a fake model, and the environment and folder the command shares with it. */
async function startDemo(extra: Record<string, string>): Promise<{ model: FakeOpenAI; instance: AppInstance; env: Record<string, string>; cwd: string; close(): Promise<void> }> {
  const model = await startFakeOpenAI({ apiKey: 'sk-simulate-test' });
  const folder = temporaryFolder('simulate');
  const env = demoEnv({ ...openAIEnv(model), EXTERNAL_SERVICE_API_KEY: 'sk-simulate-test', PASSIVE_WINDOW_MS: '600', ...extra });
  const instance = await startAppInstance(env, { cwd: folder.path });
  return {
    model,
    instance,
    env,
    cwd: folder.path,
    async close() {
      await instance.close();
      await model.close();
      folder.remove();
    },
  };
}

const callbackOf = (instance: AppInstance): string => `${instance.url}${instance.server.config.wechat.path}`;

describe('wx-backend simulate waits through WeChat\'s retries (REPLY_MODE=passive)', () => {
  let demo: Awaited<ReturnType<typeof startDemo>> | undefined;
  after(() => demo?.close());

  it('an answer ready on the second delivery is printed, after a note about the first', async () => {
    demo = await startDemo({ REPLY_MODE: 'passive' });
    demo.model.replyNext({ delayMs: 1500, chunks: ['第二次投递', '时的回答'] });
    const run = await simulate(['你好', '--url', callbackOf(demo.instance), '--timeout', '1000', '--encrypted'], demo.env, demo.cwd);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '第二次投递时的回答\n');
    assert.match(run.stderr, /delivery 1: no answer within 1\.\d s; WeChat delivers it again/);
    assert.doesNotMatch(run.stderr, /delivery 2|cannot reach/);
  });

  it('slower than every delivery: the placeholder naming 继续, then 继续 prints the answer', async () => {
    assert.ok(demo, 'the previous test started the server');
    demo.model.replyNext({ delayMs: 3500, chunks: ['慢慢', '想好的回答'] });
    const started = Date.now();
    const run = await simulate(['请慢慢想', '--url', callbackOf(demo.instance), '--timeout', '1000'], demo.env, demo.cwd);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /回复「继续」/);
    assert.match(run.stderr, /delivery 1: no answer within/);
    assert.match(run.stderr, /delivery 2: no answer within/);
    assert.doesNotMatch(run.stderr, /delivery 3/);
    await sleep(Math.max(0, started + 4000 - Date.now()));
    const pickup = await simulate(['继续', '--url', callbackOf(demo.instance), '--timeout', '1000'], demo.env, demo.cwd);
    assert.equal(pickup.code, 0, pickup.stderr);
    assert.equal(pickup.stdout, '慢慢想好的回答\n');
  });
});

describe('wx-backend simulate shows customer-service messages through the server\'s simulator', () => {
  let demo: Awaited<ReturnType<typeof startDemo>> | undefined;
  let stack: DeliveryStack | undefined;
  after(async () => {
    await demo?.close();
    await stack?.close();
  });

  it('demo mode: a slow answer is answered with success and printed from the customer-service messages', async () => {
    demo = await startDemo({});
    demo.model.replyNext({ delayMs: 1500, chunks: ['客服消息', '送来的回答。'] });
    const run = await simulate(['慢一点的问题', '--url', callbackOf(demo.instance), '--encrypted', '--from', 'oCliSlowUser'], demo.env, demo.cwd);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '客服消息送来的回答。\n');
    assert.match(run.stderr, /no passive reply: the server answered .*waiting up to 60 s for customer-service messages/);
    assert.doesNotMatch(run.stderr, /40003|invalid openid/);
    assert.doesNotMatch(demo.instance.logs(), /40003/, 'the demo fake WeChat API knows the user');
  });

  it('with the simulator off (a real account), it says the answer goes out as customer-service messages it cannot show', async () => {
    stack = await startDeliveryStack({ env: { REPLY_MODE: 'customer_service', PASSIVE_WINDOW_MS: '600' } });
    stack.model?.replyNext({ delayMs: 1000, chunks: ['发往微信的回答'] });
    // WeChat knows the user wrote (the window for customer-service messages opens).
    stack.wechat.noteUserMessage('oCliOffUser');
    const folder = temporaryFolder('simulate-off');
    try {
      const run = await simulate(['问题', '--url', callbackOf(stack.instance), '--encrypted', '--from', 'oCliOffUser'], accountEnvOf(stack), folder.path);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /simulator is off \(it is on in demo mode or with SIMULATOR_ENABLED=true\)/);
      const delivered = stack;
      assert.ok(await eventually(() => delivered.customerServiceTexts('oCliOffUser').length > 0, 5000), 'the answer went to WeChat');
      assert.deepEqual(delivered.customerServiceTexts('oCliOffUser'), ['发往微信的回答']);
    } finally {
      folder.remove();
    }
  });
});

describe('wx-backend simulate tells a slow server from one that is not running', () => {
  const silent = createServer(() => {
    // never answers
  });
  after(() => {
    silent.closeAllConnections();
    silent.close();
  });

  it('a server that never answers: three deliveries time out, "no delivery got an answer", exit 1 — not "cannot reach"', async () => {
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const folder = temporaryFolder('simulate-silent');
    try {
      const run = await simulate(['hello', '--url', `http://127.0.0.1:${port}/wechat`, '--timeout', '300'], demoEnv(), folder.path);
      assert.equal(run.code, 1);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /no delivery got an answer \(no answer within 0\.\d s; no answer within 0\.\d s; no answer within 0\.\d s\): WeChat gives up/);
      assert.doesNotMatch(run.stderr, /cannot reach/);
    } finally {
      folder.remove();
    }
  });

  it('nothing listening: "cannot reach … connection refused", exit 1', async () => {
    const folder = temporaryFolder('simulate-refused');
    try {
      const run = await simulate(['hello', '--url', `${await unusedLocalUrl()}/wechat`], demoEnv(), folder.path);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /cannot reach http:\/\/127\.0\.0\.1:\d+\/wechat: connection refused\. Is the server running/);
    } finally {
      folder.remove();
    }
  });

  it('bad --timeout and --wait values are usage errors (exit 2)', async () => {
    const folder = temporaryFolder('simulate-usage');
    try {
      assert.equal((await simulate(['x', '--timeout', 'soon'], demoEnv(), folder.path)).code, 2);
      assert.equal((await simulate(['x', '--wait', '-1'], demoEnv(), folder.path)).code, 2);
    } finally {
      folder.remove();
    }
  });
});

/** The environment the stack's instance runs with, for the command. */
function accountEnvOf(stack: DeliveryStack): Record<string, string> {
  const { account, wechat } = stack;
  const model = stack.model;
  assert.ok(model);
  return {
    WECHAT_TOKEN: account.token,
    WECHAT_AES_KEY: account.aesKey,
    WECHAT_APPID: account.appId,
    WECHAT_APPSECRET: account.appSecret,
    WECHAT_API_BASE: wechat.url,
    LOG_DIR: '',
    ...openAIEnv(model),
  };
}
