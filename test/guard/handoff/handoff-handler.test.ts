// The hand-off router step on its own, on a memory store and a clock the test moves: what each message gets and
// what it does to the user's hand-off. The whole path through the real server is in handoff.e2e.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { promptMessage } from '../../../src/conversation/menu/menu-click-handler.js';
import type { HandlerContext, HandlerResult } from '../../../src/conversation/router.js';
import { handoffHandler, TRANSFER_REPLY } from '../../../src/guard/handoff/handoff-handler.js';
import { MemoryHandoffStore } from '../../../src/guard/handoff/memory-handoff-store.js';
import { parseMessage } from '../../../src/wechat/message/parse-message.js';
import type { ClickEvent, InboundMessage, XmlRecord } from '../../../src/wechat/message/types.js';

const AGENT_ANSWER = { type: 'text', content: 'the AI answered' } as const;
const TIMEOUT_MS = 30 * 60_000;

function setUp(keywords = ['人工', '转人工']) {
  const clock = { now: 1_764_760_000_000 };
  const store = new MemoryHandoffStore({ now: () => clock.now });
  const handler = handoffHandler({ store, keywords, timeoutMs: TIMEOUT_MS });
  async function send(message: InboundMessage): Promise<{ result: HandlerResult; passedOn: boolean }> {
    const context: HandlerContext = { message, appId: 'wx1', messageKey: 'k', log: pino({ level: 'silent' }) };
    let passedOn = false;
    const result = await handler(context, () => {
      passedOn = true;
      return AGENT_ANSWER;
    });
    return { result, passedOn };
  }
  return { clock, store, send };
}

function message(from: string, msgType: string, fields: XmlRecord = {}): InboundMessage {
  return parseMessage({ ToUserName: 'gh_account', FromUserName: from, CreateTime: '1764760000', MsgType: msgType, MsgId: '1', ...fields });
}
const text = (from: string, content: string): InboundMessage => message(from, 'text', { Content: content });
const event = (from: string, name: string, fields: XmlRecord = {}): InboundMessage => message(from, 'event', { Event: name, ...fields });

