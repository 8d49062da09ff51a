import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseJson } from '../../../src/wechat/api/json.js';
import type { FakeUserEvent } from '../../../src/demo/fake-wechat-api/fake-state.js';
import { startFakeWeChatApi, type FakeWeChatApi } from '../../../src/demo/fake-wechat-api/start-fake-wechat-api.js';

const APP_ID = 'wx0123456789abcdef';
const APP_SECRET = 'fake-app-secret-0123456789abcdef';

type Answer = Record<string, unknown> & { errcode?: number; errmsg?: string; access_token?: string; expires_in?: number };

/** Talks to the fake the way any HTTP client would, without the product's client. */
async function call(fake: FakeWeChatApi, method: 'GET' | 'POST', path: string, body?: string): Promise<Answer> {
  const response = await fetch(`${fake.url}${path}`, { method, ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }) });
  return parseJson(await response.text()) as Answer;
}

function stableToken(fake: FakeWeChatApi, overrides: Record<string, unknown> = {}): Promise<Answer> {
  return call(fake, 'POST', '/cgi-bin/stable_token', JSON.stringify({ grant_type: 'client_credential', appid: APP_ID, secret: APP_SECRET, ...overrides }));
}

async function tokenWorks(fake: FakeWeChatApi, token: string): Promise<number> {
  const answer = await call(fake, 'GET', `/cgi-bin/tags/get?access_token=${encodeURIComponent(token)}`);
  return answer.errcode ?? 0;
}

