// The fake WeChat API's customer-service rules (WeChat's, since 2023): a message allows 5 messages for 48 hours,
// a menu click, follow or scan 3 for 1 minute, never adding up; 45015 outside the window, 45047 over the allowance.
// And demo mode's router step that tells the fake which interaction each incoming message or event was.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { HandlerContext } from '../../src/conversation/router.js';
import { noteUserMessageHandler } from '../../src/demo/note-user-message-handler.js';
import { interactionOf } from '../../src/wechat/message/interaction.js';
import { newFakeUser, type FakeInteraction } from '../../src/demo/fake-wechat-api/fake-state.js';
import { parseMessage } from '../../src/wechat/message/parse-message.js';
import { WeChatApiError } from '../../src/wechat/api/wechat-api-error.js';
import { rejection, startApiFixture, type ApiFixture } from '../wechat/api/api-fixture.js';

const HOUR = 3600_000;

async function errcodeOf(promise: Promise<unknown>): Promise<number> {
  const error = await rejection(promise);
  assert.ok(error instanceof WeChatApiError, String(error));
  return error.errcode;
}

describe('fake WeChat API: customer-service allowance per interaction', () => {
  let fixture: ApiFixture;
  before(async () => {
    fixture = await startApiFixture();
  });
  after(() => fixture.close());

  /** Sends texts until WeChat refuses; returns how many were accepted and the refusal's errcode. */
  async function sendUntilRefused(openId: string): Promise<{ accepted: number; errcode: number }> {
    for (let accepted = 0; accepted < 20; accepted++) {
      try {
        await fixture.api.customService.sendText(openId, `message ${accepted}`);
      } catch (error) {
        assert.ok(error instanceof WeChatApiError, String(error));
        return { accepted, errcode: error.errcode };
      }
    }
    throw new Error('never refused');
  }

  it('a message (the default of noteUserMessage) allows 5 within 48 hours, then 45047', async () => {
    const user = fixture.fake.noteUserMessage('oWriter');
    assert.equal(user.customerServiceMessagesLeft, 5);
    const windowMs = (user.customerServiceWindowEndsAt ?? 0) - (user.lastMessageAt ?? 0);
    assert.equal(windowMs, 48 * HOUR);
    assert.deepEqual(await sendUntilRefused('oWriter'), { accepted: 5, errcode: 45047 });
  });

  for (const interaction of ['menu', 'subscribe', 'scan'] as const satisfies readonly FakeInteraction[]) {
    it(`a ${interaction} allows 3 within 1 minute, then 45047; after the minute 45015`, async () => {
      const openId = `o_${interaction}`;
      const before = Date.now();
      const user = fixture.fake.noteUserMessage(openId, interaction);
      const endsAt = user.customerServiceWindowEndsAt ?? 0;
      assert.ok(endsAt >= before + 60_000 && endsAt <= Date.now() + 60_000, String(endsAt - before));
      assert.equal(user.lastMessageAt, undefined, 'an event is not a message');
      assert.deepEqual(await sendUntilRefused(openId), { accepted: 3, errcode: 45047 });
      // Another one, and then its minute passes.
      fixture.fake.noteUserMessage(openId, interaction);
      user.customerServiceWindowEndsAt = Date.now();
      assert.equal(await errcodeOf(fixture.api.customService.sendText(openId, 'a minute later')), 45015);
      assert.equal(await errcodeOf(fixture.api.customService.typing(openId)), 45015);
    });
  }

  it('no adding up: a message then a click leaves 5 for 48 hours, not 8', async () => {
    fixture.fake.noteUserMessage('oBoth');
    const user = fixture.fake.noteUserMessage('oBoth', 'menu');
    assert.equal(user.customerServiceMessagesLeft, 5);
    assert.ok((user.customerServiceWindowEndsAt ?? 0) > Date.now() + 47 * HOUR);
    assert.deepEqual(await sendUntilRefused('oBoth'), { accepted: 5, errcode: 45047 });
  });

  it('a click after 4 of 5 were used raises what is left to 3, for the rest of the message\'s window', async () => {
    const user = fixture.fake.noteUserMessage('oClickLater');
    const messageWindowEnd = user.customerServiceWindowEndsAt;
    for (let index = 0; index < 4; index++) await fixture.api.customService.sendText('oClickLater', `part ${index}`);
    fixture.fake.noteUserMessage('oClickLater', 'menu');
    assert.equal(user.customerServiceMessagesLeft, 3);
    assert.equal(user.customerServiceWindowEndsAt, messageWindowEnd);
    assert.deepEqual(await sendUntilRefused('oClickLater'), { accepted: 3, errcode: 45047 });
  });

  it('a click with 4 left keeps 4; what is left of a lapsed window does not count', async () => {
    const user = fixture.fake.noteUserMessage('oKeeps');
    await fixture.api.customService.sendText('oKeeps', 'one');
    fixture.fake.noteUserMessage('oKeeps', 'scan');
    assert.equal(user.customerServiceMessagesLeft, 4);
    user.customerServiceWindowEndsAt = Date.now() - 1;
    fixture.fake.noteUserMessage('oKeeps', 'menu');
    assert.equal(user.customerServiceMessagesLeft, 3);
    assert.ok((user.customerServiceWindowEndsAt ?? 0) <= Date.now() + 60_000);
  });

  it('the quotas are the options\' (and the state\'s) when given', async () => {
    const own = await startApiFixture({ fake: { customServiceQuota: 2, customServiceEventQuota: 1 } });
    try {
      assert.equal(own.fake.noteUserMessage('oA').customerServiceMessagesLeft, 2);
      assert.equal(own.fake.noteUserMessage('oB', 'menu').customerServiceMessagesLeft, 1);
      own.fake.state.customServiceEventQuota = 4;
      assert.equal(own.fake.noteUserMessage('oC', 'subscribe').customerServiceMessagesLeft, 4);
    } finally {
      await own.close();
    }
  });

  it('a follow makes a user who had unfollowed a follower again', async () => {
    fixture.fake.addUser({ openId: 'oReturning', subscribed: false });
    assert.equal(await errcodeOf(fixture.api.customService.sendText('oReturning', 'hi')), 45015);
    assert.equal(fixture.fake.noteUserMessage('oReturning', 'subscribe').subscribed, true);
    await fixture.api.customService.sendText('oReturning', 'welcome back');
  });
});

