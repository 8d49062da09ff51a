import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QrcodeApi } from '../../../src/wechat/api/qrcode.js';
import { WeChatApiError } from '../../../src/wechat/api/wechat-api-error.js';
import { rejection, startApiFixture, type ApiFixture } from './api-fixture.js';

describe('QrcodeApi', () => {
  let fixture: ApiFixture;
  before(async () => {
    fixture = await startApiFixture();
  });
  after(() => fixture.close());

  it('creates temporary codes by scene id or string, with their lifetime', async () => {
    const { api, fake } = fixture;
    const byId = await api.qrcode.createTemporary(123, 3600);
    assert.equal(byId.expireSeconds, 3600);
    assert.match(byId.url, /^http:\/\/weixin\.qq\.com\/q\//);
    assert.deepEqual(fake.callsTo('/cgi-bin/qrcode/create').at(-1)?.body, {
      expire_seconds: 3600,
      action_name: 'QR_SCENE',
      action_info: { scene: { scene_id: 123 } },
    });
    const byString = await api.qrcode.createTemporary('invite:42');
    assert.equal(byString.expireSeconds, 60, 'WeChat\'s default lifetime');
    assert.equal(fake.state.qrCodes.get(byString.ticket)?.actionName, 'QR_STR_SCENE');
    assert.equal((await api.qrcode.createTemporary(1, 10 * 2_592_000)).expireSeconds, 2_592_000);
  });

  it('creates permanent codes (no lifetime)', async () => {
    const { api, fake } = fixture;
    const code = await api.qrcode.createPermanent('channel-a');
    assert.equal(code.expireSeconds, undefined);
    assert.deepEqual(fake.state.qrCodes.get(code.ticket)?.scene, 'channel-a');
    assert.equal(fake.state.qrCodes.get((await api.qrcode.createPermanent(100_000)).ticket)?.actionName, 'QR_LIMIT_SCENE');
  });

  it('the image URL carries the ticket URL-encoded; the base is configurable', async () => {
    const code = await fixture.api.qrcode.createPermanent(7);
    assert.match(code.ticket, /[+/=]/, 'the fake hands out tickets that need encoding');
    assert.equal(code.imageUrl, `https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=${encodeURIComponent(code.ticket)}`);
    assert.equal(new URL(code.imageUrl).searchParams.get('ticket'), code.ticket);
    const custom = new QrcodeApi(fixture.client, { showQrcodeUrl: 'https://qr.example/show' });
    assert.equal(custom.imageUrl('a+b/c='), 'https://qr.example/show?ticket=a%2Bb%2Fc%3D');
  });

  it('refuses a permanent scene id beyond 100000 and an over-long scene string (40053)', async () => {
    for (const attempt of [fixture.api.qrcode.createPermanent(100_001), fixture.api.qrcode.createTemporary('x'.repeat(65))]) {
      const error = await rejection(attempt);
      assert.ok(error instanceof WeChatApiError && error.errcode === 40053);
    }
  });
});
