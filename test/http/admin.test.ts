/**
 * The operator API (`/admin/api/*`) through `buildApp` and `inject`, with a recording `AdminServices`.
 * Logs go to an unredacted stream, so "the token never appears" is checked on what the code itself writes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, afterEach, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import { MemoryDedupStore } from '../../src/conversation/dedup/memory-dedup-store.js';
import { MenuActionTable } from '../../src/conversation/menu/menu-action-table.js';
import type { WeChatMenu } from '../../src/conversation/menu/wechat-menu.js';
import { Router } from '../../src/conversation/router.js';
import type {
  AdminServices, CustomMessage, CustomMessageOptions, TemplateMessage, TokenStatus,
} from '../../src/http/admin/admin-services.js';
import { WeChatApiError } from '../../src/wechat/api/wechat-api-error.js';

const ADMIN_TOKEN = 'admin-secret-0123456789abcdef';
const OPENID = 'oUser_admin_test_0000000000001';
const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

type Call = [method: string, ...args: unknown[]];

/** Records every call; answers from its fields; `failure` makes every call reject with it. */
class RecordingServices implements AdminServices {
  readonly calls: Call[] = [];
  failure: Error | undefined;
  currentMenu: object | undefined = { buttons: [{ type: 'click', name: 'A', key: 'A' }], conditionalMenus: [] };
  status: TokenStatus & Record<string, unknown> = {
    state: 'ok', expiresAt: NOW + 3_600_000, obtainedAt: NOW - 3_600_000, lastRefreshAt: NOW - 3_600_000, refreshCount: 2,
  };

  async #record(method: string, ...args: unknown[]): Promise<void> {
    this.calls.push([method, ...args]);
    if (this.failure) throw this.failure;
  }

  async sendCustomMessage(openId: string, message: CustomMessage, options: CustomMessageOptions): Promise<void> {
    await this.#record('sendCustomMessage', openId, message, options);
  }

  async sendTemplateMessage(message: TemplateMessage): Promise<string> {
    await this.#record('sendTemplateMessage', message);
    return '3147483648123456789';
  }

  async getMenu(): Promise<object | undefined> {
    await this.#record('getMenu');
    return this.currentMenu;
  }

  async setMenu(menu: WeChatMenu): Promise<void> {
    await this.#record('setMenu', menu);
  }

  async deleteMenu(): Promise<void> {
    await this.#record('deleteMenu');
  }

  async tokenStatus(): Promise<TokenStatus> {
    await this.#record('tokenStatus');
    return this.status;
  }
}

interface Harness {
  app: FastifyInstance;
  services: RecordingServices;
  menuActions: MenuActionTable;
  logs(): string;
}

const folders: string[] = [];
const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});
after(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

async function harness(options: { adminToken?: string; withServices?: boolean } = {}): Promise<Harness> {
  const folder = mkdtempSync(path.join(tmpdir(), 'wx-admin-'));
  folders.push(folder);
  const env: Record<string, string> = { WECHAT_TOKEN: 'callbacktoken', WECHAT_APPID: 'wx1234567890abcdef', LOG_DIR: '' };
  const adminToken = 'adminToken' in options ? options.adminToken : ADMIN_TOKEN;
  if (adminToken !== undefined) env.ADMIN_TOKEN = adminToken;
  const config = loadConfig(env, { cwd: folder, envFile: false });
  const captured: Buffer[] = [];
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => captured.push(chunk));
  const log = pino({ level: 'debug' }, destination);
  const services = new RecordingServices();
  const menuActions = new MenuActionTable(new Map([['OLD', { reply: 'old answer' }]]));
  const app = await buildApp(config, {
    log,
    router: new Router(),
    dedupStore: new MemoryDedupStore(),
    ...(options.withServices === false ? {} : { admin: services }),
    menuActions,
    now: () => NOW,
  });
  apps.push(app);
  return { app, services, menuActions, logs: () => Buffer.concat(captured).toString('utf8') };
}

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function call(app: FastifyInstance, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = auth) {
  const response = await app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body as string }) });
  return { status: response.statusCode, headers: response.headers, text: response.body, json: () => JSON.parse(response.body) as Record<string, unknown> };
}

