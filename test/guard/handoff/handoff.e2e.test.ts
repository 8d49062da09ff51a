/**
 * Hand-off to people (SPEC §8, issue 12 item 4), end to end: the real server in safe mode with a fake model and a
 * fake WeChat API, messages delivered as WeChat delivers them. `转人工` is answered with an encrypted, signed
 * `transfer_customer_service` reply; that user's next messages reach no model (the fake model's requests are
 * counted) while another user is answered as usual; `kf_close_session` and the time-out bring the AI back; the
 * admin API and the CLI list and release users; with Redis two instances share who is handed off.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CliIo } from '../../../src/cli/cli-io.js';
import { runCli } from '../../../src/cli/main.js';
import { deliverLikeWeChat } from '../../../src/simulator/deliver-like-wechat.js';
import { messageXml, randomMsgId } from '../../../src/simulator/wechat-emulator.js';
import { accountEnv } from '../../support/app-instances.js';
import { modelOf, openAIEnv, startDeliveryStack, type DeliveryStack, type DeliveryStackOptions } from '../../support/delivery-stack.js';
import { requireRedis } from '../../support/redis.js';
import { replyText, type Exchange } from '../../support/wechat-client.js';

const AI_ANSWER = '这是 AI 的回答。';
const stacks: DeliveryStack[] = [];

async function stackWith(options: DeliveryStackOptions = {}): Promise<DeliveryStack> {
  const stack = await startDeliveryStack(options);
  stacks.push(stack);
  modelOf(stack).setDefaultReply({ chunks: [AI_ANSWER] });
  return stack;
}

function isTransfer(exchange: Exchange): boolean {
  return typeof exchange.reply === 'object' && exchange.reply.type === 'transfer_customer_service' && exchange.reply.signatureValid === true;
}

function staffSessionClosed(stack: DeliveryStack, openId: string, instance = 0): Promise<Exchange> {
  return stack.clientFor(instance).send(openId, 'event', { Event: 'kf_close_session', KfAccount: 'kf2001@gh_test_account', CloseType: 'KF' });
}

/** `wx-backend ARGS` in-process with `env`; output captured. */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { env, cwd: process.cwd(), envFile: false, print: (line) => void (stdout += `${line}\n`), printError: (line) => void (stderr += `${line}\n`) };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** The environment the stack's servers run with, as the CLI on their host would read it. */
function serverEnv(stack: DeliveryStack, extra: Record<string, string> = {}): Record<string, string> {
  return accountEnv(stack.account, stack.wechat.url, { ...openAIEnv(modelOf(stack)), LOG_LEVEL: 'warn', ...extra });
}

