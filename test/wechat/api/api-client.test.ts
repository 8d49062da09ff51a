import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WeChatApiClient } from '../../../src/wechat/api/api-client.js';
import { WeChatApiError } from '../../../src/wechat/api/wechat-api-error.js';
import { WeChatApiTransportError } from '../../../src/wechat/api/wechat-api-transport-error.js';
import { startFakeWeChatApi } from '../../../src/demo/fake-wechat-api/start-fake-wechat-api.js';
import { describeError, rejection, startApiFixture, type ApiFixture } from './api-fixture.js';

const USER_INFO = '/cgi-bin/user/info';
const OPENID = 'o_client_test_user';

describe('WeChatApiClient against the fake WeChat API', () => {
  let fixture: ApiFixture;
  const errors: unknown[] = [];

  before(async () => {
    fixture = await startApiFixture({ client: { timeoutMs: 300 } });
    fixture.fake.addUser({ openId: OPENID });
  });
  after(async () => {
    // Nothing any test saw — errors, their causes, log lines, recorded calls — may show a token or the secret.
    for (const error of errors) fixture.assertNoSecrets(describeError(error));
    fixture.assertNoSecrets(fixture.logs());
    fixture.assertNoSecrets(JSON.stringify(fixture.fake.calls));
    await fixture.close();
  });
  beforeEach(() => {
    fixture.tokens.invalidated.length = 0;
  });

  const failed = async (promise: Promise<unknown>): Promise<unknown> => {
    const error = await rejection(promise);
    errors.push(error);
    return error;
  };

  it('adds the access token as a query parameter (never recorded) and parses the answer', async () => {
    const before = fixture.fake.callsTo(USER_INFO).length;
    const answer = await fixture.client.get<{ openid: string; subscribe: number }>(USER_INFO, { query: { openid: OPENID, lang: 'en' } });
    assert.equal(answer.openid, OPENID);
    assert.equal(answer.subscribe, 1);
    const call = fixture.fake.callsTo(USER_INFO).at(-1);
    assert.equal(fixture.fake.callsTo(USER_INFO).length, before + 1);
    assert.equal(call?.withAccessToken, true);
    assert.deepEqual(call?.query, { openid: OPENID, lang: 'en' });
    assert.equal(call?.errcode, 0);
  });

  it('40001 once: exactly one refreshAfterInvalid with the failing token, one retry, then success', async () => {
    const token = await fixture.tokens.getToken();
    const before = fixture.fake.callsTo(USER_INFO).length;
    fixture.fake.failNext(USER_INFO, 40001);
    const answer = await fixture.client.get<{ openid: string }>(USER_INFO, { query: { openid: OPENID } });
    assert.equal(answer.openid, OPENID);
    assert.deepEqual(fixture.tokens.invalidated, [token]);
    assert.deepEqual(fixture.fake.callsTo(USER_INFO).slice(before).map((call) => call.errcode), [40001, 0]);
  });

  it('a second invalid-token answer is thrown, not retried again', async () => {
    const before = fixture.fake.callsTo(USER_INFO).length;
    // Two failures only: a client that looped would succeed on a third attempt instead of throwing.
    fixture.fake.failNext(USER_INFO, 40001, { times: 2 });
    const error = await failed(fixture.client.get(USER_INFO, { query: { openid: OPENID } }));
    assert.ok(error instanceof WeChatApiError);
    assert.equal(error.errcode, 40001);
    assert.equal(error.isInvalidToken, true);
    assert.equal(error.path, USER_INFO);
    assert.equal(fixture.tokens.invalidated.length, 1);
    assert.equal(fixture.fake.callsTo(USER_INFO).length - before, 2);
  });

  it('42001 and 40014 are invalid-token answers too; other codes are not retried', async () => {
    for (const errcode of [42001, 40014]) {
      fixture.tokens.invalidated.length = 0;
      fixture.fake.failNext(USER_INFO, errcode);
      await fixture.client.get(USER_INFO, { query: { openid: OPENID } });
      assert.equal(fixture.tokens.invalidated.length, 1, `errcode ${errcode}`);
    }
    const before = fixture.fake.callsTo(USER_INFO).length;
    const error = await failed(fixture.client.get(USER_INFO, { query: { openid: 'o_unknown' } }));
    assert.ok(error instanceof WeChatApiError && error.errcode === 40003);
    assert.equal(fixture.fake.callsTo(USER_INFO).length - before, 1);
  });

  it('a token WeChat really revoked is replaced through the provider and the call succeeds', async () => {
    const oldToken = await fixture.tokens.getToken();
    fixture.fake.revokeTokens();
    const answer = await fixture.client.get<{ openid: string }>(USER_INFO, { query: { openid: OPENID } });
    assert.equal(answer.openid, OPENID);
    assert.deepEqual(fixture.tokens.invalidated, [oldToken]);
    assert.notEqual(await fixture.tokens.getToken(), oldToken);
  });

  it('-1 (busy) is retried after each configured pause, then succeeds', async () => {
    const before = fixture.fake.callsTo(USER_INFO).length;
    fixture.fake.failNext(USER_INFO, -1, { times: 2 });
    const answer = await fixture.client.get<{ openid: string }>(USER_INFO, { query: { openid: OPENID } });
    assert.equal(answer.openid, OPENID);
    assert.deepEqual(fixture.fake.callsTo(USER_INFO).slice(before).map((call) => call.errcode), [-1, -1, 0]);
    assert.equal(fixture.tokens.invalidated.length, 0);
  });

  it('-1 beyond the retries surfaces as a retryable WeChatApiError', async () => {
    const before = fixture.fake.callsTo(USER_INFO).length;
    fixture.fake.failNext(USER_INFO, -1, { times: 3 });
    const error = await failed(fixture.client.get(USER_INFO, { query: { openid: OPENID } }));
    assert.ok(error instanceof WeChatApiError);
    assert.equal(error.errcode, -1);
    assert.equal(error.isRetryable, true);
    assert.equal(fixture.fake.callsTo(USER_INFO).length - before, 3);
  });

  it('waits the configured pauses between busy retries', async () => {
    const slow = new WeChatApiClient({ baseUrl: fixture.fake.url, tokens: fixture.tokens, busyRetryDelaysMs: [60, 120] });
    fixture.fake.failNext(USER_INFO, -1, { times: 2 });
    const started = performance.now();
    await slow.get(USER_INFO, { query: { openid: OPENID } });
    assert.ok(performance.now() - started >= 170, 'both pauses were waited');
  });

  it('an answer slower than timeoutMs is a timeout transport error, not retried', async () => {
    const before = fixture.fake.callsTo(USER_INFO).length;
    fixture.fake.delay(USER_INFO, 1000, { times: 1 });
    const error = await failed(fixture.client.get(USER_INFO, { query: { openid: OPENID } }));
    assert.ok(error instanceof WeChatApiTransportError, describeError(error));
    assert.equal(error.failure, 'timeout');
    assert.equal(error.isRetryable, true);
    assert.match(error.message, /GET \/cgi-bin\/user\/info: no answer in time \(after 300 ms\)/);
    assert.ok(error.cause, 'the underlying error is kept');
    assert.equal(fixture.fake.callsTo(USER_INFO).length - before, 1);
    // The delay applied once only.
    assert.equal((await fixture.client.get<{ openid: string }>(USER_INFO, { query: { openid: OPENID } })).openid, OPENID);
  });

  it('a per-call timeout overrides the client default', async () => {
    fixture.fake.delay(USER_INFO, 150, { times: 1 });
    const answer = await fixture.client.get<{ openid: string }>(USER_INFO, { query: { openid: OPENID }, timeoutMs: 2000 });
    assert.equal(answer.openid, OPENID);
  });

  it('a non-2xx status is an http-status transport error', async () => {
    const error = await failed(fixture.client.get('/cgi-bin/no/such/endpoint'));
    assert.ok(error instanceof WeChatApiTransportError);
    assert.equal(error.failure, 'http-status');
    assert.equal(error.status, 404);
    assert.equal(error.isRetryable, false);
  });

  it('an unreachable server is a network transport error naming the cause', async () => {
    const closed = await startFakeWeChatApi({ appId: 'wx0', appSecret: 'secret' });
    const url = closed.url;
    await closed.close();
    const client = new WeChatApiClient({ baseUrl: url, tokens: fixture.tokens, timeoutMs: 2000 });
    const error = await failed(client.get(USER_INFO, { query: { openid: OPENID } }));
    assert.ok(error instanceof WeChatApiTransportError);
    assert.equal(error.failure, 'network');
    assert.match(error.message, /ECONNREFUSED/);
  });

  it('POST bodies are JSON with bigints as bare integers; the wrong method gets WeChat\'s 43002', async () => {
    const answer = await fixture.client.post<{ tagid_list: number[] }>('/cgi-bin/tags/getidlist', { openid: OPENID, probe: 5n, big: 12345678901234567890n });
    assert.deepEqual(answer.tagid_list, []);
    // 5 arrived as a number (a bare literal); the 64-bit one exact.
    assert.deepEqual(fixture.fake.callsTo('/cgi-bin/tags/getidlist').at(-1)?.body, { openid: OPENID, probe: 5, big: '12345678901234567890' });
    const error = await failed(fixture.client.get('/cgi-bin/tags/getidlist'));
    assert.ok(error instanceof WeChatApiError && error.errcode === 43002);
  });

  it('withAccessToken: false sends no token and never asks the provider to refresh', async () => {
    fixture.fake.failNext('/sns/userinfo', 40001);
    const error = await failed(fixture.client.get('/sns/userinfo', { withAccessToken: false, query: { access_token: 'oauth-token-value', openid: OPENID } }));
    assert.ok(error instanceof WeChatApiError && error.errcode === 40001);
    assert.equal(fixture.tokens.invalidated.length, 0);
    const call = fixture.fake.callsTo('/sns/userinfo').at(-1);
    assert.equal(call?.withAccessToken, true, 'the OAuth token the caller passed is the only access_token');
    assert.ok(!JSON.stringify(call).includes('oauth-token-value'));
    assert.ok(!describeError(error).includes('oauth-token-value'));
  });

  it('40164 carries the operator hint with the IP from errmsg', async () => {
    fixture.fake.failNext(USER_INFO, 40164);
    const error = await failed(fixture.client.get(USER_INFO, { query: { openid: OPENID } }));
    assert.ok(error instanceof WeChatApiError);
    assert.equal(error.isOperatorError, true);
    assert.match(error.hint ?? '', /add 203\.0\.113\.7/);
    assert.match(error.message, /^WeChat API \/cgi-bin\/user\/info errcode 40164: invalid ip 203\.0\.113\.7/);
  });

  it('logs every call by method and path, never with its query', async () => {
    await fixture.client.get(USER_INFO, { query: { openid: OPENID } });
    const lines = fixture.logs().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(lines.some((line) => line.path === USER_INFO && line.method === 'GET' && line.msg === 'WeChat API call'));
    assert.ok(lines.some((line) => line.errcode === 40001 && /refreshing/.test(String(line.msg))));
    assert.ok(!fixture.logs().includes('access_token='));
  });
});