describe('demo mode: which interaction each message or event is', () => {
  const fields = (msgType: string, extra: Record<string, string> = {}) =>
    parseMessage({ ToUserName: 'gh_account', FromUserName: 'oUser', CreateTime: '1700000000', MsgType: msgType, ...extra });
  const event = (name: string, key = '') => fields('event', { Event: name, EventKey: key });

  it('user messages of every type, known or not, are messages', () => {
    assert.equal(interactionOf(fields('text', { Content: 'hi', MsgId: '1' })), 'message');
    assert.equal(interactionOf(fields('image', { PicUrl: 'http://x/p.jpg', MediaId: 'm', MsgId: '2' })), 'message');
    assert.equal(interactionOf(fields('location', { Location_X: '1', Location_Y: '2', MsgId: '3' })), 'message');
    assert.equal(interactionOf(fields('miniprogrampage', { MsgId: '4' })), 'message');
  });

  it('menu clicks and scan-code menus are menu; follows and scans their own; other events nothing', () => {
    assert.equal(interactionOf(event('CLICK', 'V1001')), 'menu');
    assert.equal(interactionOf(event('scancode_push', 'rselfmenu_0_1')), 'menu');
    assert.equal(interactionOf(event('scancode_waitmsg', 'rselfmenu_0_0')), 'menu');
    assert.equal(interactionOf(event('subscribe')), 'subscribe');
    assert.equal(interactionOf(event('subscribe', 'qrscene_42')), 'subscribe');
    assert.equal(interactionOf(event('SCAN', '42')), 'scan');
    for (const name of ['unsubscribe', 'VIEW', 'LOCATION', 'pic_sysphoto', 'location_select', 'TEMPLATESENDJOBFINISH', 'MASSSENDJOBFINISH']) {
      assert.equal(interactionOf(event(name)), undefined, name);
    }
  });

  it('the router step notes the interaction and always goes on', async () => {
    const noted: [string, FakeInteraction | undefined][] = [];
    const handler = noteUserMessageHandler({
      noteUserMessage: (openId, interaction) => {
        noted.push([openId, interaction]);
        return newFakeUser({ openId }, 5);
      },
    });
    const context = (message: ReturnType<typeof fields>): HandlerContext => ({ message, appId: 'wx1', messageKey: 'k', log: pino({ level: 'silent' }) });
    let nexts = 0;
    const next = (): undefined => {
      nexts += 1;
      return undefined;
    };
    await handler(context(fields('text', { Content: 'hi', MsgId: '1' })), next);
    await handler(context(event('CLICK', 'V1001')), next);
    await handler(context(event('unsubscribe')), next);
    await handler(context(event('VIEW', 'https://example.com')), next);
    assert.deepEqual(noted, [['oUser', 'message'], ['oUser', 'menu']]);
    assert.equal(nexts, 4);
  });
});