describe('hand-off to people, end to end', { concurrency: true }, () => {
  after(() => Promise.all(stacks.map((stack) => stack.close())));

  it('转人工 → an encrypted, signed transfer_customer_service reply; that user reaches no model until kf_close_session; another user is answered', async () => {
    const stack = await stackWith();
    const model = modelOf(stack);
    const { emulator } = stack.client;

    // Delivered by hand to look at the raw answer: encrypted, nothing readable outside <Encrypt>.
    const delivery = emulator.sign(messageXml({ from: 'oAlice', to: 'gh_test_account' }, 'text', { Content: '转人工', MsgId: randomMsgId() }), 'safe');
    const { answer } = await deliverLikeWeChat(emulator, delivery, { timeoutMs: 5000, maxDeliveries: 3 });
    assert.ok(answer, 'the first delivery was answered');
    assert.match(answer.body, /^<xml><Encrypt><!\[CDATA\[[A-Za-z0-9+/=]+\]\]><\/Encrypt><MsgSignature>/);
    assert.doesNotMatch(answer.body, /transfer_customer_service/);
    assert.equal(answer.signatureValid, true);
    assert.deepEqual({ ...answer.reply, CreateTime: 'n' }, { ToUserName: 'oAlice', FromUserName: 'gh_test_account', CreateTime: 'n', MsgType: 'transfer_customer_service' });

    // Everything the handed-off user sends goes to the staff, again with the transfer reply; no model call.
    assert.ok(isTransfer(await stack.client.sendText('oAlice', '我的订单三天了还没发货')));
    assert.ok(isTransfer(await stack.client.sendImage('oAlice', 'http://example.com/receipt.jpg', 'MEDIA_RECEIPT')));
    assert.ok(isTransfer(await stack.client.sendText('oAlice', '继续')), 'not taken for the pickup keyword');
    assert.equal(model.chatRequests().length, 0, 'no model was called for the handed-off user');

    // Another user is not affected.
    assert.equal(replyText(await stack.client.sendText('oBob', '你好')), AI_ANSWER);
    assert.equal(model.chatRequests().length, 1);

    // The staff close the session: the AI is back for Alice.
    const closed = await staffSessionClosed(stack, 'oAlice');
    assert.ok(closed.reply === 'success' || closed.reply === '', `the event gets no reply, got ${JSON.stringify(closed.reply)}`);
    assert.equal(replyText(await stack.client.sendText('oAlice', '你好')), AI_ANSWER);
    assert.equal(model.chatRequests().length, 2);
    assert.match(stack.instance.logs(), /hand-off: user asked for a person/);
  });

  it('the time-out brings the AI back (HANDOFF_TIMEOUT=3)', async () => {
    const stack = await stackWith({ env: { HANDOFF_TIMEOUT: '3' } });
    const handedOff = await stack.client.sendText('oCarol', '人工客服');
    assert.ok(isTransfer(handedOff));
    assert.ok(isTransfer(await stack.client.sendText('oCarol', '有人吗')));
    // The hand-off began before its reply came back: 3 s after that it has ended.
    await sleep(Math.max(0, handedOff.endedAt + 3100 - performance.now()));
    assert.equal(replyText(await stack.client.sendText('oCarol', '有人吗')), AI_ANSWER);
    assert.equal(modelOf(stack).chatRequests().length, 1);
  });

  it('admin API: lists users handed off with since/until, releases one (then 404), refuses without the token', async () => {
    const stack = await stackWith();
    const before = Date.now();
    assert.ok(isTransfer(await stack.client.sendText('oDave', '人工')));
    assert.ok(isTransfer(await stack.client.sendText('oErin', '转人工')));

    const listed = await stack.instance.admin('GET', '/handoff');
    assert.equal(listed.status, 200, listed.text);
    const users = listed.json?.users as Array<{ openid: string; since: string; until: string; remainingSeconds: number }>;
    assert.deepEqual(users.map((user) => user.openid), ['oDave', 'oErin']);
    const [dave] = users;
    assert.ok(Date.parse(dave!.since) >= before - 1000 && Date.parse(dave!.since) <= Date.now());
    assert.equal(Date.parse(dave!.until) - Date.parse(dave!.since), 1800 * 1000, 'HANDOFF_TIMEOUT defaults to 1800 s');
    assert.ok(dave!.remainingSeconds > 1790 && dave!.remainingSeconds <= 1800);

    const released = await stack.instance.admin('DELETE', '/handoff/oDave');
    assert.equal(released.status, 200, released.text);
    assert.deepEqual(released.json, { ok: true });
    assert.equal(replyText(await stack.client.sendText('oDave', '你好')), AI_ANSWER, 'released: the AI answers again');
    assert.ok(isTransfer(await stack.client.sendText('oErin', '你好')), 'the other user is still with people');

    const again = await stack.instance.admin('DELETE', '/handoff/oDave');
    assert.equal(again.status, 404);
    assert.equal(again.json?.error, 'not_handed_off');
    const tooLong = await stack.instance.admin('DELETE', `/handoff/${'o'.repeat(65)}`);
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.json?.error, 'invalid_request');
    assert.equal((await stack.instance.admin('DELETE', `/handoff/${'o'.repeat(101)}`)).status, 414, 'Fastify\'s own limit');

    for (const [method, path] of [['GET', '/admin/api/handoff'], ['DELETE', '/admin/api/handoff/oErin']] as const) {
      const refused = await stack.instance.request(method, path, { headers: { authorization: 'Bearer wrong-token' } });
      assert.equal(refused.status, 401, `${method} ${path}`);
    }
    assert.ok(isTransfer(await stack.client.sendText('oErin', '你好')), 'a refused release changed nothing');
  });

  it('CLI without Redis: handoff list and release ask the running server\'s admin API', async () => {
    const stack = await stackWith();
    assert.ok(isTransfer(await stack.client.sendText('oFrank', '人工')));
    const env = serverEnv(stack);
    const url = stack.instance.url;

    const list = await cli(['handoff', 'list', '--url', url], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^oFrank\tsince \d{4}-\d\d-\d\dT[\d:.]+Z\tuntil \d{4}-\d\d-\d\dT[\d:.]+Z\n$/);
    assert.equal(list.stderr, '1 user handed off\n');
    const json = await cli(['handoff', 'list', '--json', '--url', url], env);
    assert.deepEqual((JSON.parse(json.stdout) as { users: Array<{ openid: string }> }).users.map((user) => user.openid), ['oFrank']);

    const release = await cli(['handoff', 'release', 'oFrank', 'oNobody', '--url', url], env);
    assert.equal(release.code, 1, 'one of the two was not handed off');
    assert.equal(release.stdout, 'oFrank: released; the AI answers again\n');
    assert.equal(release.stderr, 'oNobody: not handed off\n');
    assert.equal(replyText(await stack.client.sendText('oFrank', '你好')), AI_ANSWER);

    const wrongToken = await cli(['handoff', 'list', '--url', url], { ...env, ADMIN_TOKEN: 'not-the-servers-token' });
    assert.equal(wrongToken.code, 1);
    assert.match(wrongToken.stderr, /refused ADMIN_TOKEN \(401\)/);
    assert.doesNotMatch(wrongToken.stderr, /not-the-servers-token/);
    const noToken = await cli(['handoff', 'list', '--url', url], { ...env, ADMIN_TOKEN: '' });
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /set ADMIN_TOKEN/);
  });

  it('HANDOFF_KEYWORDS empty: the hand-off is off — 转人工 goes to the model, the admin API and the CLI say so', async () => {
    const stack = await stackWith({ env: { HANDOFF_KEYWORDS: '' } });
    assert.equal(replyText(await stack.client.sendText('oGrace', '转人工')), AI_ANSWER);
    assert.equal(modelOf(stack).chatRequests().length, 1);
    const listed = await stack.instance.admin('GET', '/handoff');
    assert.equal(listed.status, 404);
    assert.equal(listed.json?.error, 'handoff_off');
    const command = await cli(['handoff', 'list', '--url', stack.instance.url], serverEnv(stack, { HANDOFF_KEYWORDS: '' }));
    assert.equal(command.code, 2);
    assert.match(command.stderr, /hand-off to people is off \(HANDOFF_KEYWORDS is empty\)/);
  });

  it('two instances sharing Redis share the hand-off: handed off on A, silent on B; listed and closed on either; the CLI works on Redis', async (t) => {
    if (!(await requireRedis(t))) return;
    const stack = await stackWith({ instances: 2 });
    const model = modelOf(stack);
    assert.ok(isTransfer(await stack.clientFor(0).sendText('oHeidi', '转人工')));
    assert.ok(isTransfer(await stack.clientFor(1).sendText('oHeidi', '你好？')), 'instance B knows Heidi is with people');
    assert.equal(model.chatRequests().length, 0);

    const listed = await stack.instances[1]!.admin('GET', '/handoff');
    assert.deepEqual((listed.json?.users as Array<{ openid: string }>).map((user) => user.openid), ['oHeidi']);
    const redisEnv = serverEnv(stack, { REDIS_URL: stack.instance.server.config.redisUrl!, REDIS_PREFIX: stack.instance.server.config.redisPrefix });
    const list = await cli(['handoff', 'list'], redisEnv);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^oHeidi\t/);

    await staffSessionClosed(stack, 'oHeidi', 1);
    assert.equal(replyText(await stack.clientFor(0).sendText('oHeidi', '你好')), AI_ANSWER, 'closed on B: A answers with the AI');

    assert.ok(isTransfer(await stack.clientFor(1).sendText('oIvan', '人工')));
    const release = await cli(['handoff', 'release', 'oIvan'], redisEnv);
    assert.equal(release.code, 0, release.stderr);
    assert.equal(replyText(await stack.clientFor(0).sendText('oIvan', '你好')), AI_ANSWER, 'released from the CLI through Redis');
    assert.equal((await cli(['handoff', 'list'], redisEnv)).stderr, '0 users handed off\n');
  });
});
