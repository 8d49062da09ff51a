import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WeChatApiError } from '../../../src/wechat/api/wechat-api-error.js';
import { rejection, startApiFixture, type ApiFixture } from './api-fixture.js';

describe('TemplateApi', () => {
  let fixture: ApiFixture;
  before(async () => {
    fixture = await startApiFixture();
    fixture.fake.addUser({ openId: 'o_buyer' });
    fixture.fake.addUser({ openId: 'o_gone', subscribed: false });
  });
  after(() => fixture.close());

  it('sends a template message; the 64-bit msgid survives the round trip exactly', async () => {
    const { api, fake } = fixture;
    const template = fake.addTemplate();
    const first = await api.template.send({
      openId: 'o_buyer',
      templateId: template.templateId,
      url: 'https://shop.example/orders/1',
      data: { first: '您的订单已发货', keyword1: { value: '20240101', color: '#173177' } },
    });
    const second = await api.template.send({ openId: 'o_buyer', templateId: template.templateId, data: { first: 'again' } });
    const sent = fake.state.templateMessages;
    assert.equal(first, sent[0]?.msgid.toString());
    assert.equal(second, sent[1]?.msgid.toString());
    assert.ok(BigInt(first) > 2n ** 53n, 'beyond what a double holds');
    assert.equal(BigInt(second) - BigInt(first), 1n, 'consecutive ids stay distinct and exact');
    assert.deepEqual(sent[0]?.data, { first: { value: '您的订单已发货' }, keyword1: { value: '20240101', color: '#173177' } });
    assert.equal(sent[0]?.url, 'https://shop.example/orders/1');
  });

  it('the fake writes msgid as a bare JSON integer, as WeChat does', async () => {
    const { fake, tokens } = fixture;
    const template = fake.addTemplate();
    const response = await fetch(`${fake.url}/cgi-bin/message/template/send?access_token=${await tokens.getToken()}`, {
      method: 'POST',
      body: JSON.stringify({ touser: 'o_buyer', template_id: template.templateId, data: {} }),
    });
    const text = await response.text();
    assert.match(text, /"msgid":\d{19}\}$/);
    assert.notEqual(String(JSON.parse(text).msgid), fake.state.templateMessages.at(-1)?.msgid.toString(), 'JSON.parse would round it');
  });

  it('lists and deletes the account\'s templates', async () => {
    const { api, fake } = fixture;
    const template = fake.addTemplate({ title: '到货提醒' });
    const listed = await api.template.list();
    assert.ok(listed.some((candidate) => candidate.templateId === template.templateId && candidate.title === '到货提醒'));
    await api.template.delete(template.templateId);
    assert.ok(!(await api.template.list()).some((candidate) => candidate.templateId === template.templateId));
    const error = await rejection(api.template.delete(template.templateId));
    assert.ok(error instanceof WeChatApiError && error.errcode === 40037);
  });

  it('an unknown template is 40037, an unfollowed user 43004', async () => {
    const { api, fake } = fixture;
    const unknown = await rejection(api.template.send({ openId: 'o_buyer', templateId: 'nope', data: {} }));
    assert.ok(unknown instanceof WeChatApiError && unknown.errcode === 40037);
    const template = fake.addTemplate();
    const gone = await rejection(api.template.send({ openId: 'o_gone', templateId: template.templateId, data: {} }));
    assert.ok(gone instanceof WeChatApiError && gone.errcode === 43004);
  });

  it('busy (-1): retried only with a client_msg_id, which makes a repeat harmless', async () => {
    const { api, fake } = fixture;
    const template = fake.addTemplate();
    const calls = (): number => fake.callsTo('/cgi-bin/message/template/send').length;
    let before = calls();
    fake.failNext('/cgi-bin/message/template/send', -1);
    const busy = await rejection(api.template.send({ openId: 'o_buyer', templateId: template.templateId, data: {} }));
    assert.ok(busy instanceof WeChatApiError && busy.errcode === -1);
    assert.equal(calls(), before + 1);
    before = calls();
    fake.failNext('/cgi-bin/message/template/send', -1);
    await api.template.send({ openId: 'o_buyer', templateId: template.templateId, data: {}, clientMessageId: 'order-1-shipped' });
    assert.equal(calls(), before + 2);
  });
});
