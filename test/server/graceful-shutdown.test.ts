/**
 * SIGTERM without Redis (one process): the real server as a child process, a fake OpenAI-compatible model and the
 * fake WeChat API on loopback, and a WeChat-like client. Answers in flight when the signal comes are finished
 * within SHUTDOWN_TIMEOUT (their customer-service messages still go out); those that cannot finish in time are
 * abandoned with one WARN line naming them; a callback after the signal starts no model call.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeOpenAI, type FakeOpenAI } from '../ai/fakes/fake-openai.js';
import type { FakeWeChatApi } from '../../src/demo/fake-wechat-api/start-fake-wechat-api.js';
import { messageXml, randomMsgId } from '../../src/simulator/wechat-emulator.js';
import { accountEnv, newAccount, startAccountFake, type Account } from '../support/app-instances.js';
import { modelOf, openAIEnv, startDeliveryStack } from '../support/delivery-stack.js';
import { childEnv, spawnServer, type Spawned } from '../support/processes.js';
import { WeChatClient } from '../support/wechat-client.js';

interface ShutdownStack {
  account: Account;
  wechat: FakeWeChatApi;
  model: FakeOpenAI;
  server: Spawned;
  client: WeChatClient;
  texts(openId: string): string[];
}

const cleanups: Array<() => Promise<unknown>> = [];

async function startStack(env: Record<string, string>): Promise<ShutdownStack> {
  const account = newAccount();
  const wechat = await startAccountFake(account);
  const model = await startFakeOpenAI({ apiKey: 'sk-delivery-test' });
  const cwd = mkdtempSync(path.join(tmpdir(), 'wx-shutdown-'));
  const server = spawnServer(cwd, childEnv(accountEnv(account, wechat.url, { LOG_LEVEL: 'info', PASSIVE_WINDOW_MS: '1000', ...openAIEnv(model), ...env })));
  cleanups.push(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await server.exited;
    await model.close();
    await wechat.close();
    rmSync(cwd, { recursive: true, force: true });
  });
  const [, port] = await server.waitFor(/"port":(\d+)[^\n]*wx-backend listening/);
  const client = new WeChatClient({
    token: account.token,
    aesKey: account.aesKey,
    appId: account.appId,
    callbackUrl: `http://127.0.0.1:${port}/wechat`,
    noteUserMessage: (openId) => void wechat.noteUserMessage(openId),
  });
  const texts = (openId: string): string[] =>
    (wechat.state.customerServiceMessages.get(openId) ?? []).filter((message) => message.msgtype === 'text').map((message) => String((message.content as { content: string }).content));
  return { account, wechat, model, server, client, texts };
}

/** The JSON log lines of the child whose `msg` matches. */
function logLines(server: Spawned, msg: RegExp): Array<Record<string, unknown>> {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => typeof entry.msg === 'string' && msg.test(entry.msg));
}

after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