describe('admin API: switched off without ADMIN_TOKEN', () => {
  it('every path under /admin/api is 404, with or without a bearer token', async () => {
    const { app, services } = await harness({ adminToken: undefined });
    for (const [method, url] of [['GET', '/admin/api/token'], ['GET', '/admin/api/menu'], ['POST', '/admin/api/messages/custom'], ['DELETE', '/admin/api/menu']] as const) {
      assert.equal((await call(app, method, url, method === 'POST' ? { openid: OPENID, type: 'text', content: 'x' } : undefined)).status, 404);
      assert.equal((await call(app, method, url, undefined, {})).status, 404);
    }
    assert.deepEqual(services.calls, []);
  });
});

describe('admin API: authentication', () => {
  it('refuses a missing token, a wrong one, a wrong scheme and a same-length wrong token with 401 + WWW-Authenticate', async () => {
    const { app, services, logs } = await harness();
    const sameLength = `${ADMIN_TOKEN.slice(0, -1)}${ADMIN_TOKEN.endsWith('x') ? 'y' : 'x'}`;
    assert.equal(sameLength.length, ADMIN_TOKEN.length);
    const refused: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Basic ${ADMIN_TOKEN}` },
      { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
      { authorization: ADMIN_TOKEN },
      { authorization: `Bearer ${sameLength}` },
      { authorization: `Bearer ${ADMIN_TOKEN}x` },
      { authorization: `Bearer ${ADMIN_TOKEN} extra` },
      { authorization: 'Bearer ' },
    ];
    for (const headers of refused) {
      for (const [method, url] of [['GET', '/admin/api/token'], ['PUT', '/admin/api/menu'], ['GET', '/admin/api/nothing-here']] as const) {
        const response = await call(app, method, url, method === 'PUT' ? '{ not json' : undefined, { ...headers, 'content-type': 'application/json' });
        assert.equal(response.status, 401, `${method} ${url} with ${JSON.stringify(headers)}`);
        assert.match(String(response.headers['www-authenticate']), /^Bearer\b/);
        assert.deepEqual(response.json(), { error: 'unauthorized' });
        assert.ok(!response.text.includes(ADMIN_TOKEN));
      }
    }
    assert.deepEqual(services.calls, []);
    assert.match(logs(), /admin request refused/);
    assert.ok(!logs().includes(ADMIN_TOKEN), 'the token is never logged');
    assert.ok(!logs().includes(sameLength), 'a presented token is never logged');
  });

  it('accepts the right token (scheme case-insensitive); unknown paths are then 404', async () => {
    const { app } = await harness();
    assert.equal((await call(app, 'GET', '/admin/api/token')).status, 200);
    assert.equal((await call(app, 'GET', '/admin/api/token', undefined, { authorization: `bearer ${ADMIN_TOKEN}` })).status, 200);
    const unknown = await call(app, 'GET', '/admin/api/nothing-here');
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.json(), { error: 'not_found' });
  });

  it('answers 503 after authentication when the service has no WeChat API access', async () => {
    const { app } = await harness({ withServices: false });
    assert.equal((await call(app, 'GET', '/admin/api/token', undefined, {})).status, 401);
    const response = await call(app, 'GET', '/admin/api/token');
    assert.equal(response.status, 503);
    assert.equal(response.json().error, 'admin_unavailable');
  });
});

describe('admin API: POST /admin/api/messages/custom', () => {
  it('sends each message type to the service as a customer-service message', async () => {
    const { app, services } = await harness();
    const text = await call(app, 'POST', '/admin/api/messages/custom', { openid: OPENID, type: 'text', content: '你好', kfAccount: 'kf2001@account' });
    assert.equal(text.status, 200);
    assert.deepEqual(text.json(), { ok: true });
    const news = await call(app, 'POST', '/admin/api/messages/custom', {
      openid: OPENID, type: 'news', article: { title: 'T', url: 'https://example.com/a', picUrl: 'https://example.com/p.png' },
    });
    assert.equal(news.status, 200);
    const menu = await call(app, 'POST', '/admin/api/messages/custom', {
      openid: OPENID, type: 'msgmenu', headContent: 'Rate us', items: [{ id: '1', content: 'Good' }, { id: '2', content: 'Bad' }],
    });
    assert.equal(menu.status, 200);
    assert.equal((await call(app, 'POST', '/admin/api/messages/custom', { openid: OPENID, type: 'image', mediaId: 'MEDIA' })).status, 200);
    assert.deepEqual(services.calls, [
      ['sendCustomMessage', OPENID, { type: 'text', content: '你好' }, { kfAccount: 'kf2001@account' }],
      ['sendCustomMessage', OPENID, { type: 'news', article: { title: 'T', url: 'https://example.com/a', picUrl: 'https://example.com/p.png' } }, {}],
      ['sendCustomMessage', OPENID, { type: 'msgmenu', headContent: 'Rate us', items: [{ id: '1', content: 'Good' }, { id: '2', content: 'Bad' }] }, {}],
      ['sendCustomMessage', OPENID, { type: 'image', mediaId: 'MEDIA' }, {}],
    ]);
  });

  it('400 invalid_request naming each problem; the service is not called', async () => {
    const { app, services } = await harness();
    const cases: [unknown, { path: string; message: string | RegExp }[]][] = [
      [{ openid: OPENID, type: 'text' }, [{ path: 'content', message: 'required' }]],
      [{ openid: OPENID, type: 'fax', content: 'x' }, [{ path: 'type', message: /^expected one of text, image, voice/ }]],
      [{ openId: OPENID, type: 'text', content: 'x' }, [{ path: 'openid', message: 'required' }, { path: 'openId', message: 'unknown field' }]],
      [{ openid: OPENID, type: 'text', content: '好'.repeat(683) }, [{ path: 'content', message: "longer than 2048 bytes of UTF-8 (WeChat's limit)" }]],
      [{ openid: 'has space', type: 'image', mediaId: '' }, [{ path: 'openid', message: /^expected an openid/ }, { path: 'mediaId', message: 'must not be empty' }]],
      [{ openid: OPENID, type: 'news', article: { title: 'T', url: 'javascript:alert(1)' } }, [{ path: 'article.url', message: 'expected an http:// or https:// URL' }]],
      [{ openid: OPENID, type: 'msgmenu', headContent: 'h', items: [{ id: '1' }] }, [{ path: 'items[0].content', message: 'required' }]],
    ];
    for (const [body, expected] of cases) {
      const response = await call(app, 'POST', '/admin/api/messages/custom', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      const json = response.json() as { error: string; issues: { path: string; message: string }[] };
      assert.equal(json.error, 'invalid_request');
      assert.equal(json.issues.length, expected.length, JSON.stringify(json.issues));
      expected.forEach((issue, index) => {
        assert.equal(json.issues[index]!.path, issue.path);
        if (typeof issue.message === 'string') assert.equal(json.issues[index]!.message, issue.message);
        else assert.match(json.issues[index]!.message, issue.message);
      });
    }
    const malformed = await app.inject({ method: 'POST', url: '/admin/api/messages/custom', headers: { ...auth, 'content-type': 'application/json' }, payload: '{ "openid": ' });
    assert.equal(malformed.statusCode, 400);
    assert.equal((JSON.parse(malformed.body) as { error: string }).error, 'invalid_request');
    const noBody = await call(app, 'POST', '/admin/api/messages/custom');
    assert.equal(noBody.status, 400);
    assert.deepEqual(noBody.json(), { error: 'invalid_request', issues: [{ path: '', message: 'expected a JSON object' }] });
    assert.deepEqual(services.calls, []);
  });
});

describe('admin API: POST /admin/api/messages/template', () => {
  it('sends the template message and returns its msgid as an exact string', async () => {
    const { app, services } = await harness();
    const response = await call(app, 'POST', '/admin/api/messages/template', {
      openid: OPENID,
      templateId: 'TEMPLATE',
      data: { first: 'Hello', amount: { value: '¥10', color: '#173177' } },
      url: 'https://example.com/order/1',
      miniprogram: { appId: 'wx0123456789abcdef', pagePath: 'pages/order' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.text, '{"msgid":"3147483648123456789"}');
    assert.deepEqual(services.calls, [['sendTemplateMessage', {
      openId: OPENID,
      templateId: 'TEMPLATE',
      data: { first: 'Hello', amount: { value: '¥10', color: '#173177' } },
      url: 'https://example.com/order/1',
      miniProgram: { appId: 'wx0123456789abcdef', pagePath: 'pages/order' },
    }]]);
  });

  it('400 for a missing or invalid field', async () => {
    const { app, services } = await harness();
    const response = await call(app, 'POST', '/admin/api/messages/template', { openid: OPENID, data: {}, url: 'not a url' });
    assert.equal(response.status, 400);
    assert.deepEqual(response.json(), {
      error: 'invalid_request',
      issues: [
        { path: 'templateId', message: 'required' },
        { path: 'data', message: 'at least 1 field' },
        { path: 'url', message: 'expected an http:// or https:// URL' },
      ],
    });
    const badValue = await call(app, 'POST', '/admin/api/messages/template', { openid: OPENID, templateId: 'T', data: { first: 1 } });
    assert.equal(badValue.status, 400);
    assert.equal((badValue.json().issues as { path: string }[])[0]!.path, 'data.first');
    assert.deepEqual(services.calls, []);
  });
});

describe('admin API: menu', () => {
  const menuBody = {
    button: [
      { type: 'click', name: 'Hours', key: 'HOURS', reply: 'Open 9–18' },
      { name: 'More', sub_button: [{ type: 'click', name: 'Joke', key: 'JOKE', prompt: 'Tell me a joke' }, { type: 'view', name: 'Site', url: 'https://example.com/' }] },
    ],
  };
  const wireMenu = {
    button: [
      { type: 'click', name: 'Hours', key: 'HOURS' },
      { name: 'More', sub_button: [{ type: 'click', name: 'Joke', key: 'JOKE' }, { type: 'view', name: 'Site', url: 'https://example.com/' }] },
    ],
  };

  it('GET returns what WeChat has and the running click actions; 404 no_menu when there is none', async () => {
    const { app, services } = await harness();
    const response = await call(app, 'GET', '/admin/api/menu');
    assert.equal(response.status, 200);
    assert.deepEqual(response.json(), { menu: services.currentMenu, actions: { OLD: { reply: 'old answer' } } });
    services.currentMenu = undefined;
    const none = await call(app, 'GET', '/admin/api/menu');
    assert.equal(none.status, 404);
    assert.equal(none.json().error, 'no_menu');
    services.failure = new WeChatApiError(46003, 'menu no exist', '/cgi-bin/menu/get');
    assert.equal((await call(app, 'GET', '/admin/api/menu')).status, 404);
  });

  it('PUT validates like MENU_FILE, sends WeChat the menu without reply/prompt, then replaces the running actions', async () => {
    const { app, services, menuActions } = await harness();
    const response = await call(app, 'PUT', '/admin/api/menu', menuBody);
    assert.equal(response.status, 200);
    assert.deepEqual(response.json(), {
      ok: true,
      menu: wireMenu,
      actions: { HOURS: { reply: 'Open 9–18' }, JOKE: { prompt: 'Tell me a joke' } },
      actionsApplied: true,
    });
    assert.deepEqual(services.calls, [['setMenu', wireMenu]]);
    assert.deepEqual(menuActions.toJSON(), { HOURS: { reply: 'Open 9–18' }, JOKE: { prompt: 'Tell me a joke' } });
  });

  it('PUT accepts a YAML menu file as it is', async () => {
    const { app, services } = await harness();
    const yaml = 'button:\n  - type: click\n    name: Hours\n    key: HOURS\n    reply: Open 9–18\n';
    const response = await app.inject({ method: 'PUT', url: '/admin/api/menu', headers: { ...auth, 'content-type': 'application/yaml' }, payload: yaml });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(services.calls, [['setMenu', { button: [{ type: 'click', name: 'Hours', key: 'HOURS' }] }]]);
    const broken = await app.inject({ method: 'PUT', url: '/admin/api/menu', headers: { ...auth, 'content-type': 'text/yaml' }, payload: 'button: [' });
    assert.equal(broken.statusCode, 400);
    assert.match((JSON.parse(broken.body) as { issues: { message: string }[] }).issues[0]!.message, /^not valid YAML/);
  });

  it('PUT with an invalid menu: 400 with every issue by path; nothing sent, actions unchanged', async () => {
    const { app, services, menuActions } = await harness();
    const response = await call(app, 'PUT', '/admin/api/menu', {
      button: [{ type: 'click', name: 'x'.repeat(17), key: 'A', reply: 'r', prompt: 'p' }, { name: 'P', sub_button: [{ type: 'view', name: 'V' }] }],
    });
    assert.equal(response.status, 400);
    assert.deepEqual(response.json(), {
      error: 'invalid_request',
      issues: [
        { path: 'button[0].name', message: 'longer than 16 bytes (got 17; a Chinese character takes 3)' },
        { path: 'button[0]', message: 'has both reply and prompt; give one of them' },
        { path: 'button[1].sub_button[0].url', message: 'required for view buttons' },
      ],
    });
    assert.deepEqual(services.calls, []);
    assert.deepEqual(menuActions.toJSON(), { OLD: { reply: 'old answer' } });
  });

  it('PUT refused by WeChat: 502 and the running actions stay', async () => {
    const { app, services, menuActions } = await harness();
    services.failure = new WeChatApiError(40018, 'invalid button name size');
    const response = await call(app, 'PUT', '/admin/api/menu', menuBody);
    assert.equal(response.status, 502);
    assert.equal(response.json().errcode, 40018);
    assert.deepEqual(menuActions.toJSON(), { OLD: { reply: 'old answer' } });
  });

  it('DELETE deletes the menu and clears the running actions', async () => {
    const { app, services, menuActions } = await harness();
    const response = await call(app, 'DELETE', '/admin/api/menu');
    assert.equal(response.status, 200);
    assert.deepEqual(response.json(), { ok: true });
    assert.deepEqual(services.calls, [['deleteMenu']]);
    assert.equal(menuActions.size, 0);
  });
});

describe('admin API: GET /admin/api/token', () => {
  it('reports the state and times, never the token or any part of it', async () => {
    const { app, services } = await harness();
    services.status = { ...services.status, token: 'ACCESS_TOKEN_VALUE', tokenPreview: 'ACCESS…', value: 'ACCESS_TOKEN_VALUE' };
    const response = await call(app, 'GET', '/admin/api/token');
    assert.equal(response.status, 200);
    assert.deepEqual(response.json(), {
      state: 'ok',
      expiresAt: '2025-01-01T13:00:00.000Z',
      expiresInSeconds: 3600,
      obtainedAt: '2025-01-01T11:00:00.000Z',
      lastRefreshAt: '2025-01-01T11:00:00.000Z',
      refreshCount: 2,
    });
    assert.ok(!response.text.includes('ACCESS'));
  });

  it('reports the last error with its hint', async () => {
    const { app, services } = await harness();
    services.status = { state: 'error', refreshCount: 0, error: { errcode: 40164, errmsg: 'invalid ip 1.2.3.4', hint: 'add 1.2.3.4 to the whitelist' } };
    assert.deepEqual((await call(app, 'GET', '/admin/api/token')).json(), {
      state: 'error',
      refreshCount: 0,
      error: { errcode: 40164, errmsg: 'invalid ip 1.2.3.4', hint: 'add 1.2.3.4 to the whitelist' },
    });
  });
});

describe('admin API: errors from the services', () => {
  it('a WeChatApiError becomes 502 with errcode, errmsg and hint', async () => {
    const { app, services } = await harness();
    services.failure = new WeChatApiError(45015, 'response out of time limit or subscription is canceled', '/cgi-bin/message/custom/send');
    const response = await call(app, 'POST', '/admin/api/messages/custom', { openid: OPENID, type: 'text', content: 'hi' });
    assert.equal(response.status, 502);
    assert.deepEqual(response.json(), {
      error: 'wechat_api_error',
      errcode: 45015,
      errmsg: 'response out of time limit or subscription is canceled',
      hint: 'the user has not interacted with the account in the last 48 hours',
    });
    services.failure = new WeChatApiError(99999, 'something new');
    assert.deepEqual((await call(app, 'GET', '/admin/api/token')).json(), { error: 'wechat_api_error', errcode: 99999, errmsg: 'something new', hint: null });
  });

  it('any other error becomes 500 without details (they go to the log)', async () => {
    const { app, services, logs } = await harness();
    services.failure = new Error('connect ECONNREFUSED 10.0.0.1:443 internal detail');
    const response = await call(app, 'DELETE', '/admin/api/menu');
    assert.equal(response.status, 500);
    assert.deepEqual(response.json(), { error: 'internal_error' });
    assert.match(logs(), /internal detail/);
  });
});