describe('WeChatApiClient with a stubbed fetch', () => {
  const SECRET_TOKEN = 'TOKEN_THAT_MUST_NOT_LEAK_0123456789';
  const fixedTokens = { getToken: async () => SECRET_TOKEN, refreshAfterInvalid: async () => SECRET_TOKEN };

  it('a 200 answer that is not JSON is an invalid-answer transport error', async () => {
    const client = new WeChatApiClient({ baseUrl: 'https://api.example', tokens: fixedTokens, fetch: async () => new Response('<html>busy</html>') });
    const error = await rejection(client.get('/cgi-bin/user/info'));
    assert.ok(error instanceof WeChatApiTransportError);
    assert.equal(error.failure, 'invalid-answer');
  });

  it('removes the token from a cause that quotes the URL', async () => {
    const client = new WeChatApiClient({
      baseUrl: 'https://api.example',
      tokens: fixedTokens,
      fetch: async (input) => {
        throw new TypeError(`fetch failed for ${String(input)}`, { cause: new Error(`connect to ${String(input)} refused`) });
      },
    });
    const error = await rejection(client.get('/cgi-bin/user/info', { query: { openid: 'o1' } }));
    assert.ok(error instanceof WeChatApiTransportError);
    assert.equal(error.failure, 'network');
    const described = describeError(error);
    assert.ok(!described.includes(SECRET_TOKEN), described);
    assert.match(described, /\[REDACTED\]/);
  });

  it('keeps a path prefix of baseUrl and leaves out undefined query values', async () => {
    let seen = '';
    const client = new WeChatApiClient({
      baseUrl: 'https://proxy.example/wechat/',
      tokens: fixedTokens,
      fetch: async (input) => {
        seen = String(input);
        return new Response('{"ok":1}');
      },
    });
    await client.get('/cgi-bin/user/get', { query: { next_openid: undefined, lang: 'en' } });
    const url = new URL(seen);
    assert.equal(url.pathname, '/wechat/cgi-bin/user/get');
    assert.equal(url.searchParams.has('next_openid'), false);
    assert.equal(url.searchParams.get('access_token'), SECRET_TOKEN);
  });
});
