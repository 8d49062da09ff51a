import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { AccessTokenManager, type AccessTokenManagerOptions } from '../../../src/wechat/access-token/access-token-manager.js';
import { FileTokenStore } from '../../../src/wechat/access-token/file-token-store.js';
import { MemoryTokenStore } from '../../../src/wechat/access-token/memory-token-store.js';
import { StableTokenRequestError } from '../../../src/wechat/access-token/stable-token-client.js';
import type { TokenStore } from '../../../src/wechat/access-token/token-store.js';
import { WeChatApiError } from '../../../src/wechat/api/wechat-api-error.js';
import { captureLog, type CapturedLog } from './capture-log.js';
import { StableTokenServer } from './stable-token-server.js';

const APP_ID = 'wx0123456789abcdef';
const APP_SECRET = 'S3cr3tAppSecretValue0123456789ab';

interface Setup {
  server: StableTokenServer;
  manager: AccessTokenManager;
  store: TokenStore;
  captured: CapturedLog;
  clock: { value: number; now: () => number };
}

const servers: StableTokenServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function setUp(overrides: Partial<AccessTokenManagerOptions> = {}, server?: StableTokenServer): Promise<Setup> {
  if (server === undefined) {
    server = await StableTokenServer.start();
    servers.push(server);
  }
  const clock = { value: Date.now(), now: (): number => clock.value };
  const captured = captureLog();
  const store = overrides.store ?? new MemoryTokenStore({ now: clock.now });
  const manager = new AccessTokenManager({
    appId: APP_ID,
    appSecret: APP_SECRET,
    apiBase: server.url,
    store,
    log: captured.log,
    now: clock.now,
    busyRetryDelaysMs: [10, 20],
    pollIntervalMs: 10,
    ...overrides,
  });
  return { server, manager, store, captured, clock };
}

