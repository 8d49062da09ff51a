import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WeChatApiClient } from '../../../src/wechat/api/api-client.js';
import { BlacklistApi } from '../../../src/wechat/api/blacklist.js';
import { CustomServiceApi } from '../../../src/wechat/api/custom-service.js';
import { JssdkApi } from '../../../src/wechat/api/jssdk.js';
import { MediaApi } from '../../../src/wechat/api/media.js';
import { MenuApi } from '../../../src/wechat/api/menu.js';
import { OAuthApi } from '../../../src/wechat/api/oauth.js';
import { QrcodeApi } from '../../../src/wechat/api/qrcode.js';
import { TagsApi } from '../../../src/wechat/api/tags.js';
import { TemplateApi } from '../../../src/wechat/api/template.js';
import { UsersApi } from '../../../src/wechat/api/users.js';
import { createWeChatApi } from '../../../src/wechat/api/wechat-api.js';
import { startApiFixture, type ApiFixture } from './api-fixture.js';

describe('createWeChatApi', () => {
  let fixture: ApiFixture;
  before(async () => {
    fixture = await startApiFixture();
  });
  after(() => fixture.close());

  it('gives every API group over one client', () => {
    const { api } = fixture;
    assert.ok(api.customService instanceof CustomServiceApi);
    assert.ok(api.media instanceof MediaApi);
    assert.ok(api.menu instanceof MenuApi);
    assert.ok(api.users instanceof UsersApi);
    assert.ok(api.tags instanceof TagsApi);
    assert.ok(api.blacklist instanceof BlacklistApi);
    assert.ok(api.template instanceof TemplateApi);
    assert.ok(api.qrcode instanceof QrcodeApi);
    assert.ok(api.oauth instanceof OAuthApi);
    assert.ok(api.jssdk instanceof JssdkApi);
  });

  it('without the account\'s appId, OAuth and wx.config signing say so; the rest works', async () => {
    const api = createWeChatApi(new WeChatApiClient({ baseUrl: fixture.fake.url, tokens: fixture.tokens }));
    assert.throws(() => api.jssdk.signJsapiConfig('ticket', 'https://a.example/'), /appId/);
    await assert.rejects(api.oauth.exchangeCode('code'), /appId and appSecret/);
    assert.deepEqual(await api.tags.list(), [{ id: 2, name: '星标组', count: 0 }]);
  });

  it('passes the configurable bases on', () => {
    const api = createWeChatApi(fixture.client, { appId: 'wx1', showQrcodeUrl: 'https://qr.example/show', oauthAuthorizeUrl: 'https://auth.example/authorize' });
    assert.equal(api.qrcode.imageUrl('t'), 'https://qr.example/show?ticket=t');
    assert.match(api.oauth.authorizeUrl({ redirectUri: 'https://a.example/', scope: 'snsapi_base' }), /^https:\/\/auth\.example\/authorize\?appid=wx1&/);
  });
});