describe('graceful shutdown without Redis', { concurrency: true }, () => {
  it('SIGTERM while a customer-service answer is coming: the answer is still sent, the log says 1 finished, exit 0; a message after the signal starts no model call', async () => {
    const stack = await startStack({ SHUTDOWN_TIMEOUT: '8' });
    stack.model.replyNext({ delayMs: 3000, chunks: ['关机前', '的回答。'] });
    const exchange = await stack.client.sendText('oUserShutdown', '慢问题');
    assert.equal(exchange.reply, 'success', 'answered success: the answer follows by customer-service messages');
    const signalledAt = Date.now();
    stack.server.child.kill('SIGTERM');
    await stack.server.waitFor(/shutting down/);

    // WeChat delivers another user's message while the first answer is still being produced.
    const late = await stack.client.sendText('oUserAfterSignal', '关机后的问题');
    assert.ok(late.deliveries.every((delivery) => delivery.status !== 200), `no delivery after the signal is answered: ${JSON.stringify(late.deliveries)}`);

    const code = await stack.server.exited;
    const elapsedMs = Date.now() - signalledAt;
    assert.equal(code, 0, stack.server.output());
    assert.ok(elapsedMs < 8000, `exited ${elapsedMs} ms after SIGTERM`);
    assert.deepEqual(stack.texts('oUserShutdown'), ['关机前的回答。']);
    assert.deepEqual(stack.texts('oUserAfterSignal'), []);
    assert.equal(stack.model.chatRequests().length, 1, 'the message after the signal started no model call');
    const [finished, ...more] = logLines(stack.server, /answers in flight finished/);
    assert.equal(more.length, 0);
    assert.equal(finished?.level, 'info');
    assert.equal(finished?.finished, 1);
    assert.equal(logLines(stack.server, /abandoned/).length, 0);
  });

  it('an answer slower than SHUTDOWN_TIMEOUT is abandoned: exit 0 within about the timeout, one WARN line with its messageKey, no stack trace', async () => {
    const stack = await startStack({ SHUTDOWN_TIMEOUT: '2' });
    stack.model.replyNext({ delayMs: 15_000, chunks: ['永远', '等不到的回答。'] });
    const exchange = await stack.client.sendText('oUserAbandoned', '很慢的问题');
    assert.equal(exchange.reply, 'success');
    const signalledAt = Date.now();
    stack.server.child.kill('SIGTERM');
    const code = await stack.server.exited;
    const elapsedMs = Date.now() - signalledAt;
    const output = stack.server.output();
    assert.equal(code, 0, output);
    assert.ok(elapsedMs >= 1000 && elapsedMs < 3000, `exited ${elapsedMs} ms after SIGTERM (SHUTDOWN_TIMEOUT=2)`);
    const abandoned = logLines(stack.server, /abandoned/);
    assert.equal(abandoned.length, 1, output);
    assert.equal(abandoned[0]!.level, 'warn');
    assert.match(String(abandoned[0]!.msg), /abandoned 1\b/);
    const messageKeys = abandoned[0]!.messageKeys as string[];
    assert.equal(messageKeys.length, 1);
    const [answered] = logLines(stack.server, /answer not ready in the passive window/);
    assert.equal(messageKeys[0], answered?.messageKey);
    assert.equal(output.includes('很慢的问题'), false, 'no content in the log');
    assert.doesNotMatch(output, /unhandled|"stack"|\n\s+at /i);
    assert.equal(logLines(stack.server, /shutdown timed out/).length, 0);
    assert.deepEqual(stack.texts('oUserAbandoned'), []);
  });
});

describe('graceful shutdown: a callback whose body is still coming when the shutdown begins', () => {
  it('gets 503 with its connection closed, and no model call is started for it', async () => {
    const stack = await startDeliveryStack();
    cleanups.push(() => stack.close());
    const delivery = stack.client.emulator.sign(messageXml({ from: 'oUserMidBody', to: 'gh_test_account' }, 'text', { Content: '关机时的问题', MsgId: randomMsgId() }), 'safe');
    const target = new URL(delivery.url);
    const socket = connect(Number(target.port), target.hostname);
    await once(socket, 'connect');
    const body = Buffer.from(delivery.body, 'utf8');
    const half = Math.floor(body.length / 2);
    socket.write(`POST ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: text/xml\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body.subarray(0, half));
    let response = '';
    socket.on('data', (chunk: Buffer) => (response += chunk.toString('utf8')));
    const closed = once(socket, 'close');
    await sleep(200);

    const shutdown = stack.instance.server.shutdown(Date.now() + 3000);
    await sleep(200);
    socket.end(body.subarray(half));
    await closed;
    assert.match(response, /^HTTP\/1\.1 503 /);
    assert.match(response, /\r\nconnection: close\r\n/i);
    assert.deepEqual(await shutdown, { finished: 0, unfinished: [], handedBack: false });
    assert.equal(modelOf(stack).chatRequests().length, 0);
  });
});