/** Everything that must never leave the process: the secret and every token WeChat issued. */
function assertNoSecretsIn(text: string, server: StableTokenServer): void {
  for (const secret of [APP_SECRET, ...server.issuedTokens]) {
    assert.ok(!text.includes(secret), `found ${secret.slice(0, 6)}… in:\n${text}`);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.message}\n${error.stack ?? ''}\n${JSON.stringify(error)}` : String(error);
}

void describe('AccessTokenManager', () => {
  void it('100 concurrent getToken with an empty cache make one stable_token request', async () => {
    const { server, manager } = await setUp();
    server.delayMs = 50;
    const tokens = await Promise.all(Array.from({ length: 100 }, () => manager.getToken()));
    assert.equal(server.requestCount, 1);
    assert.ok(tokens.every((token) => token === server.currentToken));
    assert.deepEqual(server.requests[0], { grant_type: 'client_credential', appid: APP_ID, secret: APP_SECRET, force_refresh: false });
  });

  void it('refreshes ahead of expiry', async () => {
    const { server, manager, clock } = await setUp();
    const first = await manager.getToken();
    clock.value += (7200 - 301) * 1000;
    assert.equal(await manager.getToken(), first);
    assert.equal(server.requestCount, 1);
    server.rotate();
    clock.value += 2_000;
    assert.equal(await manager.getToken(), server.currentToken);
    assert.notEqual(server.currentToken, first);
    assert.equal(server.requestCount, 2);
  });

  void it('refreshAfterInvalid drops the token only if the store still holds it', async () => {
    const { server, manager, store, clock } = await setUp();
    const first = await manager.getToken();
    clock.value += 120_000;
    await store.set(`stable_token:${APP_ID}`, { value: 'replaced-by-another-instance', expiresAt: clock.value + 7_000_000, obtainedAt: clock.value });
    assert.equal(await manager.refreshAfterInvalid(first), 'replaced-by-another-instance');
    assert.equal(server.requestCount, 1);
    assert.equal(await manager.getToken(), 'replaced-by-another-instance');
    clock.value += 120_000;
    const second = server.rotate();
    assert.equal(await manager.refreshAfterInvalid('replaced-by-another-instance'), second);
    assert.equal(server.requestCount, 2);
  });

  void it('a fresh token that still fails is force-refreshed, at most once per 30 s', async () => {
    const { server, manager, clock } = await setUp();
    const first = await manager.getToken();
    clock.value += 120_000;
    // WeChat keeps rejecting `first`, but normal mode keeps handing it out.
    assert.equal(await manager.refreshAfterInvalid(first), first);
    const forced = await manager.refreshAfterInvalid(first);
    assert.notEqual(forced, first);
    assert.deepEqual(server.requests.map((request) => request.force_refresh), [false, false, true]);
    clock.value += 5_000;
    // No second forced refresh within 30 s: one normal re-fetch (which answers the same token), then nothing.
    assert.equal(await manager.refreshAfterInvalid(forced), forced, 'throttled: the current token is returned');
    assert.deepEqual(server.requests.map((request) => request.force_refresh), [false, false, true, false]);
    clock.value += 1_000;
    assert.equal(await manager.refreshAfterInvalid(forced), forced);
    assert.equal(server.requestCount, 4);
    clock.value += 26_000;
    const forcedAgain = await manager.refreshAfterInvalid(forced);
    assert.notEqual(forcedAgain, forced);
    assert.deepEqual(server.requests.map((request) => request.force_refresh), [false, false, true, false, true]);
  });

  void it('40164: an operator error naming the IP, logged once, in status(), and no request during the cool-down', async () => {
    const { server, manager, captured, clock } = await setUp({ operatorErrorCooldownMs: 60_000 });
    const answer = { errcode: 40164, errmsg: 'invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: 6651e2a1-1' };
    server.script.push({ body: answer }, { body: { ...answer, errmsg: answer.errmsg.replace('-1', '-2') } });
    const failure = await manager.getToken().catch((error: unknown) => error);
    assert.ok(failure instanceof WeChatApiError);
    assert.equal(failure.errcode, 40164);
    assert.match(failure.hint ?? '', /add 203\.0\.113\.7/);
    assert.match(failure.message, /203\.0\.113\.7/);

    for (let attempt = 0; attempt < 5; attempt += 1) {
      await assert.rejects(manager.getToken(), (error: unknown) => error instanceof WeChatApiError && error.errcode === 40164);
    }
    assert.equal(server.requestCount, 1, 'no request during the cool-down');

    const status = await manager.status();
    assert.equal(status.state, 'error');
    assert.equal(status.error?.errcode, 40164);
    assert.match(status.error?.hint ?? '', /IP whitelist.*203\.0\.113\.7/);
    assert.equal(status.refreshCount, 0);

    clock.value += 61_000;
    await assert.rejects(manager.getToken(), WeChatApiError);
    assert.equal(server.requestCount, 2, 'asked again after the cool-down');
    const errors = captured.entries().filter((entry) => entry.level === 50);
    assert.equal(errors.length, 1, 'logged once at error level');
    assert.equal(errors[0]?.errcode, 40164);
    assert.match(String(errors[0]?.hint), /203\.0\.113\.7/);

    // Fixed by the operator: an explicit refresh does not wait for the cool-down.
    const status2 = await manager.refresh();
    assert.equal(status2.state, 'ok');
    assert.equal(status2.error, undefined);
    assert.equal(server.requestCount, 3);
    assertNoSecretsIn(captured.text(), server);
  });

  for (const [errcode, pattern] of [[40125, /WECHAT_APPSECRET is wrong/], [40013, /WECHAT_APPID is not a valid appid/], [89503, /administrator/]] as const) {
    void it(`${errcode} is an operator error with a hint, failing fast during the cool-down`, async () => {
      const { server, manager, captured } = await setUp();
      server.script.push({ body: { errcode, errmsg: `error ${errcode} rid: 1` } });
      await assert.rejects(manager.getToken(), (error: unknown) => error instanceof WeChatApiError && error.errcode === errcode && pattern.test(error.message));
      await assert.rejects(manager.getToken(), WeChatApiError);
      assert.equal(server.requestCount, 1);
      assert.match((await manager.status()).error?.hint ?? '', pattern);
      assertNoSecretsIn(captured.text(), server);
    });
  }

  void it('-1 (busy): retried with backoff, then succeeds', async () => {
    const { server, manager } = await setUp({ busyRetryDelaysMs: [30, 60] });
    server.script.push({ body: { errcode: -1, errmsg: 'system error' } }, { body: { errcode: -1, errmsg: 'system error' } });
    const startedAt = performance.now();
    assert.equal(await manager.getToken(), server.currentToken);
    assert.ok(performance.now() - startedAt >= 85, 'waited between attempts');
    assert.equal(server.requestCount, 3);
    assert.equal((await manager.status()).state, 'ok');
  });

  void it('-1 on every attempt: fails after the retries, not in a loop', async () => {
    const { server, manager } = await setUp();
    for (let index = 0; index < 3; index += 1) server.script.push({ body: { errcode: -1, errmsg: 'system error' } });
    await assert.rejects(manager.getToken(), (error: unknown) => error instanceof WeChatApiError && error.isRetryable);
    assert.equal(server.requestCount, 3);
    const status = await manager.status();
    assert.equal(status.state, 'error');
    assert.equal(status.error?.errcode, -1);
  });

  void it('timeouts, HTTP errors and malformed answers become StableTokenRequestError', async () => {
    const { server, manager } = await setUp({ requestTimeoutMs: 100, busyRetryDelaysMs: [10] });
    server.script.push({ delayMs: 400, body: {} }, { status: 502, text: 'Bad Gateway' });
    await assert.rejects(manager.getToken(), (error: unknown) => error instanceof StableTokenRequestError && error.status === 502);
    assert.equal(server.requestCount, 2, 'the timeout was retried');
    server.script.push({ body: { access_token: 'x' } });
    await assert.rejects(manager.getToken(), /without access_token\/expires_in/);
    server.script.push({ text: 'not json' }, { text: 'not json' });
    await assert.rejects(manager.getToken(), /not JSON/);
  });

  void it('an unreachable WeChat is a retryable error naming the reason', async () => {
    const closed = await StableTokenServer.start();
    await closed.close();
    const { manager } = await setUp({ apiBase: closed.url, busyRetryDelaysMs: [5] });
    await assert.rejects(manager.getToken(), (error: unknown) => error instanceof StableTokenRequestError && error.retryable && /ECONNREFUSED/.test(error.message));
  });

  void it('status(): empty, ok with a short preview only, expiring; counts refreshes', async () => {
    const { server, manager, clock } = await setUp();
    assert.deepEqual(await manager.status(), { state: 'empty', refreshCount: 0 });
    const token = await manager.getToken();
    const status = await manager.status();
    assert.equal(status.state, 'ok');
    assert.equal(status.tokenPreview, `${token.slice(0, 6)}…`);
    assert.equal(status.refreshCount, 1);
    assert.equal(status.lastRefreshAt, clock.value);
    assert.equal(status.obtainedAt, clock.value);
    assert.equal(status.expiresAt, clock.value + 7_200_000);
    clock.value += 7_000_000;
    assert.equal((await manager.status()).state, 'expiring');
    assertNoSecretsIn(JSON.stringify(await manager.status()), server);
  });

  void it('refresh({ force }) asks WeChat for a new token', async () => {
    const { server, manager } = await setUp();
    const first = await manager.getToken();
    const status = await manager.refresh({ force: true });
    assert.equal(server.requests.at(-1)?.force_refresh, true);
    assert.notEqual(await manager.getToken(), first);
    assert.equal(status.refreshCount, 2);
  });

  void it('never logs the secret or a token, at trace level, whatever happens', async () => {
    const { server, manager, captured, clock } = await setUp({ operatorErrorCooldownMs: 1 });
    const errors: unknown[] = [];
    const token = await manager.getToken();
    await manager.refreshAfterInvalid(token);
    await manager.refreshAfterInvalid(token);
    await manager.refresh();
    server.script.push(
      { body: { errcode: -1, errmsg: 'busy' } },
      { body: { errcode: 40125, errmsg: `invalid appsecret ${APP_SECRET}` } },
      { body: { errcode: 40164, errmsg: 'invalid ip 198.51.100.1, not in whitelist' } },
    );
    clock.value += 7_200_000;
    await manager.getToken().catch((error: unknown) => errors.push(error));
    clock.value += 10;
    await manager.getToken().catch((error: unknown) => errors.push(error));
    clock.value += 10;
    await manager.getToken();
    assert.equal(errors.length, 2);
    const everything = [captured.text(), ...errors.map(errorText), JSON.stringify(await manager.status())].join('\n');
    assert.ok(server.issuedTokens.length >= 2);
    assertNoSecretsIn(everything, server);
    assert.ok(captured.entries().some((entry) => entry.level === 10 || entry.level === 20 || entry.level === 30), 'something was logged');
  });

  void it('with the file store, a restarted instance uses the token without asking WeChat', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'wx-token-manager-'));
    try {
      const file = path.join(folder, 'access_token.json');
      const { server, manager, captured } = await setUp({ store: new FileTokenStore({ path: file, appId: APP_ID, log: captureLog().log }) });
      const token = await manager.getToken();
      const restarted = await setUp({ store: new FileTokenStore({ path: file, appId: APP_ID, log: captureLog().log }) }, server);
      assert.equal(await restarted.manager.getToken(), token);
      assert.equal(server.requestCount, 1);
      assert.equal((await restarted.manager.status()).state, 'ok');
      assertNoSecretsIn(captured.text() + restarted.captured.text(), server);

      // Another account configured on the same file never gets this token.
      const otherAccount = new AccessTokenManager({
        appId: 'wxANOTHERACCOUNT', appSecret: APP_SECRET, apiBase: server.url, log: captureLog().log,
        store: new FileTokenStore({ path: file, appId: 'wxANOTHERACCOUNT', log: captureLog().log }),
      });
      server.rotate();
      assert.notEqual(await otherAccount.getToken(), token);
      assert.equal(server.requestCount, 2);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