describe('handoffHandler', () => {
  it('a keyword (trimmed) answers with the transfer reply and hands the user off; the AI is not asked', async () => {
    const { store, send, clock } = setUp();
    const { result, passedOn } = await send(text('oAlice', '  转人工 \n'));
    assert.deepEqual(result, { type: 'transfer_customer_service' });
    assert.equal(passedOn, false);
    assert.deepEqual(await store.get('oAlice'), { openId: 'oAlice', since: clock.now, until: clock.now + TIMEOUT_MS });
  });

  it('texts that only contain a keyword, or differ from one, go on to the AI', async () => {
    const { store, send } = setUp();
    for (const content of ['我要转人工', '人工智能是什么', '转 人工', '人工。']) {
      const { result, passedOn } = await send(text('oAlice', content));
      assert.equal(passedOn, true, content);
      assert.deepEqual(result, AGENT_ANSWER);
    }
    assert.deepEqual(await store.list(), []);
  });

  it('while handed off, every message the user sends is transferred — text, image, voice, location, link, video, a menu prompt — and another user is not affected', async () => {
    const { send } = setUp();
    await send(text('oAlice', '人工'));
    const messages: InboundMessage[] = [
      text('oAlice', '你好，我的订单还没到'),
      text('oAlice', '/reset'),
      text('oAlice', '继续'),
      message('oAlice', 'image', { PicUrl: 'http://p/1.jpg', MediaId: 'm1' }),
      message('oAlice', 'voice', { MediaId: 'm2', Format: 'amr', Recognition: '喂' }),
      message('oAlice', 'location', { Location_X: '23.1', Location_Y: '113.3', Scale: '15', Label: '广州' }),
      message('oAlice', 'link', { Title: 't', Description: 'd', Url: 'https://example.com' }),
      message('oAlice', 'video', { MediaId: 'm3', ThumbMediaId: 'm4' }),
      promptMessage(event('oAlice', 'CLICK', { EventKey: 'ASK' }) as ClickEvent, '今天有什么新品？'),
    ];
    for (const each of messages) {
      const { result, passedOn } = await send(each);
      assert.equal(passedOn, false, `${each.kind} reached the AI`);
      assert.deepEqual(result, TRANSFER_REPLY, each.kind);
    }
    assert.deepEqual(await send(text('oBob', '你好')), { result: AGENT_ANSWER, passedOn: true });
  });

  it('events of a handed-off user go on as usual (no transfer reply for a follow or a menu click)', async () => {
    const { send } = setUp();
    await send(text('oAlice', '人工'));
    for (const each of [event('oAlice', 'CLICK', { EventKey: 'K' }), event('oAlice', 'subscribe'), event('oAlice', 'LOCATION', { Latitude: '1', Longitude: '2', Precision: '3' })]) {
      assert.equal((await send(each)).passedOn, true, each.kind);
    }
  });

  it('kf_close_session brings the AI back for that user only', async () => {
    const { store, send } = setUp();
    await send(text('oAlice', '人工'));
    await send(text('oBob', '人工'));
    const closed = await send(event('oAlice', 'kf_close_session', { KfAccount: 'kf01@gh_account', CloseType: 'KF' }));
    assert.equal(closed.passedOn, true, 'the event goes on (to no reply)');
    assert.equal(await store.get('oAlice'), undefined);
    assert.deepEqual(await send(text('oAlice', '你好')), { result: AGENT_ANSWER, passedOn: true });
    assert.deepEqual((await send(text('oBob', '还在吗'))).result, TRANSFER_REPLY);
  });

  it('the time-out brings the AI back; a staff session opening renews it (since kept)', async () => {
    const { store, send, clock } = setUp();
    const first = await store.get('oAlice');
    assert.equal(first, undefined);
    await send(text('oAlice', '人工'));
    const since = clock.now;
    clock.now += TIMEOUT_MS - 1000;
    await send(event('oAlice', 'kf_create_session', { KfAccount: 'kf01@gh_account' }));
    clock.now += TIMEOUT_MS - 1000;
    assert.deepEqual((await send(text('oAlice', '在吗'))).result, TRANSFER_REPLY, 'kf_create_session renewed the hand-off');
    assert.equal((await store.get('oAlice'))?.since, since);
    clock.now += 1000;
    assert.deepEqual(await send(text('oAlice', '在吗')), { result: AGENT_ANSWER, passedOn: true }, 'timed out');
  });

  it('a staff session the staff opened (kf_create_session, kf_switch_session) hands the user off too', async () => {
    const { store, send } = setUp();
    await send(event('oAlice', 'kf_create_session', { KfAccount: 'kf01@gh_account' }));
    await send(event('oBob', 'kf_switch_session', { FromKfAccount: 'kf01@gh_account', ToKfAccount: 'kf02@gh_account' }));
    assert.deepEqual((await store.list()).map((entry) => entry.openId).sort(), ['oAlice', 'oBob']);
  });

  it('a failing store fails the message (the dispatcher then answers EXTERNAL_SERVICE_ERROR_MSG) rather than letting it reach the AI', async () => {
    const store = new MemoryHandoffStore();
    store.get = () => Promise.reject(new Error('Redis is down'));
    const handler = handoffHandler({ store, keywords: ['人工'], timeoutMs: TIMEOUT_MS });
    const context: HandlerContext = { message: text('oAlice', '你好'), appId: 'wx1', messageKey: 'k', log: pino({ level: 'silent' }) };
    let passedOn = false;
    await assert.rejects(
      Promise.resolve(handler(context, () => {
        passedOn = true;
        return AGENT_ANSWER;
      })),
      /Redis is down/,
    );
    assert.equal(passedOn, false);
  });
});
