import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { Router, type HandlerContext } from '../../src/conversation/router.js';
import { echoHandler } from '../../src/conversation/handlers/echo-handler.js';
import { welcomeHandler } from '../../src/conversation/handlers/welcome-handler.js';
import type { InboundMessage } from '../../src/wechat/message/types.js';

const base = { toUserName: 'gh_a', fromUserName: 'o_user', createTime: 1, fields: {} };
const text = (content: string): InboundMessage => ({ ...base, kind: 'text', msgType: 'text', msgId: '1', content });
const event = (name: string, eventKey = ''): InboundMessage =>
  name === 'CLICK'
    ? { ...base, kind: 'click', msgType: 'event', event: name, eventKey }
    : name === 'subscribe'
      ? { ...base, kind: 'subscribe', msgType: 'event', event: name, eventKey }
      : { ...base, kind: 'unknown-event', msgType: 'event', event: name, eventKey };
const context = (message: InboundMessage): HandlerContext => ({ message, appId: 'wx1', messageKey: 'k', log: pino({ level: 'silent' }) });
const reply = (content: string) => ({ type: 'text' as const, content });

describe('Router', () => {
  it('runs the first matching route, in registration order', async () => {
    const router = new Router()
      .text('hello', () => reply('exact'))
      .text(/^hel/, () => reply('pattern'))
      .use(() => reply('fallback'));
    assert.deepEqual(await router.handle(context(text(' hello '))), reply('exact'));
    assert.deepEqual(await router.handle(context(text('help'))), reply('pattern'));
    assert.deepEqual(await router.handle(context(text('bye'))), reply('fallback'));
  });

  it('next() lets later handlers answer, and the earlier one may change their answer', async () => {
    const seen: string[] = [];
    const router = new Router()
      .use(async (_context, next) => {
        seen.push('outer');
        const inner = await next();
        return inner?.type === 'text' ? reply(`[${inner.content}]`) : inner;
      })
      .text(undefined, () => reply('inner'));
    assert.deepEqual(await router.handle(context(text('x'))), reply('[inner]'));
    assert.deepEqual(seen, ['outer']);
  });

  it('matches events case-insensitively and by event key (string or pattern)', async () => {
    const router = new Router()
      .click('MENU_A', () => reply('a'))
      .click(/^MENU_B_\d+$/, () => reply('b'))
      .event('Subscribe', () => reply('welcome'));
    assert.deepEqual(await router.handle(context(event('CLICK', 'MENU_A'))), reply('a'));
    assert.deepEqual(await router.handle(context(event('CLICK', 'MENU_B_12'))), reply('b'));
    assert.equal(await router.handle(context(event('CLICK', 'MENU_C'))), undefined);
    assert.deepEqual(await router.handle(context(event('subscribe'))), reply('welcome'));
  });

  it('a global-flag pattern matches every time (no lastIndex carry-over)', async () => {
    const router = new Router().text(/a/g, () => reply('yes'));
    for (let index = 0; index < 3; index++) assert.deepEqual(await router.handle(context(text('a'))), reply('yes'));
  });

  it('matches by kind, msgType and predicate; content matchers never match events', async () => {
    const router = new Router()
      .on({ content: 'x' }, () => reply('content'))
      .on({ kind: ['click', 'subscribe'] }, () => reply('kind'))
      .on((message) => message.fromUserName === 'o_user', () => reply('predicate'));
    assert.deepEqual(await router.handle(context(event('subscribe'))), reply('kind'));
    assert.deepEqual(await router.handle(context(event('VIEW'))), reply('predicate'));
    assert.deepEqual(await router.handle(context(text('x'))), reply('content'));
  });

  it('nothing matching → undefined; handler errors propagate to the caller', async () => {
    assert.equal(await new Router().handle(context(text('x'))), undefined);
    const failing = new Router().use(() => {
      throw new Error('boom');
    });
    await assert.rejects(async () => failing.handle(context(text('x'))), /boom/);
    const result = failing.handle(context(text('x')));
    assert.ok(result instanceof Promise, 'a synchronous throw comes back as a rejected promise');
    await assert.rejects(result, /boom/);
  });

  it('answers synchronously when every handler that runs does', async () => {
    const router = new Router()
      .use((_context, next) => next())
      .text('sync', () => reply('now'))
      .use(async () => reply('later'));
    assert.deepEqual(router.handle(context(text('sync'))), reply('now'));
    const later = router.handle(context(text('other')));
    assert.ok(later instanceof Promise);
    assert.deepEqual(await later, reply('later'));
  });
});

describe('built-in handlers', () => {
  it('welcome answers subscribe with WELCOME_MESSAGE and passes on when it is empty', async () => {
    const router = new Router().event('subscribe', welcomeHandler('欢迎!')).use(() => reply('next'));
    assert.deepEqual(await router.handle(context(event('subscribe'))), reply('欢迎!'));
    const silent = new Router().event('subscribe', welcomeHandler('')).use(() => reply('next'));
    assert.deepEqual(await silent.handle(context(event('subscribe'))), reply('next'));
  });

  it('echo answers text with the same text, describes other user messages, and ignores events', async () => {
    const router = new Router().use(echoHandler);
    assert.deepEqual(await router.handle(context(text('你好 ]]> world'))), reply('你好 ]]> world'));
    const voice: InboundMessage = { ...base, kind: 'voice', msgType: 'voice', msgId: '2', mediaId: 'm', format: 'amr', recognition: '语音识别' };
    assert.deepEqual(await router.handle(context(voice)), reply('语音识别'));
    assert.equal(await router.handle(context(event('subscribe'))), undefined);
  });

  it('echo answers a picture with the same picture (its MediaId), so demo mode shows an image reply', async () => {
    const router = new Router().use(echoHandler);
    const picture: InboundMessage = { ...base, kind: 'image', msgType: 'image', msgId: '3', picUrl: 'http://127.0.0.1/p.png', mediaId: 'MEDIA_1' };
    assert.deepEqual(await router.handle(context(picture)), { type: 'image', mediaId: 'MEDIA_1' });
  });
});
