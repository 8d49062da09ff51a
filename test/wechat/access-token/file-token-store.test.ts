import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { FileTokenStore } from '../../../src/wechat/access-token/file-token-store.js';
import type { StoredCredential } from '../../../src/wechat/access-token/token-store.js';
import { captureLog } from './capture-log.js';
import { runTokenStoreContract } from './token-store.contract.js';

const APP_ID = 'wx0123456789abcdef';
const KEY = `stable_token:${APP_ID}`;

const folders: string[] = [];
function temporaryFolder(): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'wx-token-store-'));
  folders.push(folder);
  return folder;
}
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function credential(value: string): StoredCredential {
  const now = Date.now();
  return { value, expiresAt: now + 7_200_000, obtainedAt: now };
}

runTokenStoreContract('FileTokenStore', async () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'wx-token-contract-'));
  const file = path.join(folder, 'data', 'access_token.json');
  const { log } = captureLog();
  return {
    store: new FileTokenStore({ path: file, appId: APP_ID, log }),
    reopen: () => new FileTokenStore({ path: file, appId: APP_ID, log }),
    cleanup: async () => rmSync(folder, { recursive: true, force: true }),
  };
});

/** A token file as an earlier run of the service left it: one credential written, the store closed. */
async function fileOfEarlierRun(): Promise<{ file: string; stored: StoredCredential }> {
  const file = path.join(temporaryFolder(), 'access_token.json');
  const stored = credential('token-before-restart');
  const first = new FileTokenStore({ path: file, appId: APP_ID, log: captureLog().log });
  await first.set(KEY, stored);
  await first.close();
  return { file, stored };
}

