import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { TicketType } from '../../../src/wechat/api/jssdk.js';
import { WeChatApiError } from '../../../src/wechat/api/wechat-api-error.js';
import { rejection, startApiFixture, type ApiFixture } from './api-fixture.js';

describe('JssdkApi', () => {
  let fixture: ApiFixture;
  before(async () => {
    fixture = await startApiFixture();
  });
  after(() => fixture.close());

  it('fetches a raw jsapi ticket', async () => {
    const ticket = await fixture.api.jssdk.fetchTicket();
    assert.equal(ticket.expiresInSeconds, 7200);
    assert.equal(ticket.ticket, fixture.fake.state.jsapiTickets.at(-1));
    assert.deepEqual(fixture.fake.callsTo('/cgi-bin/ticket/getticket').at(-1)?.query, { type: 'jsapi' });
  });

  it('an unknown ticket type is refused (40097)', async () => {
    const error = await rejection(fixture.api.jssdk.fetchTicket('card' as TicketType));
    assert.ok(error instanceof WeChatApiError && error.errcode === 40097);
  });

  it('signs wx.config as the JS-SDK documentation\'s example does', () => {
    const config = fixture.api.jssdk.signJsapiConfig(
      'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg',
      'http://mp.weixin.qq.com?params=value#fragment',
      { timestamp: 1414587457, nonceStr: 'Wm3WZYTPz0wzccnW' },
    );
    assert.deepEqual(config, {
      appId: fixture.appId,
      timestamp: 1414587457,
      nonceStr: 'Wm3WZYTPz0wzccnW',
      signature: '0f9de62fce790f9a083d5c99e95740ceb90c27ed',
    });
  });

  it('defaults the timestamp to now and the nonce to 16 random letters and digits', () => {
    const config = fixture.api.jssdk.signJsapiConfig('ticket', 'https://page.example/a');
    assert.ok(Math.abs(config.timestamp - Date.now() / 1000) < 5);
    assert.match(config.nonceStr, /^[A-Za-z0-9]{16}$/);
    const expected = createHash('sha1').update(`jsapi_ticket=ticket&noncestr=${config.nonceStr}&timestamp=${config.timestamp}&url=https://page.example/a`).digest('hex');
    assert.equal(config.signature, expected);
  });
});