describe('fake WeChat API: access tokens', () => {
  let fake: FakeWeChatApi;
  before(async () => {
    fake = await startFakeWeChatApi({ appId: APP_ID, appSecret: APP_SECRET });
  });
  after(() => fake.close());

  it('stable_token in normal mode returns the current token until it expires', async () => {
    const first = await stableToken(fake);
    const second = await stableToken(fake, { force_refresh: false });
    assert.equal(typeof first.access_token, 'string');
    assert.equal(second.access_token, first.access_token);
    assert.equal(first.expires_in, 7200);
    assert.ok((second.expires_in ?? 0) <= 7200 && (second.expires_in ?? 0) > 7000);
    assert.equal(await tokenWorks(fake, String(first.access_token)), 0);
  });

  it('force_refresh issues a new token and leaves the previous one valid for a grace period', async () => {
    const old = await stableToken(fake);
    const fresh = await stableToken(fake, { force_refresh: true });
    assert.notEqual(fresh.access_token, old.access_token);
    assert.equal(fresh.expires_in, 7200);
    assert.equal(await tokenWorks(fake, String(old.access_token)), 0);
    assert.equal(await tokenWorks(fake, String(fresh.access_token)), 0);
    assert.equal((await stableToken(fake)).access_token, fresh.access_token);
  });

  it('checks grant_type, appid and secret in that order', async () => {
    assert.equal((await stableToken(fake, { grant_type: 'password' })).errcode, 40002);
    assert.equal((await stableToken(fake, { appid: 'wxffffffffffffffff' })).errcode, 40013);
    assert.equal((await stableToken(fake, { appid: undefined })).errcode, 41002);
    assert.equal((await stableToken(fake, { secret: 'wrong' })).errcode, 40125);
    assert.equal((await stableToken(fake, { secret: undefined })).errcode, 41004);
    const wrong = await call(fake, 'GET', `/cgi-bin/token?grant_type=client_credential&appid=${APP_ID}&secret=nope`);
    assert.equal(wrong.errcode, 40125);
    assert.match(String(wrong.errmsg), /^invalid appsecret rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
  });

  it('the classic /cgi-bin/token issues a new token each time and invalidates the previous one', async () => {
    const path = `/cgi-bin/token?grant_type=client_credential&appid=${APP_ID}&secret=${APP_SECRET}`;
    const first = await call(fake, 'GET', path);
    const second = await call(fake, 'GET', path);
    assert.notEqual(first.access_token, second.access_token);
    assert.equal(await tokenWorks(fake, String(first.access_token)), 40001);
    assert.equal(await tokenWorks(fake, String(second.access_token)), 0);
    // Independent of stable_token, as in WeChat.
    assert.equal(await tokenWorks(fake, String((await stableToken(fake)).access_token)), 0);
  });

  it('answers 41001 without a token and 40001 for an unknown or revoked one', async () => {
    assert.equal((await call(fake, 'GET', '/cgi-bin/tags/get')).errcode, 41001);
    assert.equal(await tokenWorks(fake, 'made-up-token'), 40001);
    const token = String((await stableToken(fake)).access_token);
    fake.revokeTokens();
    assert.equal(await tokenWorks(fake, token), 40001);
    const replacement = await stableToken(fake);
    assert.notEqual(replacement.access_token, token);
    assert.equal(await tokenWorks(fake, String(replacement.access_token)), 0);
  });

  it('records calls without the access token and with the secret redacted', async () => {
    await call(fake, 'GET', `/cgi-bin/token?grant_type=client_credential&appid=${APP_ID}&secret=${APP_SECRET}`);
    const recorded = JSON.stringify(fake.calls);
    assert.ok(!recorded.includes(APP_SECRET));
    for (const token of fake.issuedTokens) assert.ok(!recorded.includes(token));
    assert.deepEqual(fake.callsTo('/cgi-bin/token').at(-1)?.query, { grant_type: 'client_credential', appid: APP_ID, secret: '[REDACTED]' });
    const stable = fake.callsTo('/cgi-bin/stable_token').at(0);
    assert.deepEqual(stable?.body, { grant_type: 'client_credential', appid: APP_ID, secret: '[REDACTED]' });
    assert.equal(stable?.withAccessToken, false);
    assert.equal(typeof stable?.at, 'number');
  });
});

describe('fake WeChat API: expiry, injection and protocol errors', () => {
  let fake: FakeWeChatApi;
  let token: string;
  before(async () => {
    fake = await startFakeWeChatApi({ appId: APP_ID, appSecret: APP_SECRET, tokenTtlSeconds: 1 });
    token = String((await stableToken(fake)).access_token);
  });
  after(() => fake.close());

  it('failNext answers the given code (and errmsg) the given number of times, then the real answer', async () => {
    fake.failNext('/cgi-bin/tags/get', 45009, { times: 2 });
    fake.failNext('/cgi-bin/tags/get', 40164, { errmsg: 'invalid ip 198.51.100.4 ipv6 ::ffff:198.51.100.4, not in whitelist rid: 1-2-3' });
    assert.equal(await tokenWorks(fake, token), 45009);
    assert.equal(await tokenWorks(fake, token), 45009);
    const injected = await call(fake, 'GET', `/cgi-bin/tags/get?access_token=${token}`);
    assert.deepEqual(injected, { errcode: 40164, errmsg: 'invalid ip 198.51.100.4 ipv6 ::ffff:198.51.100.4, not in whitelist rid: 1-2-3' });
    assert.equal(await tokenWorks(fake, token), 0);
    assert.deepEqual(fake.callsTo('/cgi-bin/tags/get').map((recorded) => recorded.errcode), [45009, 45009, 40164, 0]);
  });

  it('delay slows the next answers down', async () => {
    fake.delay('/cgi-bin/tags/get', 150, { times: 1 });
    let started = performance.now();
    await tokenWorks(fake, token);
    assert.ok(performance.now() - started >= 140);
    started = performance.now();
    await tokenWorks(fake, token);
    assert.ok(performance.now() - started < 140);
  });

  it('answers WeChat\'s codes for a wrong method, an empty or malformed body, and 404 for an unknown path', async () => {
    assert.equal((await call(fake, 'GET', `/cgi-bin/menu/create?access_token=${token}`)).errcode, 43002);
    assert.equal((await call(fake, 'POST', `/cgi-bin/menu/get?access_token=${token}`, '{}')).errcode, 43001);
    assert.equal((await call(fake, 'POST', `/cgi-bin/menu/create?access_token=${token}`, '')).errcode, 44002);
    assert.equal((await call(fake, 'POST', `/cgi-bin/menu/create?access_token=${token}`, '{"button":')).errcode, 47001);
    const response = await fetch(`${fake.url}/cgi-bin/unknown?access_token=${token}`);
    assert.equal(response.status, 404);
    await response.body?.cancel();
  });

  it('a token past its lifetime answers 42001, and stable_token then issues a new one', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal(await tokenWorks(fake, token), 42001);
    const fresh = await stableToken(fake);
    assert.notEqual(fresh.access_token, token);
    assert.equal(await tokenWorks(fake, String(fresh.access_token)), 0);
  });

  it('close() returns promptly with a delayed request pending', async () => {
    const other = await startFakeWeChatApi({ appId: APP_ID, appSecret: APP_SECRET });
    other.delay('/cgi-bin/stable_token', 60_000);
    const pending = stableToken(other).catch(() => 'failed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await other.close();
    assert.ok(performance.now() - started < 1000);
    assert.equal(await pending, 'failed');
  });
});

describe('fake WeChat API: what users are sent, as it happens (demo mode\'s simulator)', () => {
  let fake: FakeWeChatApi;
  before(async () => {
    fake = await startFakeWeChatApi({ appId: APP_ID, appSecret: APP_SECRET });
  });
  after(() => fake.close());

  it('publishes accepted customer-service messages and typing commands, not refused ones; unsubscribing stops them', async () => {
    const events: FakeUserEvent[] = [];
    const unsubscribe = fake.onUserEvent((event) => events.push(event));
    const token = String((await stableToken(fake)).access_token);
    const post = (path: string, body: unknown) => call(fake, 'POST', `${path}?access_token=${encodeURIComponent(token)}`, JSON.stringify(body));
    // Unknown user: refused (40003), so nothing is published.
    assert.equal((await post('/cgi-bin/message/custom/typing', { touser: 'oNobody', command: 'Typing' })).errcode, 40003);
    fake.noteUserMessage('oAlice');
    assert.equal((await post('/cgi-bin/message/custom/typing', { touser: 'oAlice', command: 'Typing' })).errcode, 0);
    assert.equal((await post('/cgi-bin/message/custom/send', { touser: 'oAlice', msgtype: 'text', text: { content: '你好' } })).errcode, 0);
    assert.deepEqual(events.map((event) => [event.kind, event.openId]), [['typing', 'oAlice'], ['customer-service', 'oAlice']]);
    const sent = events[1];
    assert.ok(sent?.kind === 'customer-service');
    assert.deepEqual(sent.message.content, { content: '你好' });
    assert.equal(sent.message, fake.state.customerServiceMessages.get('oAlice')?.[0], 'the published message is the stored one');
    unsubscribe();
    assert.equal((await post('/cgi-bin/message/custom/send', { touser: 'oAlice', msgtype: 'text', text: { content: '再见' } })).errcode, 0);
    assert.equal(events.length, 2);
  });

  it('a failing subscriber does not change the answer the product gets', async () => {
    const unsubscribe = fake.onUserEvent(() => {
      throw new Error('subscriber failure');
    });
    const token = String((await stableToken(fake)).access_token);
    fake.noteUserMessage('oBob');
    const answer = await call(fake, 'POST', `/cgi-bin/message/custom/typing?access_token=${encodeURIComponent(token)}`, JSON.stringify({ touser: 'oBob', command: 'Typing' }));
    unsubscribe();
    assert.equal(answer.errcode, 0);
  });

  it('addMedia stores a user\'s file as temporary media: downloadable with a token and at mediaUrl without one', async () => {
    const data = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const media = fake.addMedia({ type: 'image', data, contentType: 'image/png' });
    assert.equal(media.fileName, 'image.png');
    const direct = await fetch(fake.mediaUrl(media.mediaId));
    assert.equal(direct.status, 200);
    assert.equal(direct.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await direct.arrayBuffer()), data);
    const token = String((await stableToken(fake)).access_token);
    const viaApi = await fetch(`${fake.url}/cgi-bin/media/get?access_token=${encodeURIComponent(token)}&media_id=${encodeURIComponent(media.mediaId)}`);
    assert.deepEqual(Buffer.from(await viaApi.arrayBuffer()), data);
    const unknown = await call(fake, 'GET', '/fake-media?media_id=nope');
    assert.equal(unknown.errcode, 40007);
  });
});
