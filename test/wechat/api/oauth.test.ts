import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OAuthApi } from '../../../src/wechat/api/oauth.js';
import { WeChatApiError } from '../../../src/wechat/api/wechat-api-error.js';
import { describeError, rejection, startApiFixture, type ApiFixture } from './api-fixture.js';

describe('OAuthApi', () => {
  let fixture: ApiFixture;
  const errors: unknown[] = [];
  const failed = async (promise: Promise<unknown>): Promise<WeChatApiError> => {
    const error = await rejection(promise);
    errors.push(error);
    assert.ok(error instanceof WeChatApiError, String(error));
    return error;
  };

  before(async () => {
    fixture = await startApiFixture();
    fixture.fake.addUser({ openId: 'o_reader', unionId: 'u_reader', nickname: '读者' });
  });
  after(async () => {
    for (const error of errors) fixture.assertNoSecrets(describeError(error));
    fixture.assertNoSecrets(fixture.logs());
    fixture.assertNoSecrets(JSON.stringify(fixture.fake.calls));
    await fixture.close();
  });

  it('builds the authorize URL in WeChat\'s parameter order', () => {
    const url = fixture.api.oauth.authorizeUrl({ redirectUri: 'https://app.example/cb?x=1&y=二', scope: 'snsapi_userinfo', state: 'abc123' });
    assert.equal(
      url,
      `https://open.weixin.qq.com/connect/oauth2/authorize?appid=${fixture.appId}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1%26y%3D%E4%BA%8C&response_type=code&scope=snsapi_userinfo&state=abc123#wechat_redirect`,
    );
    assert.match(fixture.api.oauth.authorizeUrl({ redirectUri: 'https://a.example/', scope: 'snsapi_base' }), /&scope=snsapi_base&state=#wechat_redirect$/);
  });

  it('exchanges a code for a token and the openid, refreshes it, and reads the profile', async () => {
    const { api, fake } = fixture;
    const code = fake.issueOAuthCode('o_reader', 'snsapi_userinfo');
    const token = await api.oauth.exchangeCode(code);
    assert.equal(token.openId, 'o_reader');
    assert.equal(token.scope, 'snsapi_userinfo');
    assert.equal(token.unionId, 'u_reader');
    assert.equal(token.expiresInSeconds, 7200);
    assert.equal(token.isSnapshotUser, false);
    const call = fake.callsTo('/sns/oauth2/access_token').at(-1);
    assert.equal(call?.withAccessToken, false, 'the account\'s access token is not sent to sns endpoints');
    assert.equal(call?.query.secret, '[REDACTED]');

    const refreshed = await api.oauth.refresh(token.refreshToken);
    assert.notEqual(refreshed.accessToken, token.accessToken);
    const profile = await api.oauth.userInfo(refreshed.accessToken, 'o_reader');
    assert.equal(profile.nickname, '读者');
    assert.equal(profile.unionId, 'u_reader');
    assert.deepEqual(profile.privileges, []);
  });

  it('a code works once (40163), an unknown code is 40029, a base-scope token cannot read the profile (48001)', async () => {
    const { api, fake } = fixture;
    const code = fake.issueOAuthCode('o_reader');
    const token = await api.oauth.exchangeCode(code);
    assert.equal(token.scope, 'snsapi_base');
    assert.equal((await failed(api.oauth.exchangeCode(code))).errcode, 40163);
    assert.equal((await failed(api.oauth.exchangeCode('made-up'))).errcode, 40029);
    assert.equal((await failed(api.oauth.userInfo(token.accessToken, 'o_reader'))).errcode, 48001);
    assert.equal((await failed(api.oauth.refresh('made-up'))).errcode, 40030);
    // A rejected OAuth token is not the account's: the provider is never asked to refresh.
    assert.equal((await failed(api.oauth.userInfo('not-a-token', 'o_reader'))).errcode, 40001);
    assert.deepEqual(fixture.tokens.invalidated, []);
  });

  it('a wrong secret is 40125, and the secret is in no error, log line or record', async () => {
    const wrongSecret = 'WRONG_SECRET_0123456789abcdef';
    const oauth = new OAuthApi(fixture.client, { appId: fixture.appId, appSecret: wrongSecret });
    const error = await failed(oauth.exchangeCode(fixture.fake.issueOAuthCode('o_reader')));
    assert.equal(error.errcode, 40125);
    assert.ok(!describeError(error).includes(wrongSecret));
    assert.ok(!fixture.logs().includes(wrongSecret));
    assert.ok(!JSON.stringify(fixture.fake.calls).includes(wrongSecret));
  });

  it('without the account\'s credentials OAuth says what is missing', () => {
    const oauth = new OAuthApi(fixture.client);
    assert.throws(() => oauth.authorizeUrl({ redirectUri: 'https://a.example/', scope: 'snsapi_base' }), /appId/);
  });
});
