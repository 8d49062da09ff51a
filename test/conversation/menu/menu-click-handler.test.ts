import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { AppConfig } from '../../../src/config/app-config.js';
import { createRouter } from '../../../src/conversation/create-router.js';
import { echoHandler } from '../../../src/conversation/handlers/echo-handler.js';
import { MenuActionTable } from '../../../src/conversation/menu/menu-action-table.js';
import { menuClickHandler } from '../../../src/conversation/menu/menu-click-handler.js';
import { Router, type HandlerContext } from '../../../src/conversation/router.js';
import type { ClickEvent, InboundMessage } from '../../../src/wechat/message/types.js';

const click = (eventKey: string): ClickEvent => ({
  kind: 'click',
  msgType: 'event',
  event: 'CLICK',
  eventKey,
  toUserName: 'gh_account',
  fromUserName: 'o_user',
  createTime: 1700000000,
  fields: { ToUserName: 'gh_account', FromUserName: 'o_user', CreateTime: '1700000000', MsgType: 'event', Event: 'CLICK', EventKey: eventKey },
});
const context = (message: InboundMessage): HandlerContext => ({ message, appId: 'wx1', messageKey: 'wx1|o_user|1700000000|CLICK|key', log: pino({ level: 'silent' }) });
const reply = (content: string) => ({ type: 'text' as const, content });

const actions = new MenuActionTable(new Map([
  ['HOURS', { reply: 'Open 9–18' }],
  ['JOKE', { prompt: 'Tell me a joke' }],
]));

describe('menuClickHandler', () => {
  it('a key with a reply answers with it; later handlers do not run', async () => {
    let laterRan = false;
    const router = new Router().event('CLICK', menuClickHandler(actions)).use(() => {
      laterRan = true;
      return reply('later');
    });
    assert.deepEqual(await router.handle(context(click('HOURS'))), reply('Open 9–18'));
    assert.equal(laterRan, false);
  });

  it('a key with a prompt hands the later handlers a text message with the prompt, as if the user typed it', async () => {
    const seen: HandlerContext[] = [];
    const router = new Router()
      .event('CLICK', menuClickHandler(actions))
      .text(undefined, (handlerContext, next) => {
        seen.push(handlerContext);
        return next();
      })
      .use(echoHandler);
    const original = context(click('JOKE'));
    assert.deepEqual(await router.handle(original), reply('Tell me a joke'));
    const [forwarded] = seen;
    assert.ok(forwarded);
    assert.equal(forwarded.message.kind, 'text');
    assert.deepEqual(forwarded.message, {
      kind: 'text',
      msgType: 'text',
      toUserName: 'gh_account',
      fromUserName: 'o_user',
      createTime: 1700000000,
      msgId: '',
      content: 'Tell me a joke',
      fields: { ToUserName: 'gh_account', FromUserName: 'o_user', CreateTime: '1700000000', MsgType: 'text', Event: 'CLICK', EventKey: 'JOKE', Content: 'Tell me a joke' },
    });
    // Same message identity for dedup and logs; the caller's context is left alone.
    assert.equal(forwarded.messageKey, original.messageKey);
    assert.equal(forwarded.log, original.log);
    assert.equal(original.message.kind, 'click');
  });

  it('an unknown key goes on to later handlers unchanged, e.g. router.click handlers', async () => {
    const router = new Router()
      .event('CLICK', menuClickHandler(actions))
      .click('OTHER', (handlerContext) => reply(`custom ${handlerContext.message.kind}`))
      .use(echoHandler);
    assert.deepEqual(await router.handle(context(click('OTHER'))), reply('custom click'));
    assert.equal(await router.handle(context(click('NOBODY'))), undefined);
  });

  it('follows the table: replacing the actions takes effect on the next click', async () => {
    const table = new MenuActionTable();
    const router = new Router().event('CLICK', menuClickHandler(table));
    assert.equal(await router.handle(context(click('NEW'))), undefined);
    table.replace(new Map([['NEW', { reply: 'new answer' }]]));
    assert.deepEqual(await router.handle(context(click('NEW'))), reply('new answer'));
    assert.deepEqual(table.toJSON(), { NEW: { reply: 'new answer' } });
  });
});

describe('Router next(context)', () => {
  it('later handlers are matched against, and see, the replacement; next() without one keeps the current context', async () => {
    const calls: string[] = [];
    const router = new Router()
      .use((handlerContext, next) => {
        calls.push(`first:${handlerContext.message.kind}`);
        const { toUserName, fromUserName, createTime } = handlerContext.message;
        return next({ ...handlerContext, message: { kind: 'text', msgType: 'text', toUserName, fromUserName, createTime, msgId: '', content: 'hi', fields: {} } });
      })
      .event('CLICK', () => reply('click handler must not match a text message'))
      .use((handlerContext, next) => {
        calls.push(`second:${handlerContext.message.kind}`);
        return next();
      })
      .text('hi', (handlerContext) => reply(`text handler got ${handlerContext.message.kind}`));
    assert.deepEqual(await router.handle(context(click('X'))), reply('text handler got text'));
    assert.deepEqual(calls, ['first:click', 'second:text']);
  });
});

describe('createRouter', () => {
  const config = {
    reply: { welcomeMessage: '' },
    agent: { type: 'echo', errorMessage: 'unavailable' },
    menu: { menu: { button: [] }, actions: new Map([['JOKE', { prompt: 'Tell me a joke' }], ['HOURS', { reply: 'Open 9–18' }]]) },
  } as unknown as AppConfig;

  it('runs menu clicks from MENU_FILE before the AI service: a prompt reaches the agent (echo)', async () => {
    const router = createRouter(config);
    assert.deepEqual(await router.handle(context(click('HOURS'))), reply('Open 9–18'));
    assert.deepEqual(await router.handle(context(click('JOKE'))), reply('Tell me a joke'));
    assert.equal(await router.handle(context(click('UNKNOWN'))), undefined);
  });

  it('uses a given action table, so the admin API can publish new actions', async () => {
    const table = new MenuActionTable();
    const router = createRouter(config, { menuActions: table });
    assert.equal(await router.handle(context(click('HOURS'))), undefined);
    table.replace(new Map([['HOURS', { reply: 'Closed today' }]]));
    assert.deepEqual(await router.handle(context(click('HOURS'))), reply('Closed today'));
  });

  it('a prompt reaches the AI service\'s handler as the text message it stands for', async () => {
    const router = createRouter({ ...config, agent: { ...config.agent, type: 'openai' } } as AppConfig, {
      agentHandler: (handlerContext) => reply(handlerContext.message.kind === 'text' ? `agent: ${handlerContext.message.content}` : 'not text'),
    });
    assert.deepEqual(await router.handle(context(click('JOKE'))), reply('agent: Tell me a joke'));
    assert.deepEqual(await router.handle(context(click('HOURS'))), reply('Open 9–18'));
  });
});
