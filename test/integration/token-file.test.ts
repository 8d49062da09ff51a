/**
 * Issue 3, one instance without Redis: the access token is cached in TOKEN_FILE_PATH (mode 0600, its folder
 * created), survives a restart — the restarted instance asks WeChat for nothing — and is never handed to
 * another account: with a different WECHAT_APPID the file's token is ignored and replaced.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FakeWeChatApi } from '../../src/demo/fake-wechat-api/start-fake-wechat-api.js';
import {
  accountEnv, newAccount, seedMenu, startAccountFake, startAppInstance, temporaryFolder, type Account, type AppInstance,
} from '../support/app-instances.js';

const STABLE_TOKEN = '/cgi-bin/stable_token';
const MENU_GET = '/cgi-bin/menu/get';

interface TokenFile {
  appId: string;
  credentials: Record<string, { value: string; expiresAt: number; obtainedAt: number }>;
}

const readTokenFile = (file: string): TokenFile => JSON.parse(readFileSync(file, 'utf8')) as TokenFile;

describe('access token cached in TOKEN_FILE_PATH (no Redis)', () => {
  const folder = temporaryFolder('token-file');
  // A folder that does not exist yet: start-up creates it.
  const tokenFile = path.join(folder.path, 'state', 'access_token.json');
  const account = newAccount();
  let fake: FakeWeChatApi;
  let instance: AppInstance | undefined;

  const start = async (serving: Account, apiBase: string): Promise<AppInstance> => {
    await instance?.close();
    instance = await startAppInstance(accountEnv(serving, apiBase, { TOKEN_FILE_PATH: tokenFile }), { cwd: folder.path });
    return instance;
  };

  before(async () => {
    fake = await startAccountFake(account);
    seedMenu(fake);
  });
  after(async () => {
    await instance?.close();
    await fake?.close();
    folder.remove();
  });

  it('the first call fetches the token and writes it to the file, readable by the owner only', async () => {
    const first = await start(account, fake.url);
    assert.equal((await first.admin('GET', '/menu')).status, 200);
    assert.equal(fake.callsTo(STABLE_TOKEN).length, 1);
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    const stored = readTokenFile(tokenFile);
    assert.equal(stored.appId, account.appId);
    assert.deepEqual(Object.values(stored.credentials).map((credential) => credential.value), [fake.issuedTokens[0]]);
  });

  it('after a restart the cached token is used: no new stable_token request', async () => {
    const restarted = await start(account, fake.url);
    assert.equal((await restarted.admin('GET', '/menu')).status, 200);
    assert.equal(fake.callsTo(STABLE_TOKEN).length, 1, 'still the one fetch from before the restart');
    // WeChat accepted the cached token the first time.
    assert.deepEqual(fake.callsTo(MENU_GET).map((call) => call.errcode), [0, 0]);
    assert.equal((await restarted.admin('GET', '/token')).json?.state, 'ok');
  });

  it('with a different WECHAT_APPID the old token is never used: the new account fetches its own', async (t) => {
    const other = newAccount();
    const otherFake = await startAccountFake(other);
    t.after(() => otherFake.close());
    seedMenu(otherFake);

    const switched = await start(other, otherFake.url);
    assert.equal((await switched.admin('GET', '/menu')).status, 200);

    // Its very first request to WeChat is the token fetch, and its first API call carries the new token.
    assert.deepEqual(otherFake.calls.map((call) => [call.path, call.errcode]), [[STABLE_TOKEN, 0], [MENU_GET, 0]]);
    assert.equal(fake.callsTo(STABLE_TOKEN).length, 1, 'the old account\'s WeChat was not asked either');
    const stored = readTokenFile(tokenFile);
    assert.equal(stored.appId, other.appId);
    assert.deepEqual(Object.values(stored.credentials).map((credential) => credential.value), [otherFake.issuedTokens[0]]);
    assert.equal(readFileSync(tokenFile, 'utf8').includes(fake.issuedTokens[0]!), false, 'the old token is gone from the file');
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    assert.match(switched.logs(), new RegExp(`belongs to appid ${account.appId}, not ${other.appId}`));
  });
});