void describe('FileTokenStore', () => {
  void it('writes the file with mode 0600, holding the appid it belongs to', async () => {
    const file = path.join(temporaryFolder(), 'access_token.json');
    const store = new FileTokenStore({ path: file, appId: APP_ID, log: captureLog().log });
    await store.set(KEY, credential('secret-token-value'));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const content = JSON.parse(readFileSync(file, 'utf8')) as { appId: string; credentials: Record<string, StoredCredential> };
    assert.equal(content.appId, APP_ID);
    assert.equal(content.credentials[KEY]?.value, 'secret-token-value');
  });

  void it('replaces the file atomically: a new inode each write, no temporary file left behind', async () => {
    const folder = temporaryFolder();
    const file = path.join(folder, 'access_token.json');
    const store = new FileTokenStore({ path: file, appId: APP_ID, log: captureLog().log });
    await store.set(KEY, credential('first'));
    const firstInode = statSync(file).ino;
    const before = readFileSync(file, 'utf8');
    await store.set(KEY, credential('second'));
    assert.notEqual(statSync(file).ino, firstInode, 'renamed over, not rewritten in place');
    assert.deepEqual(readdirSync(folder), ['access_token.json']);
    assert.match(before, /"first"/);
    // Many concurrent writes still leave one complete, parseable file.
    await Promise.all(Array.from({ length: 20 }, (_, index) => store.set(`jsapi_ticket:${APP_ID}:${index}`, credential(`ticket-${index}`))));
    const content = JSON.parse(readFileSync(file, 'utf8')) as { credentials: Record<string, StoredCredential> };
    assert.equal(Object.keys(content.credentials).length, 21);
    assert.deepEqual(readdirSync(folder), ['access_token.json']);
  });

  void it('survives a restart: a new store over the same file has the credential', async () => {
    const { file, stored } = await fileOfEarlierRun();
    const second = new FileTokenStore({ path: file, appId: APP_ID, log: captureLog().log });
    assert.deepEqual(await second.get(KEY), stored);
  });

  void it('after a restart, reads that start together all see the file (none finds the store empty mid-read)', async () => {
    const { file, stored } = await fileOfEarlierRun();
    // As at start-up: the dashboard's token gauge and the first API call read at the same moment.
    const second = new FileTokenStore({ path: file, appId: APP_ID, log: captureLog().log });
    assert.deepEqual(await Promise.all([second.get(KEY), second.get(KEY), second.get(KEY)]), [stored, stored, stored]);
  });

  void it('never reuses a credential written for another appid, and replaces that file on write', async () => {
    const file = path.join(temporaryFolder(), 'access_token.json');
    const oldAccount = new FileTokenStore({ path: file, appId: 'wxOLDACCOUNT', log: captureLog().log });
    await oldAccount.set(KEY, credential('token-of-the-old-account'));
    await oldAccount.set('stable_token:wxOLDACCOUNT', credential('token-of-the-old-account'));

    const captured = captureLog();
    const store = new FileTokenStore({ path: file, appId: APP_ID, log: captured.log });
    assert.equal(await store.get(KEY), undefined);
    assert.equal(await store.get('stable_token:wxOLDACCOUNT'), undefined);
    const warnings = captured.entries().filter((entry) => entry.level === 40);
    assert.equal(warnings.length, 1);
    assert.match(String(warnings[0]?.msg), /belongs to appid wxOLDACCOUNT/);

    await store.set(KEY, credential('token-of-the-new-account'));
    const content = JSON.parse(readFileSync(file, 'utf8')) as { appId: string; credentials: Record<string, StoredCredential> };
    assert.equal(content.appId, APP_ID);
    assert.deepEqual(Object.keys(content.credentials), [KEY]);
    assert.equal(await oldAccount.get(KEY), undefined, 'the old account does not see the new one either');
  });

  void it('treats a missing file as empty without a warning, and a corrupt one as empty with one warning', async () => {
    const file = path.join(temporaryFolder(), 'access_token.json');
    const captured = captureLog();
    const store = new FileTokenStore({ path: file, appId: APP_ID, log: captured.log });
    assert.equal(await store.get(KEY), undefined);
    assert.equal(captured.entries().filter((entry) => Number(entry.level) >= 40).length, 0);

    writeFileSync(file, '{"appId": "wx0123456789abcdef", "credentials": {"stable_tok');
    assert.equal(await store.get(KEY), undefined);
    assert.equal(await store.get(KEY), undefined);
    const warnings = captured.entries().filter((entry) => entry.level === 40);
    assert.equal(warnings.length, 1, 'reported once, not on every read');
    assert.match(String(warnings[0]?.msg), /corrupt/);

    await store.set(KEY, credential('fresh'));
    assert.equal((await new FileTokenStore({ path: file, appId: APP_ID, log: captured.log }).get(KEY))?.value, 'fresh');
  });

  void it('skips damaged entries and keeps the good ones', async () => {
    const file = path.join(temporaryFolder(), 'access_token.json');
    const good = credential('good');
    writeFileSync(file, JSON.stringify({ version: 1, appId: APP_ID, credentials: { [KEY]: good, 'jsapi_ticket:x': { value: 42 } } }));
    const store = new FileTokenStore({ path: file, appId: APP_ID, log: captureLog().log });
    assert.deepEqual(await store.get(KEY), good);
    assert.equal(await store.get('jsapi_ticket:x'), undefined);
  });

  void it('sees a file another process replaced, and forgets a file that was deleted', async () => {
    const file = path.join(temporaryFolder(), 'access_token.json');
    const store = new FileTokenStore({ path: file, appId: APP_ID, log: captureLog().log });
    await store.set(KEY, credential('mine'));
    const other = new FileTokenStore({ path: file, appId: APP_ID, log: captureLog().log });
    await other.set(KEY, credential('from-the-cli'));
    assert.equal((await store.get(KEY))?.value, 'from-the-cli');
    unlinkSync(file);
    assert.equal(await store.get(KEY), undefined);
  });

  void it('keeps working from memory when the file cannot be written, and says so once', async () => {
    const folder = temporaryFolder();
    writeFileSync(path.join(folder, 'not-a-folder'), '');
    const captured = captureLog();
    const store = new FileTokenStore({ path: path.join(folder, 'not-a-folder', 'access_token.json'), appId: APP_ID, log: captured.log });
    await store.set(KEY, credential('in-memory-token'));
    await store.set(KEY, credential('in-memory-token-2'));
    assert.equal((await store.get(KEY))?.value, 'in-memory-token-2');
    const errors = captured.entries().filter((entry) => entry.level === 50);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]?.msg), /cannot write the token file/);
    assert.ok(!captured.text().includes('in-memory-token'), 'the token is not logged');
  });
});
