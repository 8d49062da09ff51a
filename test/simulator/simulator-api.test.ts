/**
 * The web simulator's routes on the real server: off (404) unless demo mode or SIMULATOR_ENABLED=true; every bad
 * request refused with a 400 that names the field; a message delivered to the callback as WeChat would (signed,
 * encrypted in safe mode, byte-identical retries) and its passive reply streamed to the user's chat; media served
 * only when the simulator showed it; never a secret in what the routes answer.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { accountEnv, newAccount, startAccountFake, startAppInstance, type AppInstance } from '../support/app-instances.js';
import { stripedPng } from '../support/png.js';
import { demoEnv, followChat, postSimulatorMessage } from '../support/simulator-chat.js';
import { testCredentials, testEnv } from '../support/test-server.js';
import type { FakeWeChatApi } from '../../src/demo/fake-wechat-api/start-fake-wechat-api.js';

const SIMULATOR_PATHS = ['/simulator', '/simulator/assets/simulator.js', '/simulator/api/info', '/simulator/api/events?openid=oUser', '/simulator/api/media/abc'];

describe('simulator routes are off outside demo mode unless SIMULATOR_ENABLED=true', () => {
  let instance: AppInstance;
  before(async () => {
    instance = await startAppInstance(testEnv(testCredentials(), { LOG_LEVEL: 'info' }));
  });
  after(() => instance.close());

  it('every simulator path is a 404, and a message cannot be posted', async () => {
    for (const route of SIMULATOR_PATHS) assert.equal((await instance.request('GET', route)).status, 404, route);
    const posted = await postSimulatorMessage(instance.url, { openid: 'oUser', type: 'text', content: 'hi' });
    assert.equal(posted.status, 404);
  });
});

describe('simulator API in demo mode', () => {
  let instance: AppInstance;
  let secrets: string[];
  before(async () => {
    instance = await startAppInstance(demoEnv());
    const credentials = JSON.parse(readFileSync(path.join(path.dirname(instance.server.config.tokenFilePath), 'demo-credentials.json'), 'utf8')) as Record<string, string>;
    secrets = [credentials.token!, credentials.aesKey!];
  });
  after(() => instance.close());

  const assertNoSecrets = (text: string): void => {
    for (const secret of secrets) assert.equal(text.includes(secret), false, 'a secret is in the answer');
  };

  it('serves the page and its files from the service itself: no CDN, no inline script or style, a strict content security policy', async () => {
    const response = await fetch(`${instance.url}/simulator`);
    const html = await response.text();
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const policy = response.headers.get('content-security-policy') ?? '';
    assert.match(policy, /default-src 'none'/);
    assert.match(policy, /script-src 'self';/);
    assert.match(policy, /style-src 'self';/);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'every script and style comes from this service');
    assert.doesNotMatch(html, /<script>|<style>| style="|<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script or style (the policy would block it)');
    assertNoSecrets(html);
    for (const [file, type] of [['simulator.js', /^text\/javascript/], ['chat-view.js', /^text\/javascript/], ['simulator.css', /^text\/css/]] as const) {
      const asset = await fetch(`${instance.url}/simulator/assets/${file}`);
      assert.equal(asset.status, 200, file);
      assert.match(asset.headers.get('content-type') ?? '', type, file);
      const text = await asset.text();
      assert.ok(text.length > 1000, file);
      assertNoSecrets(text);
    }
    assert.ok(html.includes('simulator/assets/simulator.js') && html.includes('simulator/assets/simulator.css'), 'the page loads its script and style');
    for (const unknown of ['nothing.js', '..%2Fsimulator.html', '..%2F..%2Fpackage.json', '..%2F..%2F.env']) {
      assert.equal((await fetch(`${instance.url}/simulator/assets/${unknown}`)).status, 404, unknown);
    }
  });

  it('info says demo mode, the delivery modes and that customer-service messages show here; nothing secret', async () => {
    const answer = await instance.request('GET', '/simulator/api/info');
    assert.equal(answer.status, 200);
    assert.deepEqual(
      { demo: answer.json?.demo, modes: answer.json?.modes, defaultMode: answer.json?.defaultMode, customerServiceShown: answer.json?.customerServiceShown, deliveryTimeoutMs: answer.json?.deliveryTimeoutMs },
      { demo: true, modes: ['safe', 'compat', 'plain'], defaultMode: 'safe', customerServiceShown: true, deliveryTimeoutMs: 5000 },
    );
    assertNoSecrets(answer.text);
  });

  const badRequests: Array<[string, unknown, string]> = [
    ['not a JSON object', [1, 2], ''],
    ['no openid', { type: 'text', content: 'hi' }, 'openid'],
    ['an openid with spaces', { openid: 'o user', type: 'text', content: 'hi' }, 'openid'],
    ['no type', { openid: 'oUser', content: 'hi' }, 'type'],
    ['an unknown type', { openid: 'oUser', type: 'video', content: 'hi' }, 'type'],
    ['empty text', { openid: 'oUser', type: 'text', content: '   ' }, 'content'],
    ['text too long', { openid: 'oUser', type: 'text', content: 'x'.repeat(4001) }, 'content'],
    ['an unknown field', { openid: 'oUser', type: 'text', content: 'hi', from: 'oOther' }, 'from'],
    ['an unknown mode', { openid: 'oUser', type: 'text', content: 'hi', mode: 'aes' }, 'mode'],
    ['an image that is not base64', { openid: 'oUser', type: 'image', contentType: 'image/png', data: 'not base64!' }, 'data'],
    ['an image of an unsupported type', { openid: 'oUser', type: 'image', contentType: 'image/svg+xml', data: 'PHN2Zz4=' }, 'contentType'],
    ['an unknown event', { openid: 'oUser', type: 'event', event: 'SCAN' }, 'event'],
    ['a CLICK without its key', { openid: 'oUser', type: 'event', event: 'CLICK' }, 'eventKey'],
  ];
  for (const [label, body, field] of badRequests) {
    it(`400 naming the problem for ${label}`, async () => {
      const answer = await postSimulatorMessage(instance.url, body);
      assert.equal(answer.status, 400, JSON.stringify(answer.json));
      assert.equal(answer.json.error, 'invalid_request');
      const issues = answer.json.issues as Array<{ path: string; message: string }>;
      assert.ok(issues.some((issue) => issue.path === field && issue.message !== ''), `no issue for "${field}": ${JSON.stringify(issues)}`);
    });
  }

  it('400 for a body that is not JSON, and for the events stream without a valid openid', async () => {
    const broken = await postSimulatorMessage(instance.url, '{"openid": ');
    assert.equal(broken.status, 400);
    assert.equal(broken.json.error, 'invalid_request');
    for (const query of ['', '?openid=', '?openid=bad%20id']) {
      const answer = await instance.request('GET', `/simulator/api/events${query}`);
      assert.equal(answer.status, 400, query);
      assert.equal((answer.json?.issues as Array<{ path: string }>)[0]?.path, 'openid');
    }
  });

  it('a text goes to the callback encrypted (safe mode) and its passive reply reaches the user\'s chat', async () => {
    const chat = await followChat(instance.url, 'oApiTextUser');
    try {
      const posted = await postSimulatorMessage(instance.url, { openid: 'oApiTextUser', type: 'text', content: '你好 <b>&</b>' });
      assert.equal(posted.status, 202);
      const messageId = posted.json.messageId as string;
      const reply = await chat.waitFor('passive-reply', (event) => event.messageId === messageId);
      assert.deepEqual(reply.message, { kind: 'text', text: '你好 <b>&</b>' });
      const end = await chat.waitFor('exchange-end', (event) => event.messageId === messageId);
      assert.equal(end.outcome, 'passive');
      const sent = chat.events.find((event) => event.type === 'user-message' && event.messageId === messageId);
      assert.deepEqual(sent?.type === 'user-message' && sent.message, { kind: 'text', text: '你好 <b>&</b>' });
      const deliveries = chat.events.filter((event) => event.type === 'delivery' && event.messageId === messageId);
      assert.deepEqual(deliveries.map((event) => event.type === 'delivery' && event.status), [200]);
      assertNoSecrets(JSON.stringify(chat.events));
    } finally {
      chat.close();
    }
  });

  it('every mode the callback accepts works (plain, compat), and a page opened later gets the chat so far', async () => {
    for (const mode of ['plain', 'compat']) {
      const posted = await postSimulatorMessage(instance.url, { openid: 'oApiModes', type: 'text', content: `mode ${mode}`, mode });
      assert.equal(posted.status, 202);
    }
    const chat = await followChat(instance.url, 'oApiModes');
    try {
      await chat.waitFor('passive-reply', (event) => event.message.kind === 'text' && event.message.text === 'mode plain');
      await chat.waitFor('passive-reply', (event) => event.message.kind === 'text' && event.message.text === 'mode compat');
    } finally {
      chat.close();
    }
  });

  it('a picture is kept by the fake WeChat API, echoed as an image reply, and served back; unknown media is a 404', async () => {
    const picture = stripedPng(32, [20, 120, 220]);
    const chat = await followChat(instance.url, 'oApiImageUser');
    try {
      const posted = await postSimulatorMessage(instance.url, { openid: 'oApiImageUser', type: 'image', contentType: 'image/png', data: picture.toString('base64') });
      assert.equal(posted.status, 202);
      const reply = await chat.waitFor('passive-reply', (event) => event.messageId === posted.json.messageId);
      assert.equal(reply.message.kind, 'image');
      const url = reply.message.kind === 'image' ? reply.message.url : '';
      const media = await fetch(`${instance.url}${url}`);
      assert.equal(media.status, 200);
      assert.equal(media.headers.get('content-type'), 'image/png');
      assert.match(media.headers.get('content-security-policy') ?? '', /sandbox/);
      assert.deepEqual(Buffer.from(await media.arrayBuffer()), picture);
    } finally {
      chat.close();
    }
    const unknown = await instance.request('GET', '/simulator/api/media/not-a-media-id');
    assert.equal(unknown.status, 404);
  });

  it('a menu click is delivered as a CLICK event', async () => {
    const chat = await followChat(instance.url, 'oApiClick');
    try {
      const posted = await postSimulatorMessage(instance.url, { openid: 'oApiClick', type: 'event', event: 'CLICK', eventKey: 'NO_SUCH_KEY', label: '帮助' });
      assert.equal(posted.status, 202);
      const shown = await chat.waitFor('user-message', (event) => event.messageId === posted.json.messageId);
      assert.deepEqual(shown.message, { kind: 'event', event: 'CLICK', eventKey: 'NO_SUCH_KEY', label: '帮助' });
      // No action for that key: the service answers without a reply.
      const end = await chat.waitFor('exchange-end', (event) => event.messageId === posted.json.messageId);
      assert.ok(['success', 'empty'].includes(end.outcome), end.outcome);
    } finally {
      chat.close();
    }
  });
});

describe('simulator with SIMULATOR_ENABLED=true and a real account (a fake WeChat API standing in)', () => {
  let instance: AppInstance;
  let wechat: FakeWeChatApi;
  const account = newAccount();
  before(async () => {
    wechat = await startAccountFake(account);
    instance = await startAppInstance(accountEnv(account, wechat.url, { SIMULATOR_ENABLED: 'true', LOG_LEVEL: 'info' }));
  });
  after(async () => {
    await instance.close();
    await wechat.close();
  });

  it('serves the simulator, says customer-service messages go to WeChat, and warns in the log', async () => {
    const info = await instance.request('GET', '/simulator/api/info');
    assert.equal(info.status, 200);
    assert.equal(info.json?.demo, false);
    assert.equal(info.json?.customerServiceShown, false);
    assert.deepEqual(info.json?.modes, ['safe', 'compat']);
    assert.match(instance.logs(), /SIMULATOR_ENABLED=true: \/simulator lets anyone/);
    for (const secret of [account.token, account.aesKey, account.appSecret, account.adminToken]) assert.equal(info.text.includes(secret), false);
  });

  it('plaintext is refused when the callback would refuse it (WECHAT_AES_KEY set, no WECHAT_ALLOW_PLAINTEXT)', async () => {
    const answer = await postSimulatorMessage(instance.url, { openid: 'oLive', type: 'text', content: 'hi', mode: 'plain' });
    assert.equal(answer.status, 400);
    assert.match(String(answer.json.message), /mode must be one of safe, compat/);
  });

  it('a picture is uploaded to the account\'s WeChat media, answered with itself, and served back through the simulator', async () => {
    const picture = stripedPng(24, [10, 160, 90]);
    const chat = await followChat(instance.url, 'oLivePicture');
    try {
      const posted = await postSimulatorMessage(instance.url, { openid: 'oLivePicture', type: 'image', contentType: 'image/png', data: picture.toString('base64') });
      assert.equal(posted.status, 202);
      assert.equal(wechat.callsTo('/cgi-bin/media/upload').length, 1);
      const reply = await chat.waitFor('passive-reply', (event) => event.messageId === posted.json.messageId);
      const media = await fetch(`${instance.url}${reply.message.kind === 'image' ? reply.message.url : ''}`);
      assert.deepEqual(Buffer.from(await media.arrayBuffer()), picture);
    } finally {
      chat.close();
    }
  });

  it('WeChat refusing the picture is a 502 naming its errcode', async () => {
    wechat.failNext('/cgi-bin/media/upload', 40006);
    const answer = await postSimulatorMessage(instance.url, { openid: 'oLive', type: 'image', contentType: 'image/png', data: stripedPng(8, [0, 0, 0]).toString('base64') });
    assert.equal(answer.status, 502);
    assert.equal(answer.json.errcode, 40006);
    assert.match(String(answer.json.message), /WeChat refused: 40006/);
  });

  it('a message signed and encrypted with the account\'s credentials is answered', async () => {
    const chat = await followChat(instance.url, 'oLiveUser');
    try {
      const posted = await postSimulatorMessage(instance.url, { openid: 'oLiveUser', type: 'text', content: 'live hello' });
      assert.equal(posted.status, 202);
      const reply = await chat.waitFor('passive-reply', (event) => event.messageId === posted.json.messageId);
      assert.deepEqual(reply.message, { kind: 'text', text: 'live hello' });
    } finally {
      chat.close();
    }
  });
});

describe('simulator with SIMULATOR_ENABLED=true but no WECHAT_APPSECRET', () => {
  let instance: AppInstance;
  before(async () => {
    instance = await startAppInstance(testEnv(testCredentials(), { SIMULATOR_ENABLED: 'true', LOG_LEVEL: 'info' }));
  });
  after(() => instance.close());

  it('text works, but pictures cannot be kept: the page hides the button and the API answers 503', async () => {
    const info = await instance.request('GET', '/simulator/api/info');
    assert.equal(info.json?.canSendImages, false);
    const answer = await postSimulatorMessage(instance.url, { openid: 'oNoSecret', type: 'image', contentType: 'image/png', data: stripedPng(8, [0, 0, 0]).toString('base64') });
    assert.equal(answer.status, 503);
    assert.match(String(answer.json.message), /pictures need the WeChat API \(WECHAT_APPSECRET\)/);
    const chat = await followChat(instance.url, 'oNoSecret');
    try {
      const posted = await postSimulatorMessage(instance.url, { openid: 'oNoSecret', type: 'text', content: 'still fine' });
      assert.equal(posted.status, 202);
      await chat.waitFor('passive-reply', (event) => event.message.kind === 'text' && event.message.text === 'still fine');
    } finally {
      chat.close();
    }
  });
});
